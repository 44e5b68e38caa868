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

from .evidence import PAIR_ATTRIBUTES, POWER_ATTRIBUTES, STATE_ATTRIBUTES, Evidence, documents
from .geography import BLOCS, POWERS, REGIONS, STATES
from .inputs import Document, InputError, load_yaml, month_index, month_label, parse_month, suggest
from .parameters import BY_NAME, defaults

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
EVENT_ATTRIBUTES = (
    tuple(a for a in PAIR_ATTRIBUTES if a != "alignment")
    + ("outreach", "commitment")
    + STATE_ATTRIBUTES
    + POWER_ATTRIBUTES
    + ("appeal",)
)
OPERATIONS = ("set", "add", "multiply")
COMPONENT_KEYS = ("economic", "security", "regime")
#: A document cited by file name inside a change's `source` text.
DOCUMENT_NAME = re.compile(r"[\w.-]+\.txt\b")
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
#: Largest outreach a power can put into one state (budget x priority).
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
    budget: np.ndarray  # (P,)
    priorities: np.ndarray  # (S,P)
    instruments: np.ndarray  # (P,3) shares of each power's outreach per dependence component
    initial: list[Change] = field(default_factory=list)
    events: list[Change] = field(default_factory=list)

    @property
    def dates(self) -> list[str]:
        return [month_label(self.start, t) for t in range(self.months + 1)]

    def date(self, step: int) -> str:
        return month_label(self.start, step)


