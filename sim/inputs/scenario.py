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
from typing import TYPE_CHECKING

import numpy as np

from sim.inputs.documents import (
    MAX_EXTENDS,
    MAX_MONTHS,
    Document,
    InputError,
    load_yaml,
    month_index,
    month_label,
    parse_month,
    suggest,
)
from sim.inputs.evidence import Evidence
from sim.inputs.geography import BLOCS, POWERS, REGIONS, STATES
from sim.inputs.packaged import SCENARIOS
from sim.inputs.parameters import defaults
from sim.inputs.sources import documents
from sim.inputs.vocabulary import attribute_bound, attribute_kind

if TYPE_CHECKING:
    from sim.inputs.schema import Initial, Strategy

#: A document cited by file name inside a change's `source` text.
DOCUMENT_NAME = re.compile(r"[\w.-]+\.txt\b")


@dataclass
class Change:
    """A change to the world: an event at a month, or an adjustment to the starting situation."""

    attribute: str
    operation: str
    value: float
    targets: tuple[str, ...]  # the states and blocs it names, as written (none for a power's own attributes)
    power: int | None
    source: str
    label: str
    month: int = 0  # months after the start; 0 for the starting situation
    date: str = ""
    evidence: tuple[str, ...] = ()
    #: The indexes of the states it touches, once the world has resolved `targets` (blocs by their members).
    states: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))


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
    #: Parameters the scenario (or a file it extends) sets: they hold in every run, never drawn from the posterior.
    chosen: frozenset[str] = frozenset()

    @property
    def dates(self) -> list[str]:
        return [month_label(self.start, t) for t in range(self.months + 1)]

    def date(self, step: int) -> str:
        return month_label(self.start, step)


def load_scenario(path: Path | str, evidence: Evidence | None = None) -> Scenario:
    """Read and check a scenario file, or a shipped scenario named bare ("baseline"); InputError (one line:
    file, place, fix) on any mistake."""
    return _load(scenario_file(path), evidence, ())[0]


def shipped(name: str) -> Path | None:
    """The file of the shipped scenario called `name` ("baseline", "no_invasion", ...), if there is one."""
    file = SCENARIOS / f"{name}.yaml"
    return file if name and Path(name).name == name and file.is_file() else None


def shipped_scenarios() -> list[tuple[str, str, str | None]]:
    """Each shipped scenario's name, its question (the file's description) and the file it extends, if any."""
    found = []
    for path in sorted(SCENARIOS.glob("*.yaml"), key=lambda p: (p.stem != "baseline", p.stem)):
        data = load_yaml(path, "scenario").data
        description = " ".join(str(data.get("description") or "no description").split())
        extends = data.get("extends")
        found.append((path.stem, description, Path(str(extends)).stem if extends else None))
    return found


def scenario_file(scenario: str | Path) -> Path:
    """A shipped scenario's file for a bare name; otherwise the path as given (a missing file is reported when
    read). InputError for a bare name that is neither a file here nor a shipped scenario."""
    path = Path(scenario)
    if path.is_file() or path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        return path
    found = shipped(str(scenario))
    if found is not None:
        return found
    names = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    raise InputError(
        f"scenario '{scenario}': not a shipped scenario{suggest(str(scenario), names)}; "
        f"the shipped ones are {', '.join(names)}, or give the path of a YAML file"
    )


def _load(path: Path, evidence: Evidence | None, chain: tuple[Path, ...]) -> tuple[Scenario, Document]:
    """The checked scenario and its document, with the scenarios it extends merged in; `chain` holds the
    files that extend this one, to refuse loops."""
    from sim.inputs.problems import check
    from sim.inputs.schema import ScenarioFile  # pydantic is loaded when a file is read: --help stays quick

    doc = load_yaml(path, "scenario")
    if doc.data.get("extends") not in (None, ""):
        _inherit(doc, evidence, chain)
    spec = check(doc, ScenarioFile)
    name = spec.name.strip()
    if not name:
        raise doc.error(("name",), "the name is blank; give the scenario a name")
    start, end = parse_month(spec.start), parse_month(spec.end)
    months = month_index(end, start)
    if months < 1:
        raise doc.error(("end",), f"end {spec.end} must come after start {spec.start}")
    if months > MAX_MONTHS:
        raise doc.error(("end",), f"{months:,} months from start to end; a scenario spans at most {MAX_MONTHS:,}")
    states = _once(doc, ("states",), spec.states, "state")
    powers = _powers(doc, spec.powers)
    chosen = spec.parameters.model_dump(exclude_unset=True) if spec.parameters else {}
    scenario = Scenario(
        name=name,
        description=(spec.description or "").strip(),
        path=doc.path,
        start=start,
        months=months,
        states=states,
        powers=powers,
        parameters={**defaults(), **chosen},
        chosen=frozenset(chosen),
        budget=np.zeros(len(powers)),
        priorities=np.zeros((len(states), len(powers))),
        instruments=np.tile([1.0, 0.0, 0.0], (len(powers), 1)),
    )
    _strategies(doc, scenario, spec.strategies or {})
    initial, events = spec.initial or [], spec.events or []
    scenario.initial = [_change(doc, ("initial", i), item, scenario, evidence) for i, item in enumerate(initial)]
    scenario.events = [_change(doc, ("events", i), item, scenario, evidence) for i, item in enumerate(events)]
    _unique_ids(doc, events)
    scenario.events.sort(key=lambda c: c.month)
    _check_sources(scenario, documents())
    return scenario, doc


