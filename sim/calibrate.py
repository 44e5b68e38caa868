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

from .cli import positive_int, seed_int
from .inputs import InputError
from .parameters import UTILITY_WEIGHTS

#: Parameters the fit adjusts: the utility weights and the rates the targets constrain.
FITTED = ("adjustment_rate", *UTILITY_WEIGHTS, "appeal_failure_penalty", "reputation_spillover", "affinity_shrinkage")
#: Parameters held at their built-in defaults, and why (the fit report sweeps each across its range).
HELD = {
    "shock_scale": "stands for unmodelled month-to-month events, whose size no document reports; the targets only "
    "bound it from above (noise erodes the leads the order targets ask for), so fitting it would drive it toward "
    "a model without chance",
    "dependence_build_rate": "turns outreach into dependence over years: across its whole range it changes no "
    "target's outcome within the window",
    "appeal_success_gain": "the credibility an answered appeal earns; no document reports it, and across its range "
    "it changes no target's outcome",
    "outreach_fade": "how fast a one-off push (a visit, an exercise) fades back to the strategy's level; the "
    "documents date such pushes but not how long they last, and most fall late in the window: held at a half-life "
    "of about four months",
    "credibility_recovery": "no document reports credibility recovering (the reported falls come at most six months "
    "before the window ends); across its range it changes no target's outcome",
    "rerouting_rate": "how fast trade and energy routes follow a state's leaning: a self-reinforcing loop the "
    "27-month window cannot pin down; held at the pace the documents report for Kazakhstan's oil (about 1.5 of "
    "some 70 million tonnes a year sent around Russia in 2022, 004_aaee4ce7cbe7aa07.txt): 0.002 a month",
    "responsiveness": "how fast an adaptive power moves its effort; no document reports a reallocation's speed, and "
    "the window is too short for reallocations to show in the targets: held at a fifth of the gap a month",
    "max_reallocation": "cap on a month's reallocation (two points of a power's budget per state): a bureaucratic "
    "limit no document measures",
    "rivalry_weight": "how much rivals' engagement raises a state's value to a power holding it; no document "
    "measures it: held at 1 (defending a share counts as much as gaining one)",
    "coercion_trigger": "the drift a power tolerates before pressing (three points below the share it remembers); "
    "the documents report coercive words but not the drift that set them off",
    "appeal_threshold": "acute threat at which a state calls for help: half the scale, a crisis rated serious; "
    "the documented calls (Kazakhstan's unrest, the attack on Armenia) lie above it",
    "acute_fade": "a crisis's acute phase halves each month: the documented ones (the January 2022 unrest, the "
    "September 2022 shelling) were over within weeks",
    "freeze_threshold": "credibility below which a security bloc's member starts counting months: 0.3, the "
    "credibility the evidence gives a power with no record as a guarantor",
    "freeze_months": "a year of low credibility before a member freezes its participation; no document reports "
    "the delay",
}
#: Public-record facts after the documents' window: scored by `validate --hindcast`, never read by `calibrate`.
HINDCAST = Path(__file__).resolve().parent.parent / "calibration" / "hindcast.yaml"
#: Width (in 0-1 units) of the smooth hinge: a target missed by this much costs about one unmet target.
SMOOTHING = 0.02
#: Weight of the weak pull toward the built-in defaults: moving one parameter across half its search range
#: costs PRIOR_WEIGHT / 4, so the targets decide wherever they carry information.
PRIOR_WEIGHT = 1.0
#: Approximate posterior: evaluated points meeting as many targets as the best, with loss within this of it.
TOLERANCE = 1.0
#: The best candidates of the search are re-run with REPLICATION x the replicates to pick the fitted point.
RECHECK, REPLICATION = 8, 4
#: Most runs simulated in one call (bounds memory; any chunking gives the same numbers).
CHUNK = 4000
CALIBRATION_OUT = Path("results") / "calibration"


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
    cal.add_argument("--out", type=Path, default=CALIBRATION_OUT, help=f"report folder (default {CALIBRATION_OUT})")
    cal.add_argument("--scenario", type=Path, help="scenario to fit on (default scenarios/baseline.yaml)")
    cal.add_argument("--targets", type=Path, help="targets file (default calibration/targets.yaml)")
    cal.add_argument(
        "--fitted",
        type=Path,
        help="where to write the fitted values (default calibration/fitted.yaml, which becomes the model's defaults)",
    )
    cal.add_argument("--force", action="store_true", help="replace a non-empty report folder")
    cal.set_defaults(func=cmd_calibrate)

    val = subparsers.add_parser("validate", help="check a scenario's runs against the dated stylized facts")
    val.add_argument("scenario", nargs="?", type=Path, help="scenario YAML (default scenarios/baseline.yaml)")
    val.add_argument("--out", type=Path, help="output folder (default results/validation/<scenario name>)")
    val.add_argument("--runs", type=positive_int, default=100, help="Monte Carlo runs (default 100)")
    val.add_argument("--seed", type=seed_int, default=1, help="seed fixing every run (default 1)")
    val.add_argument("--targets", type=Path, help="targets file (default calibration/targets.yaml)")
    val.add_argument(
        "--hindcast",
        action="store_true",
        help="score the projection against calibration/hindcast.yaml: public-record facts after early 2023, "
        "which calibrate never reads",
    )
    val.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    val.set_defaults(func=cmd_validate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibration_fit import calibrate

    fit = calibrate(
        max_evals=args.max_evals,
        runs=args.runs,
        seed=args.seed,
        out=args.out,
        scenario_path=args.scenario,
        targets_path=args.targets,
        fitted_path=args.fitted,
        force=args.force,
    )
    print(
        f"fitted {len(FITTED)} parameters in {fit.seconds:.1f} s: {fit.met} of {fit.n_targets} targets met, "
        f"loss {fit.loss:.3f}"
    )
    print(f"wrote {fit.fitted_path} and {fit.out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .calibration_fit import validate
    from .validation import summary_lines

    if args.hindcast and args.targets:
        raise InputError("--hindcast and --targets: choose one (--hindcast reads calibration/hindcast.yaml)")
    targets = HINDCAST if args.hindcast else args.targets
    frame, out = validate(
        args.scenario, args.out, runs=args.runs, seed=args.seed, targets_path=targets, force=args.force
    )
    print("\n".join(summary_lines(frame, "out of sample (hindcast)" if args.hindcast else "in sample (targets)")))
    for _, row in frame[~frame["met"]].iterrows():
        print(f"  unmet: {row['target']} [{row['date']}] expected {row['expected']}, observed {row['observed']:+.3f}")
    print(f"wrote {out}")
    return 0
