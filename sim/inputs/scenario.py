"""Scenario files: the question, the period, the powers' strategies and dated events, checked.

A scenario is YAML with these keys (see scenarios/baseline.yaml):
name, description, start, end, states, powers, parameters, strategies, initial, events.
A counterfactual can say `extends: baseline.yaml` to start from another scenario, list event
ids to drop under `without:`, and add or override the rest.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.inputs.documents import (
    MAX_EXTENDS,
    MAX_MONTHS,
    Document,
    InputError,
    load_yaml,
    mapping,
    month_index,
    month_label,
    number,
    parse_month,
    sequence,
    suggest,
    text,
)
from sim.inputs.evidence import PAIR_ATTRIBUTES, POWER_ATTRIBUTES, STATE_ATTRIBUTES, Evidence
from sim.inputs.geography import BLOCS, POWERS, REGIONS, STATES
from sim.inputs.parameters import BY_NAME, defaults
from sim.inputs.sources import documents

KEYS = (
    "name",
    "description",
    "extends",
    "without",
    "start",
    "end",
    "states",
    "powers",
    "parameters",
    "strategies",
    "initial",
    "events",
)
EVENT_KEYS = ("id", "date", "label", "target", "power", "attribute", "operation", "value", "source", "evidence")
#: What an event may change: a state-power pair's ties, a power's interest in a state (a lasting
#: strategy change) or a one-off push there, a state's threats, a power's means and budget.
EVENT_ATTRIBUTES = (
    tuple(a for a in PAIR_ATTRIBUTES if a != "alignment")
    + ("interest", "push")
    + STATE_ATTRIBUTES
    + POWER_ATTRIBUTES
    + ("budget",)
)
POWER_EVENT_ATTRIBUTES = POWER_ATTRIBUTES + ("budget",)
POLICIES = ("adaptive", "scripted")
STRATEGY_KEYS = ("policy", "budget", "instruments", "priorities", "coercion", "note")
#: `restore` returns an attribute to where the run started (its evidence-derived level): it takes no value.
OPERATIONS = ("set", "add", "multiply", "restore")
COMPONENT_KEYS = ("economic", "security", "regime")
#: A document cited by file name inside a change's `source` text.
DOCUMENT_NAME = re.compile(r"[\w.-]+\.txt\b")
#: Largest budget, interest or one-off push a scenario may give a power.
MAX_OUTREACH = 5.0


@dataclass
class Change:
    """A change to the world: an event at a month, or an adjustment to the starting situation."""

    attribute: str
    operation: str
    value: float
    states: np.ndarray  # indexes of the states it touches (empty for power attributes)
    power: int | None
    source: str
    label: str
    month: int = 0  # months after the start; 0 for the starting situation
    date: str = ""
    evidence: tuple[str, ...] = ()


@dataclass
class Scenario:
    name: str
    description: str
    path: Path
    start: tuple[int, int]
    months: int  # number of monthly steps from start to end
    states: list[str]
    powers: list[str]
    parameters: dict[str, float]
    budget: np.ndarray  # (P,) effort per unit of interest at full capacity
    priorities: np.ndarray  # (S,P) each power's declared interest in each state
    instruments: np.ndarray  # (P,3) shares of each power's outreach per dependence component
    coercion: np.ndarray = field(default=None)  # (P,) how hard each power presses a drifting client
    adaptive: np.ndarray = field(default=None)  # (P,) bool: the power reallocates its effort each month
    initial: list[Change] = field(default_factory=list)
    events: list[Change] = field(default_factory=list)

    @property
    def dates(self) -> list[str]:
        return [month_label(self.start, t) for t in range(self.months + 1)]

    def date(self, step: int) -> str:
        return month_label(self.start, step)


def load_scenario(path: Path | str, evidence: Evidence | None = None) -> Scenario:
    """Read and check a scenario file; InputError (one line: file, place, fix) on any mistake."""
    return _load(Path(path), evidence, ())[0]


def _load(path: Path, evidence: Evidence | None, chain: tuple[Path, ...]) -> tuple[Scenario, Document]:
    """The checked scenario and its document, with the scenarios it extends merged in; `chain` holds the
    files that extend this one, to refuse loops."""
    doc = load_yaml(path, "scenario")
    for key in doc.data:
        if key not in KEYS:
            raise doc.error((key,), f"unknown key '{key}'{suggest(key, KEYS)}")
    if doc.data.get("extends") not in (None, ""):
        _inherit(doc, evidence, chain)
    data = doc.data
    for key in ("name", "start", "end"):
        if data.get(key) in (None, ""):
            raise doc.error((), f"missing '{key}:' (a scenario needs name, start and end)")
    name = text(doc, ("name",), data["name"], "a name (text)", longest=200).strip()
    if not name:
        raise doc.error(("name",), "the name is blank; give the scenario a name")
    description = text(doc, ("description",), data.get("description") or "", "a description (text)").strip()
    start, end = (_month(doc, (key,), data[key]) for key in ("start", "end"))
    months = month_index(end, start)
    if months < 1:
        raise doc.error(("end",), f"end {data['end']} must come after start {data['start']}")
    if months > MAX_MONTHS:
        raise doc.error(("end",), f"{months:,} months from start to end; a scenario spans at most {MAX_MONTHS:,}")
    states = _names(doc, ("states",), data.get("states", list(STATES)), STATES, "state")
    powers = _powers(doc, data.get("powers", list(POWERS)))
    scenario = Scenario(
        name=name,
        description=description,
        path=doc.path,
        start=start,
        months=months,
        states=states,
        powers=powers,
        parameters=_parameters(doc, data.get("parameters") or {}),
        budget=np.zeros(len(powers)),
        priorities=np.zeros((len(states), len(powers))),
        instruments=np.tile([1.0, 0.0, 0.0], (len(powers), 1)),
    )
    _strategies(doc, scenario, data.get("strategies") or {})
    scenario.initial = [
        _change(doc, ("initial", i), item, scenario, evidence, dated=False)
        for i, item in enumerate(_list(doc, "initial"))
    ]
    events = _list(doc, "events")
    scenario.events = [
        _change(doc, ("events", i), item, scenario, evidence, dated=True) for i, item in enumerate(events)
    ]
    _unique_ids(doc, events)
    scenario.events.sort(key=lambda c: c.month)
    _check_sources(scenario, documents())
    return scenario, doc


def _inherit(doc: Document, evidence: Evidence | None, chain: tuple[Path, ...]) -> None:
    """Merge the parent scenario under this one: lists of changes are appended, mappings merged."""
    extends = text(doc, ("extends",), doc.data["extends"], "a scenario file name")
    parent_path = doc.path.parent / extends
    here = doc.path.resolve()
    if parent_path.resolve() in (*chain, here):
        raise doc.error(("extends",), f"scenarios extend each other in a loop ({parent_path} leads back here)")
    if len(chain) >= MAX_EXTENDS:
        raise doc.error(("extends",), f"more than {MAX_EXTENDS} scenarios extend one another; shorten the chain")
    # The parent's own mistakes are reported against the parent.
    parent = _load(parent_path, evidence, (*chain, here))[1]
    merged = {k: v for k, v in parent.data.items() if k not in ("extends", "without")}
    child = doc.data
    dropped = sequence(doc, ("without",), child.get("without"), "a list of event ids from the parent scenario")
    ids = {e.get("id") for e in merged.get("events") or [] if isinstance(e, dict) and isinstance(e.get("id"), str)}
    for i, eid in enumerate(dropped):
        eid = text(doc, ("without", i), eid, "an event id")
        if eid not in ids:
            raise doc.error(("without", i), f"the parent has no event with id '{eid}'{suggest(eid, sorted(ids))}")
    merged["events"] = [e for e in merged.get("events") or [] if e.get("id") not in dropped]
    for key, value in child.items():
        if key in ("extends", "without"):
            continue
        if key in ("initial", "events"):
            merged[key] = (merged.get(key) or []) + sequence(doc, (key,), value, f"'{key}' as a list of changes")
        elif key in ("parameters", "strategies") and isinstance(value, dict):
            merged[key] = {**(merged.get(key) or {}), **value}
        else:
            merged[key] = value
    doc.data = merged


def _unique_ids(doc: Document, events: list) -> None:
    """Event ids name events for `without:`; two events with one id would make that ambiguous."""
    seen: dict[str, int] = {}
    for i, item in enumerate(events):
        eid = item.get("id")
        if eid is None:
            continue
        eid = text(doc, ("events", i, "id"), eid, "an event id", longest=200)
        if eid in seen:
            raise doc.error(("events", i, "id"), f"event id '{eid}' is also used by events[{seen[eid]}]; use another")
        seen[eid] = i


def _list(doc: Document, key: str) -> list:
    items = doc.data.get(key) or []
    if not isinstance(items, list):
        raise doc.error((key,), f"'{key}' must be a list of changes (each starting with '- ')")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise doc.error((key, i), "each change must be a mapping with target, attribute, operation, value, source")
    return items


def _month(doc: Document, place: tuple, value) -> tuple[int, int]:
    month = parse_month(value)
    if month is None:
        raise doc.error(place, f"'{value}' is not a month; write it as YYYY-MM, e.g. 2022-09 (quote it if needed)")
    return month


def _names(doc: Document, place: tuple, value, allowed, kind: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise doc.error(place, f"expected a non-empty list of {kind} names")
    for i, name in enumerate(value):
        if name not in allowed:
            raise doc.error(place + (i,), f"unknown {kind} '{name}'{suggest(name, allowed)}")
    if len(set(value)) != len(value):
        raise doc.error(place, f"a {kind} is listed twice")
    return list(value)


#: A new power's name: it labels plots, tables and file names.
POWER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _.-]{0,39}")


def _powers(doc: Document, value) -> list[str]:
    """The four main powers are checked for spelling; a clearly different name adds a power (e.g. EU)."""
    if not isinstance(value, list) or not value:
        raise doc.error(("powers",), "expected a non-empty list of power names")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not POWER_NAME.fullmatch(name):
            raise doc.error(
                ("powers", i), "a power's name is a word of letters, digits, spaces or '-' (at most 40 characters)"
            )
        near = difflib.get_close_matches(name, POWERS, n=1, cutoff=0.6)
        if name not in POWERS and near:
            raise doc.error(
                ("powers", i), f"unknown power '{name}' (did you mean '{near[0]}'? a new power needs a distinct name)"
            )
        if name not in POWERS and name in STATES:
            raise doc.error(("powers", i), f"'{name}' is a state, not a power")
    if len(set(value)) != len(value):
        raise doc.error(("powers",), "a power is listed twice")
    return list(value)


def _parameters(doc: Document, overrides) -> dict[str, float]:
    if not isinstance(overrides, dict):
        raise doc.error(("parameters",), "expected a mapping of parameter name to value")
    values = defaults()
    for name, value in overrides.items():
        if name not in BY_NAME:
            raise doc.error(
                ("parameters", name), f"unknown parameter '{name}'{suggest(name, BY_NAME)}; see 'alliance-sim params'"
            )
        spec = BY_NAME[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not spec.low <= value <= spec.high:
            raise doc.error(("parameters", name), f"{value!r} is outside {spec.low}..{spec.high} ({spec.description})")
        values[name] = float(value)
    return values


def _selection(doc: Document, place: tuple, target, scenario: Scenario) -> np.ndarray:
    """States named by a target: a state, a region, a bloc, 'all', or a list of these."""
    targets = target if isinstance(target, list) else [target]
    chosen: list[str] = []
    groups = {**REGIONS, **{b: b for b in BLOCS}}
    for i, name in enumerate(targets):
        where = place + (i,) if isinstance(target, list) else place
        if not isinstance(name, str):
            raise doc.error(where, "a target is a state, a region, a bloc or 'all' (text), or a list of these")
        if name == "all":
            chosen += scenario.states
        elif name in scenario.states:
            chosen.append(name)
        elif name in REGIONS:
            chosen += [s for s in REGIONS[name] if s in scenario.states]
        elif name in BLOCS:
            chosen.append(name)  # resolved against the evidence's memberships by the world builder
        else:
            raise doc.error(
                where, f"unknown target '{name}'{suggest(name, list(scenario.states) + list(groups) + ['all'])}"
            )
    return np.array(chosen, dtype=object)


def _strategies(doc: Document, scenario: Scenario, strategies) -> None:
    """Each power's policy (adaptive or scripted), budget, instrument mix, interests and coercion."""
    scenario.coercion = np.zeros(len(scenario.powers))
    scenario.adaptive = np.ones(len(scenario.powers), dtype=bool)
    for power, spec in mapping(doc, ("strategies",), strategies, "a mapping of power name to strategy").items():
        place = ("strategies", power)
        if power not in scenario.powers:
            raise doc.error(place, f"'{power}' is not among the scenario's powers{suggest(power, scenario.powers)}")
        spec = mapping(doc, place, spec, "a strategy: policy, budget, instruments, priorities, coercion")
        for key in spec:
            if key not in STRATEGY_KEYS:
                raise doc.error(place + (key,), f"unknown strategy key '{key}'{suggest(key, STRATEGY_KEYS)}")
        p = scenario.powers.index(power)
        policy = spec.get("policy", "adaptive")
        if policy not in POLICIES:
            raise doc.error(place + ("policy",), f"policy must be adaptive or scripted, got {policy!r}")
        scenario.adaptive[p] = policy == "adaptive"
        scenario.budget[p] = number(doc, place + ("budget",), spec.get("budget", 0.0), 0.0, MAX_OUTREACH)
        scenario.coercion[p] = number(doc, place + ("coercion",), spec.get("coercion", 0.0), 0.0, 1.0)
        instruments = mapping(doc, place + ("instruments",), spec.get("instruments"), "a mapping of instrument: share")
        mix = np.zeros(3)
        for key, share in (instruments or {"economic": 1.0}).items():
            if key not in COMPONENT_KEYS:
                raise doc.error(
                    place + ("instruments", key), f"unknown instrument '{key}'{suggest(key, COMPONENT_KEYS)}"
                )
            mix[COMPONENT_KEYS.index(key)] = number(doc, place + ("instruments", key), share, 0.0, 1.0)
        if mix.sum() <= 0:
            raise doc.error(place + ("instruments",), "instrument shares must not all be 0")
        scenario.instruments[p] = mix / mix.sum()
        priorities = mapping(doc, place + ("priorities",), spec.get("priorities"), "a mapping of state to priority")
        for target, weight in (priorities or {"all": 1.0}).items():
            where = place + ("priorities", target)
            weight = number(doc, where, weight, 0.0, MAX_OUTREACH)
            for name in _selection(doc, where, target, scenario):
                if name in BLOCS:
                    raise doc.error(where, "priorities take states, regions or 'all' (not blocs)")
                scenario.priorities[scenario.states.index(name), p] = weight


