"""Comparing results folders: the tables of differences and dominant partners, and the folder that holds them
with plots and a report page.

The first folder is the reference: every difference is another scenario minus it. A point of a batch folder
is named ``DIR:point=N`` and compared like a scenario of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.inputs.documents import InputError, parse_month
from sim.inputs.limits import Cost
from sim.outputs.compare_plots import write_comparison_plots
from sim.outputs.comparison import (
    Comparison,
    alignment_differences,
    clear_differences,
    dominant_probabilities,
    events_compared,
    shares_compared,
    summarise,
)
from sim.outputs.folders import Outcome, event_log, folder_of, load_outcomes, paired, run_table, stored_rows
from sim.outputs.report import compare_page
from sim.outputs.results import provenance, write_table
from sim.outputs.writer import Folder, Invocation, write_results

#: Default horizon besides the last month: mid-way through the projection.
MIDWAY = "2025-12"
#: Peak memory of a comparison: fixed (the histograms, the figures, the interpreter) plus per folder (one block
#: of runs read at a time), and seconds per trajectory row read (measured with two baseline folders).
FIXED_MEMORY, FOLDER_MEMORY, ROW_SECONDS = 700e6, 150e6, 2e-7


def compare_folders(
    specs: list[str],
    out: Path | None = None,
    horizons: str | list[str] | None = None,
    force: bool = False,
    figures: tuple[str, ...] = ("png",),
) -> Comparison:
    """Compare the results folders `specs` (the first is the reference); with `out`, also write the tables,
    plots (each in the `figures` formats and as PNG, which report.html embeds, with its caption and source
    inside), manifest and report.html there.
    `horizons`: months for the dominant-partner tables (a list, or comma-separated text), by default MIDWAY if
    covered and the last month."""
    specs = [str(spec) for spec in specs]
    wanted = _parse_horizons(horizons)
    what, fix = f"comparing {len(specs)} folders", "compare fewer or smaller folders"
    if out is None:
        compare_cost(specs).check(None, what, fix)
        return _compare(specs, wanted)
    done: list[Comparison] = []

    def write(stage: Path) -> dict[str, Any]:
        done.append(_compare(specs, wanted))
        return _write(done[0], stage, ("png", *(kind for kind in figures if kind != "png")))

    def page(stage: Path, manifest: dict[str, Any]) -> None:
        comparison = done[0]
        page = compare_page(comparison, manifest, Path(out))
        (stage / "report.html").write_text(page, encoding="utf-8")

    def reproduce() -> Invocation:
        options = {"out": str(out), "horizons": done[0].horizons, "figures": figures}
        return Invocation("compare", tuple(specs), options)

    target = Folder(Path(out), force, tuple(folder_of(spec) for spec in specs))
    write_results(target, compare_cost(specs), what, fix, write, reproduce, after=page)
    comparison = done[0]
    comparison.figures = [(Path(out) / "plots" / path.name, caption) for path, caption in comparison.figures]
    return comparison  # its figures where the folder now holds them, no longer where they were staged


def _compare(specs: list[str], wanted: list[str] | None) -> Comparison:
    """The comparison's statistics, read a block of runs at a time."""
    outcomes = load_outcomes(specs)
    dates = outcomes[0].dates
    chosen = _choose_horizons(wanted, dates)
    pairing = [paired(outcomes[0], other) for other in outcomes[1:]]
    digests, bands = summarise(outcomes, pairing)
    probabilities = dominant_probabilities(outcomes, digests, chosen)
    alignment = alignment_differences(outcomes, digests, bands, pairing, sorted(set(chosen) | {dates[-1]}))
    logs = [event_log(o) for o in outcomes]
    events = None if any(log is None for log in logs) else events_compared(outcomes, logs)
    found = [
        _tallies(outcomes, "switches.csv", ["state", "date", "power"], ["p_dominant", "p_switched"]),
        _tallies(outcomes, "bloc_events.csv", ["state", "bloc", "date"], ["p_frozen_or_left", "p_left"]),
    ]
    return Comparison(outcomes, pairing, chosen, digests, bands, probabilities, alignment, events, *found)


