"""Fitting targets: dated stylized facts from the documents, read and checked from targets.yaml.

Each names a measure, the states and dates it looks at, what the documents report and where;
`sim.experiments.validation` measures them on the runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.inputs.documents import Document, InputError, load_yaml, month_index, parse_month, suggest
from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.geography import BLOCS, POWERS, REGIONS, STATES
from sim.inputs.packaged import EVIDENCE, TARGETS
from sim.inputs.sources import documents

if TYPE_CHECKING:
    from sim.inputs.schema import TargetEntry

#: Smallest move a change target asks for when it names none: a direction alone is met by noise.
MIN_CHANGE = 0.02


@dataclass(frozen=True)
class Target:
    """One stylized fact: what is measured, when, and what the documents say it should be."""

    id: str
    kind: str
    measure: str
    states: tuple[str, ...]
    power: str | None
    over: tuple[str, ...]  # order: powers that must stay behind `power` (empty = all others)
    start: str  # first month measured, YYYY-MM
    end: str  # last month measured (= start for a single date)
    direction: int  # change: +1 up, -1 down; level: +1 above, -1 below; order: +1
    threshold: float  # change: least size of the move; level: the bound; order: 0
    sources: tuple[str, ...]
    evidence: tuple[str, ...]
    claim: str
    where: str  # "file:line: targets[i]" for messages
    bloc: str | None = None  # measure 'outside': the bloc whose standing is measured
    record: str = ""  # source 'record': the public record the fact comes from
    observed: float | None = None  # the quantity's measured value, where the record gives one (scored by CRPS)

    @property
    def dates(self) -> str:
        return self.start if self.start == self.end else f"{self.start}..{self.end}"

    @property
    def expected(self) -> str:
        """What the documents report, in words and numbers."""
        if self.kind == "order":
            return f"{self.power} ahead of {', '.join(self.over) or 'every other power'} (lead > 0)"
        what = self.measure if self.power is None else f"{self.measure} {self.power}"
        if self.measure == "outside":
            what = f"share of runs with the {self.bloc} membership frozen or left"
        if self.kind == "change":
            return f"{what} {'up' if self.direction > 0 else 'down'} by more than {self.threshold:g}"
        return f"{what} {'>' if self.direction > 0 else '<'} {self.threshold:g}"


def load_targets(path: Path | str = TARGETS, evidence: Evidence | None = None) -> list[Target]:
    """Read and check a targets file; InputError (file, place, fix) on any mistake."""
    from sim.inputs.problems import check
    from sim.inputs.schema import TargetsFile  # pydantic is loaded when a file is read: --help stays quick

    doc = load_yaml(path, "targets")
    spec = check(doc, TargetsFile)
    evidence = evidence or load_evidence(EVIDENCE)
    seeds = documents()
    targets: list[Target] = []
    for i, item in enumerate(spec.targets):
        target = _target(doc, ("targets", i), item, evidence, seeds)
        if target.id in {t.id for t in targets}:
            raise doc.error(("targets", i, "id"), f"duplicate id '{target.id}'; ids must be unique")
        targets.append(target)
    return targets


def _target(doc: Document, place: tuple, item: TargetEntry, evidence: Evidence, seeds: set[str]) -> Target:
    """A target whose fields agree with one another, citing listed documents and existing entries."""
    kind, measure, power, bloc = item.kind, item.measure, item.power, item.bloc
    states = _states(doc, place + ("states",), item.states)
    if measure == "outside":
        if bloc not in BLOCS or kind == "order" or power is not None:
            raise doc.error(
                place + ("bloc",),
                f"'outside' measures a state's standing in a bloc: name the bloc"
                f"{suggest(str(bloc), BLOCS)}, no 'power:' and no kind 'order'",
            )
    elif bloc is not None:
        raise doc.error(place + ("bloc",), "'bloc:' goes with 'measure: outside' only")
    if measure in ("hedging", "outside"):
        if measure == "hedging" and (power is not None or kind == "order"):
            raise doc.error(place + ("measure",), "hedging belongs to a state alone: no 'power:' and no kind 'order'")
    elif power not in POWERS:
        raise doc.error(place + ("power",), f"'{measure}' needs a power{suggest(str(power), POWERS)}")
    over = item.over or []
    for k, name in enumerate(over):
        if name not in POWERS or name == power:
            where = doc.present(place + ("over", k))
            raise doc.error(where, f"'{name}' is not another power{suggest(name, POWERS)}")
    start, end = _when(doc, place, item)
    direction, threshold = _test(doc, place, item)
    sources, cited = tuple(item.source), tuple(item.evidence or ())
    if "record" in sources and not (item.record or "").strip():
        raise doc.error(place, "'source: record' needs 'record:' naming the public record (outlet or body, date)")
    for source in sources:
        if source == "record":
            continue
        if source != "structural" and source not in seeds:
            raise doc.error(
                place + ("source",), f"'{source}' is not one of the documents{suggest(source, sorted(seeds))}"
            )
        if source == "structural" and not cited:
            raise doc.error(place, "a structural target needs 'evidence:' naming the entries it rests on")
    for k, eid in enumerate(cited):
        if eid not in evidence.by_id:
            where = doc.present(place + ("evidence", k))
            raise doc.error(where, f"no evidence entry '{eid}'{suggest(eid, evidence.by_id)}")
    return Target(
        id=item.id,
        kind=kind,
        measure=measure,
        states=states,
        power=power,
        over=tuple(over),
        start=start,
        end=end,
        direction=direction,
        threshold=threshold,
        sources=sources,
        evidence=cited,
        claim=item.claim,
        where=doc.where(place),
        bloc=bloc,
        record=item.record or "",
        observed=item.observed,
    )


def _states(doc: Document, place: tuple, names: list[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for k, name in enumerate(names):
        if name in REGIONS:
            chosen += REGIONS[name]
        elif name in STATES:
            chosen.append(name)
        else:
            where = doc.present(place + (k,))
            raise doc.error(where, f"unknown state or region '{name}'{suggest(name, list(STATES) + list(REGIONS))}")
    return tuple(dict.fromkeys(chosen))


def _when(doc: Document, place: tuple, item: TargetEntry) -> tuple[str, str]:
    """First and last month measured: `date`, or `from` and `to` (a change needs both ends)."""
    if item.kind == "change" and (item.start is None or item.end is None):
        raise doc.error(place, "a change needs 'from:' and 'to:' months")
    if item.date is not None and (item.start is not None or item.end is not None):
        raise doc.error(place + ("date",), "give either 'date:' or 'from:'/'to:', not both")
    if item.date is not None:
        return item.date, item.date
    if item.start is None or item.end is None:
        raise doc.error(place, "a target needs 'date:', or 'from:' and 'to:' months")
    if item.end < item.start or (item.kind == "change" and item.end == item.start):
        raise doc.error(place + ("to",), f"{item.end} must come after {item.start}")
    return item.start, item.end


def _test(doc: Document, place: tuple, item: TargetEntry) -> tuple[int, float]:
    """(direction, threshold) of the comparison the target makes."""
    if item.kind == "order":
        return 1, 0.0
    if item.kind == "change":
        if item.direction not in ("up", "down"):
            raise doc.error(place + ("direction",), "a change needs 'direction: up' or 'direction: down'")
        return (1 if item.direction == "up" else -1), MIN_CHANGE if item.by is None else item.by
    bounds = [(key, getattr(item, key)) for key in ("above", "below") if getattr(item, key) is not None]
    if len(bounds) != 1:
        raise doc.error(place, "a level needs exactly one of 'above:' or 'below:'")
    return (1 if bounds[0][0] == "above" else -1), bounds[0][1]


# --- measuring ----------------------------------------------------------------------------------


def check_fits(targets: list[Target], scenario: str, states: list[str], powers: list[str], dates: list[str]) -> None:
    """Every target's states, powers and months must exist in the scenario it is measured on."""
    for t in targets:
        for name in t.states + ((t.power,) if t.power else ()) + t.over:
            if name not in states and name not in powers:
                raise InputError(f"{t.where}: '{name}' is not in scenario '{scenario}'; drop the target or add it")
        for month in (t.start, t.end):
            if month not in dates:
                raise InputError(f"{t.where}: {month} is outside scenario '{scenario}' ({dates[0]} to {dates[-1]})")


def horizon(targets: list[Target], start: str) -> int:
    """Months from a scenario's start to the last month any target looks at."""
    return max(month_index(parse_month(t.end), parse_month(start)) for t in targets)
