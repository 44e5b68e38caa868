"""Evidence from the documents and the attributes derived from it.

Each entry of `calibration/evidence.yaml` informs one attribute of some states and/or a power.
A level is the confidence-weighted mean of the entries that give a value (a named assumption
when none does), moved by `DIRECTION_STEP` x confidence for each entry that only says up or down.
Every derived number keeps the ids of the entries, or of the assumption, behind it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.inputs.documents import Document, load_yaml, read_once, suggest
from sim.inputs.geography import BLOCS
from sim.inputs.packaged import EVIDENCE
from sim.inputs.sources import documents
from sim.inputs.vocabulary import PAIR_ATTRIBUTES, POWER_ATTRIBUTES, STATE_ATTRIBUTES, STRUCTURE

if TYPE_CHECKING:
    from sim.inputs.schema import EvidenceEntry


@dataclass(frozen=True)
class Assumption:
    """A level taken where no entry speaks: a weak "little or none", named so that it can be traced."""

    id: str
    value: float
    reason: str


#: The assumption behind each attribute where no evidence entry gives a value.
ASSUMPTIONS: dict[str, Assumption] = {
    "alignment": Assumption("assume-alignment-slight", 0.1, "no documented tie: a slight lean a power can build on"),
    "economic": Assumption("assume-economic-minor", 0.05, "no documented trade, energy, remittance or investment tie"),
    "security": Assumption("assume-security-none", 0.0, "no documented base, arms supply, treaty or training"),
    "regime": Assumption("assume-regime-none", 0.0, "no documented backing of the ruling group"),
    "coercion": Assumption("assume-coercion-none", 0.0, "no documented threat from the power"),
    "credibility": Assumption("assume-credibility-none", 0.3, "no record as a guarantor"),
    "neighbour_threat": Assumption("assume-neighbour-threat-low", 0.1, "no documented dispute with a neighbour"),
    "insurgent_threat": Assumption("assume-insurgent-threat-low", 0.05, "no documented militant spill-over risk"),
    "acute_threat": Assumption("assume-acute-threat-none", 0.0, "no crisis under way at the start"),
    "capability": Assumption("assume-capability-modest", 0.3, "no documented means to project weight into the region"),
    "free_capacity": Assumption("assume-free-capacity-high", 0.8, "no documented commitment tying it down elsewhere"),
    "leverage": Assumption("assume-leverage-none", 0.0, "no documented need for clients in the region"),
}
ASSUMPTIONS_BY_ID: dict[str, Assumption] = {a.id: a for a in ASSUMPTIONS.values()}
DIRECTION_STEP = 0.1


@dataclass
class Entry:
    id: str
    document: str
    claim: str
    kind: str
    attribute: str
    confidence: float
    states: tuple[str, ...] = ()
    power: str | None = None
    value: float | None = None
    direction: int = 0
    date: str | None = None
    bloc: str | None = None
    neighbours: tuple[str, ...] = ()
    source: str | None = None


@dataclass
class Derived:
    """One attribute's starting level and the ids of the entries (or the assumption) behind it."""

    value: float
    ids: list[str] = field(default_factory=list)


class Evidence:
    """All entries, indexed for deriving the starting attributes."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self._levels: dict[tuple, list[Entry]] = defaultdict(list)
        for e in entries:
            if e.kind == "level" and e.attribute not in STRUCTURE:
                for key in _keys(e):
                    self._levels[key].append(e)

    def derive(self, attribute: str, state: str | None = None, power: str | None = None) -> Derived:
        """Starting level of an attribute for a state, a power or a state-power pair."""
        found = self._levels.get((attribute, state, power), [])
        valued = [e for e in found if e.value is not None]
        ids = [e.id for e in found]
        if valued:
            weights = np.array([e.confidence for e in valued])
            level = float(np.average([e.value for e in valued], weights=weights if weights.sum() else None))
        else:
            level = ASSUMPTIONS[attribute].value
            ids.append(ASSUMPTIONS[attribute].id)
        level += sum(DIRECTION_STEP * e.confidence * e.direction for e in found)
        return Derived(float(np.clip(level, 0.0, 1.0)), ids)

    def members(self, bloc: str) -> set[str]:
        return {s for e in self.entries if e.attribute == "membership" and e.bloc == bloc for s in e.states}

    def borders(self) -> set[frozenset[str]]:
        return self.pairs("border")

    def rivalries(self) -> set[frozenset[str]]:
        """Pairs of states in open conflict: they push each other away from their partners."""
        return self.pairs("rivalry")

    def pairs(self, attribute: str) -> set[frozenset[str]]:
        return {
            frozenset((s, n)) for e in self.entries if e.attribute == attribute for s in e.states for n in e.neighbours
        }


def _keys(e: Entry) -> list[tuple]:
    if e.attribute in POWER_ATTRIBUTES:
        return [(e.attribute, None, e.power)]
    if e.attribute in STATE_ATTRIBUTES:
        return [(e.attribute, s, None) for s in e.states]
    return [(e.attribute, s, e.power) for s in e.states]


def load_evidence(path: Path | str = EVIDENCE) -> Evidence:
    """Read and check the evidence file, once per version of it; InputError names the entry and field at fault."""
    return _load_evidence(path)


@read_once
def _load_evidence(path: Path) -> Evidence:
    from sim.inputs.problems import check
    from sim.inputs.schema import EvidenceFile  # pydantic is loaded when a file is read: --help stays quick

    doc = load_yaml(path, "evidence")
    spec = check(doc, EvidenceFile)
    seeds = documents()
    entries, seen = [], set()
    for i, item in enumerate(spec.entries):
        entry = _entry(doc, ("entries", i), item, seeds)
        if entry.id in seen:
            raise doc.error(("entries", i, "id"), f"duplicate id '{entry.id}'; ids must be unique")
        seen.add(entry.id)
        entries.append(entry)
    return Evidence(entries)


def _entry(doc: Document, place: tuple, item: EvidenceEntry, seeds: set[str]) -> Entry:
    """An entry whose fields agree with one another and whose document is a listed source."""
    attribute, states = item.attribute, item.states or []
    if item.document == "structural":
        if not item.source:
            raise doc.error(place, "a structural entry needs 'source:' naming where the fact comes from")
    elif item.document not in seeds:
        raise doc.error(
            place + ("document",),
            f"'{item.document}' is not one of the documents{suggest(item.document, sorted(seeds))}",
        )
    if item.kind == "change" and item.date is None:
        raise doc.error(place + ("date",), "a change entry needs date: YYYY-MM")
    if attribute in PAIR_ATTRIBUTES + POWER_ATTRIBUTES and item.power is None:
        raise doc.error(place, f"attribute '{attribute}' needs 'power:'")
    if attribute in PAIR_ATTRIBUTES + STATE_ATTRIBUTES + STRUCTURE and not states:
        raise doc.error(place, f"attribute '{attribute}' needs 'states:'")
    if attribute == "membership" and item.bloc is None:
        raise doc.error(place + ("bloc",), f"membership needs 'bloc:', one of {', '.join(BLOCS)}")
    if item.value is not None and item.direction is not None:
        raise doc.error(place, "give either value or direction, not both")
    return Entry(
        id=item.id,
        document=item.document,
        claim=item.claim,
        kind=item.kind,
        attribute=attribute,
        confidence=item.confidence,
        states=tuple(states),
        power=item.power,
        value=item.value,
        direction={"up": 1, "down": -1}.get(item.direction, 0),
        date=item.date,
        bloc=item.bloc,
        neighbours=tuple(item.neighbours or ()),
        source=item.source,
    )