def _inherit(doc: Document, evidence: Evidence | None, chain: tuple[Path, ...]) -> None:
    """Merge the parent scenario under this one: lists of changes are appended, mappings merged."""
    from sim.inputs.problems import check
    from sim.inputs.schema import Extension

    child = check(doc, Extension)
    parent_path = doc.path.parent / child.extends
    if not parent_path.is_file():  # not beside it: a shipped scenario named bare ("baseline" or "baseline.yaml")
        parent_path = shipped(str(child.extends).removesuffix(".yaml")) or parent_path
    here = doc.path.resolve()
    if parent_path.resolve() in (*chain, here):
        raise doc.error(("extends",), f"scenarios extend each other in a loop ({parent_path} leads back here)")
    if len(chain) >= MAX_EXTENDS:
        raise doc.error(("extends",), f"more than {MAX_EXTENDS} scenarios extend one another; shorten the chain")
    # The parent's own mistakes are reported against the parent.
    parent = _load(parent_path, evidence, (*chain, here))[1]
    merged = {k: v for k, v in parent.data.items() if k not in ("extends", "without")}
    dropped = child.without or []
    ids = {str(e["id"]) for e in merged.get("events") or [] if e.get("id") is not None}
    for i, eid in enumerate(dropped):
        if eid not in ids:
            raise doc.error(("without", i), f"the parent has no event with id '{eid}'{suggest(eid, sorted(ids))}")
    merged["events"] = [e for e in merged.get("events") or [] if str(e.get("id")) not in dropped]
    doc.inherited = {key: len(merged.get(key) or []) for key in ("initial", "events")}
    for key, value in doc.data.items():
        if key in ("initial", "events"):
            merged[key] = (merged.get(key) or []) + (value or [])
        elif key in ("parameters", "strategies"):
            merged[key] = {**(merged.get(key) or {}), **(value or {})}
        elif key not in ("extends", "without"):
            merged[key] = value
    doc.data = merged


def _unique_ids(doc: Document, events: list[Initial]) -> None:
    """Event ids name events for `without:`; two events with one id would make that ambiguous."""
    seen: dict[str, int] = {}
    for i, event in enumerate(events):
        if event.id in seen:
            raise doc.error(
                ("events", i, "id"), f"event id '{event.id}' is also used by events[{seen[event.id]}]; use another"
            )
        if event.id is not None:
            seen[event.id] = i


def _once(doc: Document, place: tuple, names: list[str], kind: str) -> list[str]:
    if len(set(names)) != len(names):
        raise doc.error(place, f"a {kind} is listed twice")
    return list(names)


#: A new power's name: it labels plots, tables and file names.
POWER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _.-]{0,39}")


def _powers(doc: Document, names: list[str]) -> list[str]:
    """The four main powers are checked for spelling; a clearly different name adds a power (e.g. EU)."""
    for i, name in enumerate(names):
        if not POWER_NAME.fullmatch(name):
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
    return _once(doc, ("powers",), names, "power")


def _selection(doc: Document, place: tuple, targets: list[str], scenario: Scenario) -> tuple[str, ...]:
    """States named by a list of targets, each a state, a region, a bloc or 'all': states by name, blocs as
    written (the world resolves them against the evidence's memberships)."""
    chosen: list[str] = []
    groups = {**REGIONS, **{b: b for b in BLOCS}}
    for i, name in enumerate(targets):
        if name == "all":
            chosen += scenario.states
        elif name in scenario.states:
            chosen.append(name)
        elif name in REGIONS:
            chosen += [s for s in REGIONS[name] if s in scenario.states]
        elif name in BLOCS:
            chosen.append(name)  # resolved against the evidence's memberships by the world builder
        else:
            where = doc.present(place + (i,))
            raise doc.error(
                where, f"unknown target '{name}'{suggest(name, list(scenario.states) + list(groups) + ['all'])}"
            )
    return tuple(chosen)


