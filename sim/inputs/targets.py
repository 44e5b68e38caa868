"""Fitting targets: dated stylized facts from the documents, read and checked from targets.yaml.

Each names a measure, the states and dates it looks at, what the documents report and where;
`sim.experiments.validation` measures them on the runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.inputs.documents import Document, InputError, load_yaml, month_index, parse_month, suggest
from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.geography import BLOCS, POWERS, REGIONS, STATES
from sim.inputs.packaged import EVIDENCE, TARGETS
from sim.inputs.sources import documents

KINDS = ("order", "change", "level")
MEASURES = ("alignment", "credibility", "economic", "security", "hedging", "outside")
#: Smallest move a change target asks for when it names none: a direction alone is met by noise.
MIN_CHANGE = 0.02
FIELDS = (
    "id",
    "claim",
    "source",
    "evidence",
    "kind",
    "measure",
    "states",
    "power",
    "over",
    "date",
    "from",
    "to",
    "direction",
    "by",
    "above",
    "below",
    "record",
    "bloc",
)


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
    doc = load_yaml(path, "targets")
    raw = doc.data.get("targets")
    if not isinstance(raw, list) or not raw:
        raise doc.error(("targets",), "expected a list of targets under 'targets:'")
    evidence = evidence or load_evidence(EVIDENCE)
    seeds = documents()
    targets: list[Target] = []
    for i, item in enumerate(raw):
        target = _target(doc, ("targets", i), item, evidence, seeds)
        if target.id in {t.id for t in targets}:
            raise doc.error(("targets", i, "id"), f"duplicate id '{target.id}'; ids must be unique")
        targets.append(target)
    return targets


def _target(doc: Document, place: tuple, item, evidence: Evidence, seeds: set[str]) -> Target:
    if not isinstance(item, dict):
        raise doc.error(place, "each target must be a mapping with id, claim, source, kind, states and dates")
    for key in item:
        if key not in FIELDS:
            raise doc.error(place + (key,), f"unknown field '{key}'{suggest(key, FIELDS)}")
    for key in ("id", "claim", "source", "kind", "states"):
        if item.get(key) in (None, "", []):
            raise doc.error(place, f"missing '{key}:'")
    kind, measure = item["kind"], item.get("measure", "alignment")
    if kind not in KINDS:
        raise doc.error(place + ("kind",), f"unknown kind '{kind}'{suggest(kind, KINDS)}")
    if measure not in MEASURES:
        raise doc.error(place + ("measure",), f"unknown measure '{measure}'{suggest(measure, MEASURES)}")
    states = _states(doc, place + ("states",), item["states"])
    power = item.get("power")
    bloc = item.get("bloc")
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
        raise doc.error(place + ("power",), f"'{measure}' needs a power{suggest(power, POWERS)}")
    over = _list(item.get("over") or [])
    for k, name in enumerate(over):
        if name not in POWERS or name == power:
            raise doc.error(place + ("over", k), f"'{name}' is not another power{suggest(name, POWERS)}")
    start, end = _when(doc, place, item, kind)
    direction, threshold = _test(doc, place, item, kind)
    sources = tuple(str(s) for s in _list(item["source"]))
    cited = tuple(str(e) for e in _list(item.get("evidence") or []))
    record = item.get("record")
    if "record" in sources and not (isinstance(record, str) and record.strip()):
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
            raise doc.error(place + ("evidence", k), f"no evidence entry '{eid}'{suggest(eid, evidence.by_id)}")
    return Target(
        id=str(item["id"]),
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
        claim=str(item["claim"]),
        where=doc.where(place),
        bloc=bloc,
        record=str(record or ""),
    )


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _states(doc: Document, place: tuple, value) -> tuple[str, ...]:
    chosen: list[str] = []
    for k, name in enumerate(_list(value)):
        if name in REGIONS:
            chosen += REGIONS[name]
        elif name in STATES:
            chosen.append(name)
        else:
            where = place + (k,) if isinstance(value, list) else place
            raise doc.error(where, f"unknown state or region '{name}'{suggest(name, list(STATES) + list(REGIONS))}")
    return tuple(dict.fromkeys(chosen))


def _when(doc: Document, place: tuple, item: dict, kind: str) -> tuple[str, str]:
    """First and last month measured: `date`, or `from` and `to` (a change needs both ends)."""
    if kind == "change" and ("from" not in item or "to" not in item):
        raise doc.error(place, "a change needs 'from:' and 'to:' months")
    if "date" in item and ("from" in item or "to" in item):
        raise doc.error(place + ("date",), "give either 'date:' or 'from:'/'to:', not both")
    keys = ("date", "date") if "date" in item else ("from", "to")
    months = []
    for key in keys:
        month = parse_month(item.get(key))
        if month is None:
            raise doc.error(place + (key,), f"'{item.get(key)}' is not a month; write it as YYYY-MM, e.g. \"2022-09\"")
        months.append(f"{month[0]:04d}-{month[1]:02d}")
    if months[1] < months[0] or (kind == "change" and months[1] == months[0]):
        raise doc.error(place + (keys[1],), f"{months[1]} must come after {months[0]}")
    return months[0], months[1]


def _test(doc: Document, place: tuple, item: dict, kind: str) -> tuple[int, float]:
    """(direction, threshold) of the comparison the target makes."""
    if kind == "order":
        return 1, 0.0
    if kind == "change":
        direction = item.get("direction")
        if direction not in ("up", "down"):
            raise doc.error(place + ("direction",), "a change needs 'direction: up' or 'direction: down'")
        return (1 if direction == "up" else -1), _number(doc, place + ("by",), item.get("by", MIN_CHANGE))
    bounds = [key for key in ("above", "below") if key in item]
    if len(bounds) != 1:
        raise doc.error(place, "a level needs exactly one of 'above:' or 'below:'")
    return (1 if bounds[0] == "above" else -1), _number(doc, place + (bounds[0],), item[bounds[0]])


def _number(doc: Document, place: tuple, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise doc.error(place, f"expected a number from 0 to 1, got {value!r}")
    return float(value)


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
