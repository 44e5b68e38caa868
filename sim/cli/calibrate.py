"""`alliance-sim calibrate` and `alliance-sim validate`: fit the global parameters to the documents'
stylized facts (calibration/targets.yaml), and check a scenario against them.

The fit is a differential evolution over the parameters the targets constrain. Each candidate is
simulated as several replicates with common random numbers, and a whole generation of candidates
goes through one ensemble call (one parameter value per run). Every evaluated point is kept: those
about as good as the best form an approximate posterior.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.arguments import positive_int, seed_int
from sim.inputs.documents import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `calibrate` and `validate` subcommands."""
    cal = subparsers.add_parser("calibrate", help="fit the global parameters to the documents' dated stylized facts")
    cal.add_argument(
        "--max-evals",
        type=positive_int,
        default=200,
        help="parameter points to evaluate in the search (default 200; at least 5)",
    )
    cal.add_argument("--runs", type=positive_int, default=16, help="replicates per parameter point (default 16)")
    cal.add_argument("--seed", type=seed_int, default=0, help="seed fixing the search and every run (default 0)")
    cal.add_argument("--out", type=Path, help="report folder (default results/calibration)")
    cal.add_argument("--scenario", type=Path, help="scenario to fit on (default scenarios/baseline.yaml)")
    cal.add_argument("--targets", type=Path, help="targets file (default calibration/targets.yaml)")
    cal.add_argument(
        "--fitted",
        type=Path,
        help="where to write the fitted values (default: calibration/fitted.yaml in a checkout, which becomes the "
        "model's defaults; fitted.yaml in the report folder for an installed package)",
    )
    cal.add_argument("--force", action="store_true", help="replace a non-empty report folder")
    cal.add_argument(
        "--resume",
        action="store_true",
        help="finish a fit that was interrupted, from the checkpoint in its report folder (same settings): it "
        "ends as the uninterrupted fit would",
    )
    cal.set_defaults(func=cmd_calibrate)

    val = subparsers.add_parser(
        "validate", help="score a scenario's runs, and six nulls, on the dated stylized facts (Brier, log score)"
    )
    val.add_argument("scenario", nargs="?", type=Path, help="scenario YAML (default scenarios/baseline.yaml)")
    val.add_argument(
        "--out",
        type=Path,
        help="output folder (default results/validation/<scenario name>, or <scenario name>-hindcast with --hindcast)",
    )
    val.add_argument("--runs", type=positive_int, default=100, help="Monte Carlo runs (default 100)")
    val.add_argument("--seed", type=seed_int, default=1, help="seed fixing every run (default 1)")
    val.add_argument("--targets", type=Path, help="targets file (default calibration/targets.yaml)")
    val.add_argument(
        "--hindcast",
        action="store_true",
        help="score the projection against calibration/hindcast.yaml: public-record facts after early 2023, "
        "which calibrate never reads",
    )
    val.add_argument(
        "--fitted-point",
        action="store_true",
        help="score the fitted parameters alone, with the monthly shocks but no posterior or evidence draws "
        "(default: every run its own draws, as `run` shows)",
    )
    val.add_argument(
        "--ablation",
        action="store_true",
        help="toggle each of the agents' mechanisms alone (off where the scenario has it on, on where it is off) "
        "and score the model in and out of sample with and without it (default folder "
        "results/validation/<scenario name>-ablation)",
    )
    val.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    val.set_defaults(func=cmd_validate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.experiments.calibration import FITTED, calibrate

    fit = calibrate(
        max_evals=args.max_evals,
        runs=args.runs,
        seed=args.seed,
        out=args.out,
        scenario_path=args.scenario,
        targets_path=args.targets,
        fitted_path=args.fitted,
        force=args.force,
        resume=args.resume,
    )
    print(
        f"fitted {len(FITTED)} parameters in {fit.seconds:.1f} s: {fit.met} of {fit.n_targets} targets met, "
        f"loss {fit.loss:.3f}"
    )
    posterior = fit.posterior
    print(
        f"posterior: {len(posterior.points)} points, effective size {posterior.effective_size:.0f}, tolerance "
        f"{posterior.epsilon:.3f}, {posterior.evaluations:,} candidates; acceptance by generation: "
        + " ".join(f"{g.acceptance:.0%}" for g in posterior.generations)
    )
    print(f"wrote {fit.fitted_path} and {fit.out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.experiments.uncertainty import SOURCES
    from sim.experiments.validation import FITTED_POINT, conditional_lines, summary_lines, validate

    if args.hindcast and args.targets:
        raise InputError("--hindcast and --targets: choose one (--hindcast reads calibration/hindcast.yaml)")
    if args.ablation:
        return ablation_command(args)
    frame, scores, out, conditional = validate(
        args.scenario,
        args.out,
        runs=args.runs,
        seed=args.seed,
        targets_path=args.targets,
        force=args.force,
        hindcast=args.hindcast,
        fitted_point=args.fitted_point,
    )
    label = "out of sample (hindcast)" if args.hindcast else "in sample (targets)"
    sources = FITTED_POINT if args.fitted_point else SOURCES
    print(
        "\n".join(summary_lines(frame, scores, label + (", unconditional" if conditional else ""), args.runs, sources))
    )
    for _, row in frame[~frame["met"]].iterrows():
        print(f"  unmet: {row['target']} [{row['date']}] expected {row['expected']}, observed {row['observed']:+.3f}")
    if conditional is not None:
        label = "out of sample (hindcast), conditional on the shocks of 2023-2025 (scenarios/hindcast_2023_2025.yaml)"
        print("\n".join(summary_lines(*conditional, label, args.runs, sources)))
        print("each fact's probability, unconditional and conditional, largest change first:")
        print("\n".join(conditional_lines(frame, conditional[0])))
    print(f"wrote {out}")
    return 0


def ablation_command(args: argparse.Namespace) -> int:
    from sim.experiments.ablation import ablation_lines, validate_ablation

    if args.hindcast or args.targets:
        raise InputError(
            "--ablation scores both calibration/targets.yaml and calibration/hindcast.yaml: leave out "
            "--hindcast and --targets"
        )
    frame, out = validate_ablation(args.scenario, args.out, args.runs, args.seed, args.fitted_point, args.force)
    print("\n".join(ablation_lines(frame)))
    print(f"wrote {out}")
    return 0