def _strategies(doc: Document, scenario: Scenario, strategies: dict[str, Strategy]) -> None:
    """Each power's policy (adaptive or scripted), budget, instrument mix, interests and coercion."""
    scenario.coercion = np.zeros(len(scenario.powers))
    scenario.adaptive = np.ones(len(scenario.powers), dtype=bool)
    for power, strategy in strategies.items():
        place = ("strategies", power)
        if power not in scenario.powers:
            raise doc.error(place, f"'{power}' is not among the scenario's powers{suggest(power, scenario.powers)}")
        p = scenario.powers.index(power)
        scenario.adaptive[p] = strategy.policy == "adaptive"
        scenario.budget[p] = strategy.budget
        scenario.coercion[p] = strategy.coercion
        shares = strategy.instruments
        given = shares is not None and shares.model_fields_set  # none given: all outreach is economic
        mix = np.array([shares.economic, shares.security, shares.regime] if given else [1.0, 0.0, 0.0])
        if mix.sum() <= 0:
            raise doc.error(place + ("instruments",), "instrument shares must not all be 0")
        scenario.instruments[p] = mix / mix.sum()
        for target, weight in (strategy.priorities or {"all": 1.0}).items():
            where = place + ("priorities", target)
            for name in _selection(doc, where, [target], scenario):
                if name in BLOCS:
                    raise doc.error(where, "priorities take states, regions or 'all' (not blocs)")
                scenario.priorities[scenario.states.index(name), p] = weight


def _change(doc: Document, place: tuple, item: Initial, scenario: Scenario, evidence: Evidence | None) -> Change:
    """A checked change; `item` has a date when it is an event."""
    attribute, operation, value = item.attribute, item.operation, item.value
    month, date = 0, ""
    if getattr(item, "date", None):
        when = parse_month(item.date)
        month, date = month_index(when, scenario.start), month_label(when, 0)
        if not 1 <= month <= scenario.months:
            raise doc.error(
                place + ("date",),
                f"{date} is outside the run ({scenario.date(1)} to {scenario.date(scenario.months)}); "
                "events take effect in a month after the start; put the starting situation under 'initial:'",
            )
    if operation == "restore" and value is not None:
        raise doc.error(place + ("value",), "'restore' returns the attribute to its starting level: remove 'value:'")
    if operation != "restore" and value is None:
        raise doc.error(place, "missing 'value:'")
    value = value or 0.0
    high = attribute_bound(attribute)
    ranges = {"set": (0.0, high), "add": (-high, high), "multiply": (0.0, 10.0), "restore": (0.0, 0.0)}
    low, top = ranges[operation]
    if not low <= value <= top:
        what = f"'{operation}' on {attribute}"
        raise doc.error(place + ("value",), f"{value:g} is out of range for {what}: use {low} to {top}")
    raw = doc.data[place[0]][place[1]]  # as written, for the default label
    power = item.power
    kind = attribute_kind(attribute)
    if kind == "power":
        power = power or raw["target"]
        if power not in scenario.powers:
            raise doc.error(
                place + ("target",),
                f"'{attribute}' belongs to a power; '{power}' is not one{suggest(str(power), scenario.powers)}",
            )
        targets: tuple[str, ...] = ()
    else:
        if power is None and kind == "pair":
            raise doc.error(place, f"'{attribute}' concerns a state and a power: add 'power:'")
        if power is not None and power not in scenario.powers:
            raise doc.error(place + ("power",), f"unknown power '{power}'{suggest(power, scenario.powers)}")
        if kind == "state" and power is not None:
            raise doc.error(place + ("power",), f"'{attribute}' belongs to the state alone: remove 'power:'")
        targets = _selection(doc, place + ("target",), item.target, scenario)
    cited = item.evidence or []
    if evidence is not None:
        for k, eid in enumerate(cited):
            if eid not in evidence.by_id:
                where = doc.present(place + ("evidence", k))
                raise doc.error(where, f"no evidence entry '{eid}'{suggest(eid, evidence.by_id)}")
    return Change(
        attribute=attribute,
        operation=operation,
        value=float(value),
        targets=targets,
        power=None if power is None else scenario.powers.index(power),
        source=item.source,
        label=item.label.strip() or f"{attribute} {operation} {raw.get('value', 0.0)} ({raw['target']})",
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