def load_scenario(path: Path | str, evidence: Evidence | None = None) -> Scenario:
    """Read and check a scenario file; InputError (one line: file, place, fix) on any mistake."""
    doc = load_yaml(path, "scenario")
    for key in doc.data:
        if key not in KEYS:
            raise doc.error((key,), f"unknown key '{key}'{suggest(key, KEYS)}")
    if doc.data.get("extends"):
        _inherit(doc, evidence)
    data = doc.data
    for key in ("name", "start", "end"):
        if data.get(key) in (None, ""):
            raise doc.error((), f"missing '{key}:' (a scenario needs name, start and end)")
    start, end = (_month(doc, (key,), data[key]) for key in ("start", "end"))
    months = month_index(end, start)
    if months < 1:
        raise doc.error(("end",), f"end {data['end']} must come after start {data['start']}")
    states = _names(doc, ("states",), data.get("states", list(STATES)), STATES, "state")
    powers = _powers(doc, data.get("powers", list(POWERS)))
    scenario = Scenario(
        name=str(data["name"]),
        description=str(data.get("description", "")).strip(),
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
    scenario.events = [
        _change(doc, ("events", i), item, scenario, evidence, dated=True) for i, item in enumerate(_list(doc, "events"))
    ]
    scenario.events.sort(key=lambda c: c.month)
    _check_sources(scenario, documents())
    return scenario


def _inherit(doc: Document, evidence: Evidence | None, depth: int = 0) -> None:
    """Merge the parent scenario under this one: lists of changes are appended, mappings merged."""
    parent_path = doc.path.parent / str(doc.data["extends"])
    if depth > 5 or parent_path.resolve() == doc.path.resolve():
        raise doc.error(("extends",), "scenarios extend each other in a loop")
    load_scenario(parent_path, evidence)  # reports the parent's own mistakes against the parent
    parent = load_yaml(parent_path, "scenario")
    if parent.data.get("extends"):
        _inherit(parent, evidence, depth + 1)
    merged = {k: v for k, v in parent.data.items() if k not in ("extends", "without")}
    child = doc.data
    dropped = child.get("without") or []
    if not isinstance(dropped, list):
        raise doc.error(("without",), "'without' must be a list of event ids from the parent scenario")
    ids = {e.get("id") for e in merged.get("events") or [] if isinstance(e, dict)}
    for i, eid in enumerate(dropped):
        if eid not in ids:
            raise doc.error(
                ("without", i), f"the parent has no event with id '{eid}'{suggest(eid, sorted(i for i in ids if i))}"
            )
    merged["events"] = [e for e in merged.get("events") or [] if e.get("id") not in dropped]
    for key, value in child.items():
        if key in ("extends", "without"):
            continue
        if key in ("initial", "events"):
            merged[key] = (merged.get(key) or []) + (value or [])
        elif key in ("parameters", "strategies") and isinstance(value, dict):
            merged[key] = {**(merged.get(key) or {}), **value}
        else:
            merged[key] = value
    doc.data = merged


def _list(doc: Document, key: str) -> list:
    items = doc.data.get(key) or []
    if not isinstance(items, list):
        raise doc.error((key,), f"'{key}' must be a list of changes (each starting with '- ')")
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


def _powers(doc: Document, value) -> list[str]:
    """The four main powers are checked for spelling; a clearly different name adds a power (e.g. EU)."""
    if not isinstance(value, list) or not value:
        raise doc.error(("powers",), "expected a non-empty list of power names")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name.strip():
            raise doc.error(("powers", i), "a power's name must be text")
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
    if not isinstance(strategies, dict):
        raise doc.error(("strategies",), "expected a mapping of power name to strategy")
    for power, spec in strategies.items():
        place = ("strategies", power)
        if power not in scenario.powers:
            raise doc.error(place, f"'{power}' is not among the scenario's powers{suggest(power, scenario.powers)}")
        if not isinstance(spec, dict):
            raise doc.error(place, "a strategy needs budget, instruments and priorities")
        for key in spec:
            if key not in ("budget", "instruments", "priorities", "note"):
                raise doc.error(
                    place + (key,),
                    f"unknown strategy key '{key}'{suggest(key, ['budget', 'instruments', 'priorities', 'note'])}",
                )
        p = scenario.powers.index(power)
        budget = spec.get("budget", 0.0)
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 <= budget <= MAX_OUTREACH:
            raise doc.error(place + ("budget",), f"budget must be a number from 0 to {MAX_OUTREACH}, got {budget!r}")
        scenario.budget[p] = budget
        instruments = spec.get("instruments") or {"economic": 1.0}
        mix = np.zeros(3)
        for key, share in instruments.items():
            if key not in COMPONENT_KEYS:
                raise doc.error(
                    place + ("instruments", key), f"unknown instrument '{key}'{suggest(key, COMPONENT_KEYS)}"
                )
            if isinstance(share, bool) or not isinstance(share, (int, float)) or share < 0:
                raise doc.error(
                    place + ("instruments", key), f"an instrument share must be a number >= 0, got {share!r}"
                )
            mix[COMPONENT_KEYS.index(key)] = share
        if mix.sum() <= 0:
            raise doc.error(place + ("instruments",), "instrument shares must not all be 0")
        scenario.instruments[p] = mix / mix.sum()
        for target, weight in (spec.get("priorities") or {"all": 1.0}).items():
            where = place + ("priorities", target)
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
                raise doc.error(where, f"a priority must be a number from 0 to 1, got {weight!r}")
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
        if item.get(key) in (None, ""):
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
    operation = item.get("operation", "appeal" if attribute == "appeal" else None)
    if attribute == "appeal":
        if operation != "appeal":
            raise doc.error(place + ("operation",), "an appeal has no operation (or 'operation: appeal')")
    elif operation not in OPERATIONS:
        raise doc.error(place + ("operation",), f"operation must be one of {', '.join(OPERATIONS)}, got {operation!r}")
    value = item["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise doc.error(place + ("value",), f"value must be a number, got {value!r}")
    high = MAX_OUTREACH if attribute in ("outreach", "commitment") else 1.0
    ranges = {"set": (0.0, high), "add": (-high, high), "multiply": (0.0, 10.0), "appeal": (0.01, 1.0)}
    low, top = ranges[operation]
    if not low <= value <= top:
        what = "the acute threat behind an appeal" if operation == "appeal" else f"'{operation}' on {attribute}"
        raise doc.error(place + ("value",), f"{value} is out of range for {what}: use {low} to {top}")
    power = item.get("power")
    target = item["target"]
    if attribute in POWER_ATTRIBUTES:
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
        if attribute == "appeal" and (len(states) != 1 or states[0] in BLOCS):
            raise doc.error(place + ("target",), "an appeal comes from one state")
    cited = item.get("evidence") or []
    cited = [cited] if isinstance(cited, str) else cited
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
        source=str(item["source"]),
        label=str(item.get("label") or f"{attribute} {operation} {value} ({target})"),
        month=month,
        date=date,
        evidence=tuple(cited),
    )


def _check_sources(scenario: Scenario, seeds: set[str] | None) -> None:
    """Documents a change cites by file name must exist (where the documents are at hand)."""
    if seeds is None:
        return
    for change in scenario.initial + scenario.events:
        for cited in DOCUMENT_NAME.findall(change.source):
            if cited not in seeds:
                where = change.date or "initial"
                raise InputError(f"{scenario.path}: {where} '{change.label}': unknown source document '{cited}'")
