"""`alliance-sim compare` and `alliance-sim report`: scenarios side by side, and pages to send to readers.

The first folder given to `compare` is the reference: every difference is another scenario minus it.
A point of a batch folder is named ``DIR:point=N`` and compared like a scenario of its own.
"""

from __future__ import annotations

import argparse
import shlex
from datetime import UTC, datetime
from pathlib import Path

#: Default horizon besides the last month: mid-way through the projection.
MIDWAY = "2025-12"
#: Peak memory of a comparison: fixed (the histograms, the figures, the interpreter) plus per folder (one block
#: of runs read at a time), and seconds per trajectory row read (measured with two baseline folders).
FIXED_MEMORY, FOLDER_MEMORY, ROW_SECONDS = 700e6, 150e6, 2e-7
#: Differences printed on the terminal after `compare`.
SHOWN = 3


def register(subparsers) -> None:
    """Add the `compare` and `report` subcommands."""
    compare = subparsers.add_parser(
        "compare",
        help="compare scenarios' results folders: differences, dominant partners, plots and a report page",
        description="Compare the results folders of two or more scenarios over the same states, powers and months. "
        "The first is the reference: every difference is another scenario minus it. Runs are paired (run i with "
        "run i: common random numbers) when both folders used the same seed and runs, which narrows the bands. "
        "A point of a batch folder is named DIR:point=N. Writes report.html, dominant_probabilities.csv, "
        "alignment_differences.csv, manifest.json and plots/ into --out.",
    )
    compare.add_argument("reference", metavar="DIR_A", help="reference results folder (differences are minus this)")
    compare.add_argument(
        "others", metavar="DIR_B", nargs="+", help="results folders to compare with it; a batch point as DIR:point=N"
    )
    compare.add_argument("--out", type=Path, required=True, help="output folder for tables, plots and report.html")
    compare.add_argument(
        "--horizons",
        metavar="MONTHS",
        help=f"months for the dominant-partner tables and grids, e.g. {MIDWAY},2030-12 "
        f"(default {MIDWAY} if covered, and the last month)",
    )
    compare.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    compare.set_defaults(func=cmd_compare)

    report = subparsers.add_parser("report", help="write one self-contained HTML page of a run's results")
    report.add_argument("folder", type=Path, metavar="RESULTS_DIR", help="a folder written by 'alliance-sim run'")
    report.add_argument("--out", type=Path, help="HTML file to write (default RESULTS_DIR/report.html)")
    report.set_defaults(func=cmd_report)


def cmd_compare(args: argparse.Namespace) -> int:
    specs = [args.reference, *args.others]
    out = compare(specs, args.out, args.horizons, args.force)
    print(largest_differences(out))
    print(f"wrote {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.outputs.report import check_page, run_page, write_page

    path = args.out or args.folder / "report.html"
    check_page(path)
    path = write_page(run_page(args.folder), path)
    print(f"wrote {path}")
    return 0


def compare(specs: list[str], out: Path, horizons: str | None = None, force: bool = False) -> Path:
    """Compare the results folders `specs` (the first is the reference) and write tables, plots and report.html."""
    from sim.outputs.compare_plots import write_comparison_plots
    from sim.outputs.comparison import alignment_differences, dominant_probabilities, summarise
    from sim.outputs.destination import TOOL, check_target, staged
    from sim.outputs.folders import folder_of, load_outcomes, paired
    from sim.outputs.report import compare_page
    from sim.outputs.results import versions, write_json, write_table

    check_target(out, force, inputs=[folder_of(spec) for spec in specs])
    wanted = _parse_horizons(horizons)
    compare_cost(specs).check(out, f"comparing {len(specs)} folders", "compare fewer or smaller folders")
    outcomes = load_outcomes(specs)
    dates = outcomes[0].dates
    chosen = _choose_horizons(wanted, dates)
    ref = outcomes[0]
    pairing = [paired(ref, other) for other in outcomes[1:]]
    digests, bands = summarise(outcomes, pairing)
    probabilities = dominant_probabilities(outcomes, digests, chosen)
    alignment = alignment_differences(outcomes, digests, bands, pairing, sorted(set(chosen) | {dates[-1]}))
    manifest = {
        "tool": TOOL,
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
        "reference": ref.name,
        "pairing": {o.name: "paired" if p else "unpaired" for o, p in zip(outcomes[1:], pairing, strict=True)},
        "horizons": chosen,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "reproduce": shlex.join(["alliance-sim", "compare", *specs, "--out", str(out), "--horizons", ",".join(chosen)]),
    }
    with staged(out) as stage:
        write_table(probabilities, stage / "dominant_probabilities.csv")
        write_table(alignment, stage / "alignment_differences.csv")
        figures = write_comparison_plots(outcomes, digests, bands, pairing, chosen, stage / "plots")
        write_json(manifest, stage / "manifest.json")
        page = compare_page(outcomes, digests, pairing, probabilities, alignment, figures, manifest)
        (stage / "report.html").write_text(page, encoding="utf-8")
    return out


def compare_cost(specs: list[str]):
    """Memory (the rows read, their arrays and the run-by-run differences), disk (tables, plots, page) and time."""
    from sim.inputs.limits import Cost
    from sim.outputs.folders import stored_rows

    rows = [stored_rows(spec) for spec in specs]
    memory = FIXED_MEMORY + FOLDER_MEMORY * len(specs)
    return Cost(memory=memory, disk=50e6 * len(specs), seconds=ROW_SECONDS * sum(rows) * 2)


def largest_differences(out: Path, count: int = SHOWN) -> str:
    """The terminal's key numbers after `compare`: the largest changes in alignment at the last month whose
    band excludes zero, each with its 5–95% band (from the alignment_differences.csv just written)."""
    import pandas as pd

    from sim.outputs.comparison import clear_differences

    table = pd.read_csv(out / "alignment_differences.csv", dtype={"date": str})
    date = table["date"].max()
    clear = clear_differences(table, date)
    lines = [f"largest clear differences at {date} (scenario minus {table['reference'].iloc[0]}):"]
    for row in clear.head(count).itertuples():
        lines.append(
            f"  {row.scenario}: {row.state} with {row.power} {row.difference:+.2f} "
            f"(5-95% of run differences {row.difference_p05:+.2f} to {row.difference_p95:+.2f})"
        )
    return "\n".join(lines if len(clear) else [*lines, "  none: every band includes zero"])


def _parse_horizons(text: str | None) -> list[str] | None:
    from sim.inputs.documents import InputError, parse_month

    if text is None:
        return None
    months = [m.strip() for m in text.split(",") if m.strip()]
    if not months:
        raise InputError(f"--horizons: no month given in '{text}'; write months as YYYY-MM, e.g. {MIDWAY},2030-12")
    for month in months:
        if parse_month(month) is None:
            raise InputError(f"--horizons: '{month}' is not a month; write YYYY-MM, e.g. {MIDWAY}")
    return list(dict.fromkeys(months))


def _choose_horizons(wanted: list[str] | None, dates: list[str]) -> list[str]:
    from sim.inputs.documents import InputError

    if wanted is None:
        return [d for d in dict.fromkeys([MIDWAY, dates[-1]]) if d in dates]
    for month in wanted:
        if month not in dates:
            raise InputError(
                f"--horizons: {month} is outside the results ({dates[0]} to {dates[-1]}); choose months in that range"
            )
    return sorted(wanted)
