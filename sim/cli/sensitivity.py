"""`alliance-sim sensitivity`: the arguments of a sensitivity analysis (the analysis is sim.experiments.sensitivity)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.arguments import positive_int, seed_int
from sim.experiments.sensitivity import METHODS, analyse
from sim.inputs.documents import InputError, suggest


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `sensitivity` subcommand."""
    sen = subparsers.add_parser("sensitivity", help="rank the global parameters by their effect on the outcomes")
    sen.add_argument("scenario", type=Path, help="scenario YAML, e.g. scenarios/baseline.yaml")
    sen.add_argument("--method", choices=METHODS, default="morris", help="morris: screening; sobol: variance shares")
    sen.add_argument(
        "--samples",
        type=positive_int,
        default=20,
        help="Morris trajectories, or Sobol base samples (a power of 2); default 20",
    )
    sen.add_argument("--runs", type=positive_int, default=8, help="replicates averaged per sample point (default 8)")
    sen.add_argument("--seed", type=seed_int, default=0, help="seed fixing the design and every run (default 0)")
    sen.add_argument("--out", type=Path, help="output folder (default results/sensitivity/<scenario>-<method>)")
    sen.add_argument("--parameters", help="comma-separated parameters to vary (default all)")
    sen.add_argument("--power", default="Russia", help="outcomes: final shares with this power (default Russia)")
    sen.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    sen.set_defaults(func=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    names = parameter_names(args.parameters)
    indices, out = analyse(
        args.scenario, args.method, args.samples, args.runs, args.seed, args.out, names, args.power, args.force
    )
    key = "mu_star" if args.method == "morris" else "ST"
    for outcome in ("mean hedging", f"mean {args.power} share"):
        top = indices[indices["outcome"] == outcome].nlargest(3, key)
        print(
            f"{outcome}: most influential "
            + ", ".join(f"{p} ({v:.3g})" for p, v in zip(top["parameter"], top[key], strict=True))
        )
    print(f"wrote {out}")
    return 0


def parameter_names(text: str | None) -> list[str]:
    """The parameters to vary: all, or a comma-separated choice checked against the known names."""
    from sim.inputs.parameters import BY_NAME

    if not text:
        return list(BY_NAME)
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in BY_NAME:
            raise InputError(f"--parameters: unknown parameter '{name}'{suggest(name, BY_NAME)}")
    if len(names) < 2 or len(set(names)) != len(names):
        raise InputError("--parameters: name at least two different parameters")
    return names
