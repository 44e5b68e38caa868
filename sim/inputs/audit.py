"""Where the starting numbers come from: the tables of calibration/AUDIT.md.

Each number of a scenario's starting world (per state: six pair attributes with each power and three
threats; per power: capability, free capacity, leverage) is derived from the evidence entries that give
it a value. It is counted by the kind of those entries: documents only, documents and structural
(public-record) entries, structural entries only, or none (a named assumption). Numbers resting on a
single entry, and those whose single entry is a document read with confidence 0.6 or less, are listed
too. The grid is the one `sim.model.world.prepare` derives (a test holds the two in step).

    python -m sim.inputs.audit [EVIDENCE.yaml]    # print the tables, for the shipped evidence or another file
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sim.inputs.evidence import Derived, Entry, Evidence, load_evidence
from sim.inputs.packaged import BASELINE, EVIDENCE
from sim.inputs.scenario import load_scenario
from sim.inputs.vocabulary import PAIR_ATTRIBUTES, POWER_ATTRIBUTES, STATE_ATTRIBUTES

#: How a starting number is sourced, in the order the table shows.
KINDS = ("document", "document+structural", "structural", "assumption")
#: A document entry at or below this confidence, alone behind a number, is listed as thin.
THIN = 0.6
POWERS_ROW = "(powers)"


def starting_numbers(evidence: Evidence, states: list[str], powers: list[str]) -> dict[tuple, Derived]:
    """Every starting number, keyed (attribute, state or None, power or None), with the entries behind it."""
    keys = [(a, s, p) for a in PAIR_ATTRIBUTES for s in states for p in powers]
    keys += [(a, s, None) for a in STATE_ATTRIBUTES for s in states]
    keys += [(a, None, p) for a in POWER_ATTRIBUTES for p in powers]
    return {key: evidence.derive(*key) for key in keys}


def kind(valued: list[Entry]) -> str:
    """The kind of source behind a number, from the entries that give it a value."""
    structural = {e.document == "structural" for e in valued}
    if not structural:
        return "assumption"
    if len(structural) == 2:
        return "document+structural"
    return "structural" if structural == {True} else "document"


@dataclass
class Audit:
    """Counts per row (a state, or the powers) and kind; the numbers resting on one thin document entry."""

    rows: list[str]
    counts: Counter = field(default_factory=Counter)
    single: Counter = field(default_factory=Counter)
    thin: list[tuple[str, str, float, Entry]] = field(default_factory=list)

    def row(self, name: str) -> list[int]:
        """A row's numbers per kind, its numbers resting on one entry, and its total."""
        names = self.rows if name == "all" else [name]
        by_kind = [sum(self.counts[r, k] for r in names) for k in KINDS]
        return [*by_kind, sum(self.single[r] for r in names), sum(by_kind)]

    def tables(self) -> str:
        """The two markdown tables of calibration/AUDIT.md."""
        lines = ["| state | " + " | ".join(KINDS) + " | one entry | total |", "|---|" + "---|" * (len(KINDS) + 2)]
        lines += [f"| {r} | " + " | ".join(map(str, self.row(r))) + " |" for r in [*self.rows, "all"]]
        lines += [
            "",
            "| state | number | value | its only entry | document | confidence |",
            "|---|---|---|---|---|---|",
        ]
        lines += sorted(
            f"| {r} | {number} | {value:.2f} | `{e.id}` | {e.document[:3]} | {e.confidence} |"
            for r, number, value, e in self.thin
        )
        return "\n".join(lines)


def audit(evidence_path: Path | str = EVIDENCE, scenario_path: Path | str = BASELINE) -> Audit:
    """Count the scenario's starting numbers by the kind of source behind each (events are not read)."""
    evidence = load_evidence(evidence_path)
    scenario = load_scenario(scenario_path, evidence)
    result = Audit([*scenario.states, POWERS_ROW])
    for (attribute, state, power), derived in starting_numbers(evidence, scenario.states, scenario.powers).items():
        valued = [evidence.by_id[i] for i in derived.ids if i in evidence.by_id and evidence.by_id[i].value is not None]
        row = state or POWERS_ROW
        result.counts[row, kind(valued)] += 1
        result.single[row] += len(valued) == 1
        if len(valued) == 1 and valued[0].document != "structural" and valued[0].confidence <= THIN:
            result.thin.append((row, f"{attribute} {power or ''}".rstrip(), derived.value, valued[0]))
    return result


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    print(audit(args[0] if args else EVIDENCE).tables())


if __name__ == "__main__":
    main()
