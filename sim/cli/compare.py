"""`alliance-sim compare`, `report` and `brief`: the arguments; the work is `sim.compare` (a comparison of
results folders), `sim.outputs.report` (a run's page) and `sim.outputs.brief` (its one-page PDF)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.arguments import add_figures

#: Differences printed on the terminal after `compare`.
SHOWN = 3


def register(subparsers) -> None:
    """Add the `compare`, `report` and `brief` subcommands."""
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
        help="months for the dominant-partner tables and grids, e.g. 2025-12,2030-12 "
        "(default: 2025-12, mid-way through the projection, if covered, and the last month)",
    )
    add_figures(compare, besides=" (the PNG that report.html embeds is written anyway)")
    compare.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    compare.set_defaults(func=cmd_compare)

    report = subparsers.add_parser("report", help="write one self-contained HTML page of a run's results")
    report.add_argument("folder", type=Path, metavar="RESULTS_DIR", help="a folder written by 'alliance-sim run'")
    report.add_argument("--out", type=Path, help="HTML file to write (default RESULTS_DIR/report.html)")
    report.set_defaults(func=cmd_report)

    brief = subparsers.add_parser(
        "brief",
        help="write a one-page PDF brief of a run's results",
        description="One A4 page for a briefing: the question, the findings, the summary figure, where the spread "
        "comes from, and the sources with the command that made the runs.",
    )
    brief.add_argument("folder", type=Path, metavar="RESULTS_DIR", help="a folder written by 'alliance-sim run'")
    brief.add_argument("--out", type=Path, help="PDF file to write (default RESULTS_DIR/brief.pdf)")
    brief.set_defaults(func=cmd_brief)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.api import compare
    from sim.outputs.compare_folders import largest_differences

    folders = [args.reference, *args.others]
    comparison = compare(folders, args.out, horizons=args.horizons, force=args.force, figures=args.figures)
    print(largest_differences(comparison.alignment_differences, SHOWN))
    print(f"wrote {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.outputs.report import check_page, run_page, write_page

    path = args.out or args.folder / "report.html"
    check_page(path)
    path = write_page(run_page(args.folder), path)
    print(f"wrote {path}")
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    from sim.outputs.brief import write_brief

    print(f"wrote {write_brief(args.folder, args.out)}")
    return 0