def _change(doc: Document, place: tuple, item, scenario: Scenario, evidence: Evidence | None, dated: bool) -> Change:
    if not isinstance(item, dict):
        raise doc.error(place, "each change must be a mapping with target, attribute, operation, value, source")
    keys = EVENT_KEYS if dated else tuple(k for k in EVENT_KEYS if k != "date")
    for key in item:
        if key not in keys:
            raise doc.error(place + (key,), f"unknown key '{key}'{suggest(key, keys)}")
    required = (
        ("date", "target", "attribute", "value", "source") if dated else ("target", "attribute", "value", "source")
    )
    for key in required:
        if item.get(key) in (None, "") and not (key == "value" and item.get("operation") == "restore"):
            raise doc.error(place, f"missing '{key}:'")
    attribute = item["attribute"]
    if attribute not in EVENT_ATTRIBUTES:
        raise doc.error(
            place + ("attribute",), f"unknown attribute '{attribute}'{suggest(attribute, EVENT_ATTRIBUTES)}"
        )
    month, date = 0, ""
    if dated:
        when = _month(doc, place + ("date",), item["date"])
        month, date = month_index(when, scenario.start), month_label(when, 0)
        if not 1 <= month <= scenario.months:
            raise doc.error(
                place + ("date",),
                f"{date} is outside the run ({scenario.date(1)} to {scenario.date(scenario.months)}); "
                "events take effect in a month after the start; put the starting situation under 'initial:'",
            )
    operation = item.get("operation")
    if operation not in OPERATIONS:
        raise doc.error(place + ("operation",), f"operation must be one of {', '.join(OPERATIONS)}, got {operation!r}")
    if operation == "restore" and "value" in item:
        raise doc.error(place + ("value",), "'restore' returns the attribute to its starting level: remove 'value:'")
    value = item.get("value", 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise doc.error(place + ("value",), f"value must be a number, got {value!r}")
    high = MAX_OUTREACH if attribute in ("interest", "push", "budget") else 1.0
    ranges = {"set": (0.0, high), "add": (-high, high), "multiply": (0.0, 10.0), "restore": (0.0, 0.0)}
    low, top = ranges[operation]
    if not low <= value <= top:
        what = f"'{operation}' on {attribute}"
        raise doc.error(place + ("value",), f"{value} is out of range for {what}: use {low} to {top}")
    power = item.get("power")
    target = item["target"]
    if attribute in POWER_EVENT_ATTRIBUTES:
        power = power or target
        if power not in scenario.powers:
            raise doc.error(
                place + ("target",),
                f"'{attribute}' belongs to a power; '{power}' is not one{suggest(power, scenario.powers)}",
            )
        states = np.array([], dtype=object)
    else:
        if power is None and attribute not in STATE_ATTRIBUTES:
            raise doc.error(place, f"'{attribute}' concerns a state and a power: add 'power:'")
        if power is not None and power not in scenario.powers:
            raise doc.error(place + ("power",), f"unknown power '{power}'{suggest(power, scenario.powers)}")
        if attribute in STATE_ATTRIBUTES and power is not None:
            raise doc.error(place + ("power",), f"'{attribute}' belongs to the state alone: remove 'power:'")
        states = _selection(doc, place + ("target",), target, scenario)
    cited = item.get("evidence") or []
    cited = [cited] if isinstance(cited, str) else sequence(doc, place + ("evidence",), cited, "evidence ids")
    for k, eid in enumerate(cited):
        text(doc, place + ("evidence", k), eid, "an evidence id", longest=200)
    source = text(doc, place + ("source",), item["source"], "a source (a document's file name or text)")
    label = text(doc, place + ("label",), item.get("label") or "", "a label (text)").strip()
    if evidence is not None:
        for k, eid in enumerate(cited):
            if eid not in evidence.by_id:
                raise doc.error(place + ("evidence", k), f"no evidence entry '{eid}'{suggest(eid, evidence.by_id)}")
    return Change(
        attribute=attribute,
        operation=operation,
        value=float(value),
        states=states,
        power=None if power is None else scenario.powers.index(power),
        source=source,
        label=label or f"{attribute} {operation} {value} ({target})",
        month=month,
        date=date,
        evidence=tuple(cited),
    )


def _check_sources(scenario: Scenario, seeds: set[str]) -> None:
    """Documents a change cites by file name must be in calibration/sources.yaml."""
    for change in scenario.initial + scenario.events:
        for cited in DOCUMENT_NAME.findall(change.source):
            if cited not in seeds:
                where = change.date or "initial"
                raise InputError(f"{scenario.path}: {where} '{change.label}': unknown source document '{cited}'")
