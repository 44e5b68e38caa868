"""`alliance-sim forecast` and `alliance-sim score`: freeze a scenario's projection as dated questions with
probabilities and quantiles, and score such a file against the facts when they arrive."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.arguments import positive_int, seed_int


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `forecast` and `score` subcommands."""
    fc = subparsers.add_parser(
        "forecast", help="freeze a scenario's projection as dated questions with probabilities, hashes and seed"
    )
    fc.add_argument("scenario", help="scenario YAML, or a shipped one's name (e.g. hindcast_2023_2025)")
    fc.add_argument("--out", type=Path, required=True, help="forecast file to write, .yaml or .json")
    fc.add_argument("--runs", type=positive_int, default=1000, help="Monte Carlo runs (default 1000)")
    fc.add_argument("--seed", type=seed_int, default=0, help="seed fixing every run (default 0)")
    fc.add_argument("--force", action="store_true", help="replace an existing forecast file")
    fc.set_defaults(func=cmd_forecast)

    sc = subparsers.add_parser("score", help="score a frozen forecast file against facts (Brier, log score, CRPS)")
    sc.add_argument("forecast", type=Path, help="forecast file written by `alliance-sim forecast`")
    sc.add_argument(
        "facts", type=Path, help="facts YAML: `facts:` mapping question ids to true/false or to the observed share"
    )
    sc.set_defaults(func=cmd_score)


def cmd_forecast(args: argparse.Namespace) -> int:
    from sim.experiments.forecast import make_forecast

    record, out = make_forecast(args.scenario, args.out, runs=args.runs, seed=args.seed, force=args.force)
    commit = record["git_commit"] or "no git commit (not made in a checkout)"
    asked = len(record["questions"])
    print(f"{asked} questions from {record['runs']} runs of {record['scenario']}, seed {record['seed']}")
    print(f"model {record['model_version']}, {commit}; file_sha256 {record['file_sha256']}")
    print(f"wrote {out}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from sim.experiments.forecast import score_forecast, score_lines

    print("\n".join(score_lines(score_forecast(args.forecast, args.facts), args.forecast)))
    return 0