def _tallies(outcomes: list[Outcome], name: str, keys: list[str], shares: list[str]) -> pd.DataFrame | None:
    """The folders' `name` tables compared (None if any folder lacks one)."""
    tables = [run_table(o, name, {*keys, *shares}) for o in outcomes]
    present = [table for table in tables if table is not None]
    return shares_compared(outcomes, present, keys, shares) if len(present) == len(tables) else None


def _write(comparison: Comparison, stage: Path, figures: tuple[str, ...]) -> dict[str, Any]:
    """Both tables and the plots, written into `stage`; what the manifest records."""
    outcomes, pairing, chosen = comparison.outcomes, comparison.pairing, comparison.horizons
    write_table(comparison.dominant_probabilities, stage / "dominant_probabilities.csv")
    write_table(comparison.alignment_differences, stage / "alignment_differences.csv")
    for table, name in (
        (comparison.events, "events_compared.csv"),
        (comparison.switches, "switches_compared.csv"),
        (comparison.blocs, "bloc_events_compared.csv"),
    ):
        if table is not None:
            write_table(table, stage / name)
    version = str(provenance()["alliance-sim"])
    comparison.figures = write_comparison_plots(
        outcomes, comparison.digests, comparison.bands, pairing, chosen, stage / "plots", figures, version
    )
    return {
        "compared": [
            {
                "folder": o.spec,
                "scenario": o.name,
                "seed": o.seed,
                "runs": o.runs,
                "reproduce": o.manifest.get("reproduce"),
            }
            for o in outcomes
        ],
        "reference": outcomes[0].name,
        "pairing": {o.name: "paired" if p else "unpaired" for o, p in zip(outcomes[1:], pairing, strict=True)},
        "horizons": chosen,
    }


def compare_cost(specs: list[str]) -> Cost:
    """Memory (the rows read, their arrays and the run-by-run differences), disk (tables, plots, page) and time."""
    rows = [stored_rows(spec) for spec in specs]
    memory = FIXED_MEMORY + FOLDER_MEMORY * len(specs)
    return Cost(memory=memory, disk=50e6 * len(specs), seconds=ROW_SECONDS * sum(rows) * 2)


def largest_differences(alignment: pd.DataFrame, count: int = 3) -> str:
    """The largest changes in alignment at the last month whose band excludes zero, each with its 5–95% band."""
    date = alignment["date"].max()
    clear = clear_differences(alignment, date)
    lines = [f"largest clear differences at {date} (scenario minus {alignment['reference'].iloc[0]}):"]
    for row in clear.head(count).itertuples():
        lines.append(
            f"  {row.scenario}: {row.state} with {row.power} {row.difference:+.2f} "
            f"(5-95% of run differences {row.difference_p05:+.2f} to {row.difference_p95:+.2f})"
        )
    return "\n".join(lines if len(clear) else [*lines, "  none: every band includes zero"])


def _parse_horizons(horizons: str | list[str] | None) -> list[str] | None:
    if horizons is None:
        return None
    text = horizons if isinstance(horizons, str) else ",".join(map(str, horizons))
    months = [m.strip() for m in text.split(",") if m.strip()]
    if not months:
        raise InputError(
            f"horizons: no month given in '{text}'; write months as YYYY-MM, e.g. {MIDWAY},2030-12", ("horizons",)
        )
    for month in months:
        if parse_month(month) is None:
            raise InputError(f"horizons: '{month}' is not a month; write YYYY-MM, e.g. {MIDWAY}", ("horizons",))
    return list(dict.fromkeys(months))


def _choose_horizons(wanted: list[str] | None, dates: list[str]) -> list[str]:
    if wanted is None:
        return [d for d in dict.fromkeys([MIDWAY, dates[-1]]) if d in dates]
    for month in wanted:
        if month not in dates:
            raise InputError(
                f"horizons: {month} is outside the results ({dates[0]} to {dates[-1]}); choose months in that range",
                ("horizons",),
            )
    return sorted(wanted)
