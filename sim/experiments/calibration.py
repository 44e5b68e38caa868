"""The fitting behind `alliance-sim calibrate`.

A candidate's loss is the number of targets it misses plus a smooth hinge (softplus) of each
target's margin, so the optimizer feels how far off a target is and keeps pushing met targets
away from their thresholds. Replicates of a candidate share their random streams (common random
numbers), so candidates differ by their parameters, not by luck.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.experiments.agreement import agreement
from sim.experiments.assumptions import FITTED, HELD, prior_bounds, priors_record
from sim.experiments.checkpoint import CHECKPOINT, Journal
from sim.experiments.points import simulate_points
from sim.experiments.posterior import Generation, Posterior, abc_smc
from sim.experiments.progress import progress
from sim.experiments.validation import assess, table, window
from sim.inputs.documents import InputError
from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.limits import WRITE_OVERHEAD, Cost, cell_bytes, simulation_seconds
from sim.inputs.packaged import BASELINE, EVIDENCE, IN_CHECKOUT, TARGETS, reference
from sim.inputs.packaged import FITTED as FITTED_FILE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Scenario, load_scenario
from sim.inputs.targets import Target, load_targets
from sim.model.ensemble import simulate
from sim.model.world import Setup, prepare
from sim.outputs.destination import replacing
from sim.outputs.fit_report import FitMethod, FitReport, fit_report
from sim.outputs.results import file_digest, scenario_record, write_table
from sim.outputs.writer import Folder, Invocation, stamped, write_results

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
CHUNK = 512
CALIBRATION_OUT = Path("results") / "calibration"

#: Smallest population differential evolution accepts.
MIN_POPULATION = 5
#: Levels of each held parameter's range tried in the report.
SWEEP = 5
#: First line of the fitted-values file: marks it as this command's, so --fitted replaces only a fit.
FITTED_HEADER = "# Global parameters fitted to the documents' stylized facts by `alliance-sim calibrate`."
#: Rank correlation from which a target counts as informing a parameter in the report.
INFORMS = 0.3
#: The ABC posterior: particles, generations at most, replicates per particle, and the file beside the fit.
ABC_POPULATION, ABC_GENERATIONS, ABC_RUNS = 300, 40, 8
#: The ABC posterior goes on (at its final tolerance) until its effective sample size reaches ABC_EFFECTIVE, or
#: until it has evaluated ABC_BUDGET candidates.
ABC_EFFECTIVE, ABC_BUDGET = 500, 40_000
POSTERIOR_FILE = "posterior.csv"


@dataclass
class Problem:
    """The scenario cut at the last target month, the targets, and the parameters being fitted."""

    setup: Setup
    targets: list[Target]
    names: tuple[str, ...]
    base: dict[str, float]
    journal: Journal | None = None  # every evaluation recorded (and replayed on --resume)

    @property
    def bounds(self) -> np.ndarray:
        """Each fitted parameter's prior range (`assumptions.PRIORS`): the search and the posterior stay in it."""
        return prior_bounds(self.names)

    def prior(self, points: np.ndarray) -> np.ndarray:
        """Weak pull toward the built-in defaults, so directions the targets leave flat stay near them:
        PRIOR_WEIGHT x sum of squared distances from the defaults, in units of each search range: (M,)."""
        low, high = self.bounds.T
        default = np.array([BY_NAME[n].default for n in self.names])
        return PRIOR_WEIGHT * (((points - default) / (high - low)) ** 2).sum(axis=1)

    def loss(self, points: np.ndarray, runs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Loss of each point (M,) and its target margins (M, K)."""
        margins = self.evaluate(points, runs, seed)[1]
        return target_loss(margins) + self.prior(points), margins

    def evaluate(self, points: np.ndarray, runs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Median observed value and margin of every target for each point (M, D): two (M, K) arrays.

        Point m's replicates are runs 0..runs-1 of `seed`, simulated together with the other points.
        """

        def simulated(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            values = dict(zip(self.names, points.T, strict=True))
            found = simulate_points(
                self.setup, self.base, values, runs, seed, lambda traj, count: assess(traj, self.targets, count), CHUNK
            )
            return np.concatenate([medians for medians, _ in found]), np.concatenate([margins for _, margins in found])

        if self.journal is None:
            return simulated(points)
        return self.journal.evaluate(f"{','.join(self.names)} x {runs} runs, seed {seed}", points, simulated)


def target_loss(margins: np.ndarray) -> np.ndarray:
    """Targets missed plus a softplus hinge of each margin (in SMOOTHING units), summed over targets."""
    return (margins <= 0).sum(axis=-1) + np.logaddexp(0.0, -margins / SMOOTHING).sum(axis=-1)


def unfitted(scenario: Scenario) -> dict[str, float]:
    """The values a fit starts from: every parameter at its built-in default (never a previous fit's value,
    which would hold a parameter no longer fitted where the last fit left it), the scenario's own choices over
    them."""
    chosen = {name: value for name, value in scenario.parameters.items() if name in scenario.chosen}
    return {name: spec.default for name, spec in BY_NAME.items()} | chosen


def problem_for(scenario: Scenario, targets: list[Target], evidence, names: tuple[str, ...] = FITTED) -> Problem:
    """Cut the scenario at the last month the targets look at (later months cannot change them)."""
    return Problem(window(scenario, targets, evidence), targets, names, dict(scenario.parameters))


@dataclass
class Search:
    """Every point the search evaluated, in order, with its loss and margins."""

    points: np.ndarray  # (N, D)
    margins: np.ndarray  # (N, K)
    losses: np.ndarray  # (N,)
    generation: np.ndarray  # (N,)

    @property
    def met(self) -> np.ndarray:
        return (self.margins > 0).sum(axis=1)

    def accepted(self) -> np.ndarray:
        """Points about as good as the best: as many targets met and loss within TOLERANCE."""
        best = int(np.argmin(self.losses))
        return (self.met >= self.met[best]) & (self.losses <= self.losses[best] + TOLERANCE)


def search(problem: Problem, max_evals: int, runs: int, seed: int) -> Search:
    """Differential evolution from a Latin-hypercube population; each generation is one batch of runs."""
    from scipy.optimize import differential_evolution
    from scipy.stats import qmc

    bounds = problem.bounds
    population = max(MIN_POPULATION, min(10 * len(problem.names), max_evals // 10))
    generations = max_evals // population
    init = qmc.scale(qmc.LatinHypercube(d=len(problem.names), rng=seed).random(population), *bounds.T)
    found: dict[str, list] = {"points": [], "margins": [], "losses": [], "generation": []}
    bar = progress(population * generations, "calibrate: search")

    def objective(x: np.ndarray) -> np.ndarray:
        points = x.T
        losses, margins = problem.loss(points, runs, seed)
        found["points"].append(points)
        found["margins"].append(margins)
        found["losses"].append(losses)
        found["generation"].append(np.full(len(points), len(found["losses"]) - 1))
        bar.update(len(points))
        every = np.concatenate(found["losses"])
        best = int(np.argmin(every))
        met = int((np.concatenate(found["margins"])[best] > 0).sum())
        bar.set_postfix(best_loss=f"{every[best]:.3f}", met=met)
        if problem.journal is not None:
            point = np.concatenate(found["points"])[best]
            values = {n: round(float(v), 5) for n, v in zip(problem.names, point, strict=True)}
            problem.journal.best(values, float(every[best]), met, len(every))
        return losses

    with bar:
        differential_evolution(
            objective,
            bounds,
            init=init,
            maxiter=generations - 1,
            tol=0.0,
            polish=False,
            vectorized=True,
            updating="deferred",
            rng=seed,
        )
    return Search(*(np.concatenate(found[k]) for k in ("points", "margins", "losses", "generation")))


def recheck(problem: Problem, found: Search, runs: int, seed: int) -> tuple[np.ndarray, float]:
    """Re-run the best few points with more replicates and fresh streams; return the best and its loss."""
    order = np.argsort(found.losses)
    _, unique = np.unique(found.points[order].round(12), axis=0, return_index=True)
    top = order[np.sort(unique)][:RECHECK]
    losses = problem.loss(found.points[top], runs * REPLICATION, seed + 1)[0]
    best = int(np.argmin(losses))
    return found.points[top[best]], float(losses[best])


@dataclass
class Fit:
    values: dict[str, float]
    loss: float
    met: int
    n_targets: int
    seconds: float
    out: Path
    fitted_path: Path
    posterior: Posterior


def calibrate(
    max_evals: int = 200,
    runs: int = 16,
    seed: int = 0,
    out: Path | None = None,
    scenario_path: Path | None = None,
    targets_path: Path | None = None,
    fitted_path: Path | None = None,
    force: bool = False,
    resume: bool = False,
) -> Fit:
    """Fit FITTED to the targets, write the fitted values and a report folder.

    While it runs the report folder holds a checkpoint (every evaluation so far and the best point); with `resume`
    a fit interrupted with the same settings replays it and ends as the uninterrupted fit would.

    By default the fit replaces the checkout's calibration/fitted.yaml (the model's new defaults); an installed
    package is never written into, so there the fit goes into the report folder unless `fitted_path` names a file."""
    if max_evals < MIN_POPULATION:
        raise InputError(f"max_evals {max_evals}: the search needs at least {MIN_POPULATION} points", ("max_evals",))
    started = time.perf_counter()
    out = Path(out or CALIBRATION_OUT)
    fitted_path = Path(fitted_path) if fitted_path else FITTED_FILE if IN_CHECKOUT else out / "fitted.yaml"
    if fitted_path.parent != out and not fitted_path.parent.is_dir():
        raise InputError(
            f"{fitted_path}: folder {fitted_path.parent} does not exist; choose another fitted-values file", ("fitted",)
        )
    evidence = load_evidence(EVIDENCE)
    scenario_path = Path(scenario_path or BASELINE)
    scenario = load_scenario(scenario_path, evidence)
    targets_path = Path(targets_path or TARGETS)
    targets = load_targets(targets_path, evidence)
    in_report = fitted_path.parent == out
    inputs = [scenario_path, targets_path] + ([] if in_report else [fitted_path])
    if not (force or resume) and (out / CHECKPOINT).is_dir():
        raise InputError(
            f"{out}: holds an interrupted fit; resume it to finish it, or force a new start", ("resume", "force")
        )
    if not in_report:
        _check_fitted_path(fitted_path, [scenario_path, targets_path])
    invocation = _invocation(max_evals, runs, seed, scenario_path, targets_path)
    work: list[Work] = []

    def fit() -> None:
        journal = _journal(out, resume, scenario, invocation, max_evals, runs, seed, targets_path)
        problem = replace(problem_for(scenario, targets, evidence), base=unfitted(scenario), journal=journal)
        work.append(
            _fit(problem, scenario, evidence, targets_path, fitted_path, invocation, max_evals, runs, seed, started)
        )

    def write(stage: Path) -> dict[str, Any]:
        done = work[0]
        write_table(done.evaluations, stage / "evaluations.csv")
        write_table(done.report.targets, stage / "targets.csv")
        write_table(done.report.projection, stage / "projection.csv")
        done.plots(stage / "plots")
        (stage / "fit_report.md").write_text(fit_report(done.report))
        fit_file = stage / fitted_path.name if in_report else fitted_path
        _write_yaml(done.report.record, fit_file)
        with replacing(fit_file.with_name(POSTERIOR_FILE)) as path:
            done.posterior.write(path)
        return {
            **scenario_record(scenario, EVIDENCE),
            "seed": seed,
            "runs_per_point": runs,
            "max_evals": max_evals,
            "evaluations": len(done.evaluations),
            "seconds": round(done.report.seconds, 1),
            "targets_file": reference(targets_path),
            "targets_sha256": file_digest(targets_path),
            "fitted": done.values,
        }

    write_results(
        Folder(out, force or resume, tuple(inputs)),
        _cost(scenario, max_evals, runs),
        f"calibration with {max_evals:,} points x {runs} runs",
        "use fewer evaluations or runs",
        write,
        invocation,
        settings=("max_evals", "runs"),
        before=fit,
        checkpointed=True,
    )
    done = work[0]
    met = int(done.report.targets["met"].sum())
    return Fit(done.values, done.loss, met, len(targets), done.report.seconds, out, fitted_path, done.posterior)


@dataclass
class Work:
    """What the fit found, before any of it is written: the report, every evaluation, the plots to draw, the
    posterior, the fitted values and their loss."""

    report: FitReport
    evaluations: pd.DataFrame
    plots: Callable[[Path], None]
    posterior: Posterior
    values: dict[str, float]
    loss: float


def _fit(
    problem: Problem,
    scenario: Scenario,
    evidence: Evidence,
    targets_path: Path,
    fitted_path: Path,
    invocation: Invocation,
    max_evals: int,
    runs: int,
    seed: int,
    started: float,
) -> Work:
    """The search, the recheck of its best points, the posterior and the checks: what the report folder shows."""
    targets = problem.targets
    found = search(problem, max_evals, runs, seed)
    best, best_loss = recheck(problem, found, runs, seed)
    values = {n: float(v) for n, v in zip(problem.names, best, strict=True)}
    check = simulate(problem.setup, runs * REPLICATION, seed + 1, {**problem.base, **values})
    frame = table(check, targets)
    outlook = projection(prepare(scenario, evidence), {**problem.base, **values}, runs * REPLICATION, seed + 1)
    accepted = found.accepted()
    points = pd.DataFrame(found.points, columns=list(problem.names))
    posterior = abc_posterior(problem, best, runs, seed)
    record = _fitted_record(
        values,
        best_loss,
        frame,
        found,
        posterior,
        scenario,
        targets_path,
        invocation.command_line(),
        runs,
        problem.base,
    )
    sweeps = held_sweeps(problem, values, runs * REPLICATION, seed + 1)
    settled = agreement(prepare(scenario, evidence), posterior, seed + 1)
    outlook = outlook.assign(posterior_leader=settled["leader"], posterior_agreement=settled["agreement"])
    seconds = time.perf_counter() - started  # the search, the posterior and the checks: all but the writing
    drawn = pd.DataFrame(posterior.points, columns=list(posterior.names))

    def plots(folder: Path) -> None:
        _plots(folder, found, frame, drawn, np.ones(len(drawn), dtype=bool), problem, values, len(targets))

    report = FitReport(
        record=record,
        method=FitMethod(SMOOTHING, PRIOR_WEIGHT, RECHECK, REPLICATION, SWEEP, INFORMS),
        names=problem.names,
        targets=frame,
        last_month=_last_month(problem),
        first_generation=int((found.generation == 0).sum()),
        informs=_informs(found, problem.names, targets),
        sweeps=sweeps,
        met_across_search=(found.margins > 0).mean(axis=0),
        unmet={targets[k].id: _why_unmet(k, found, targets) for k, met in enumerate(frame["met"]) if not met},
        projection=outlook,
        seconds=seconds,
        fitted_path=fitted_path,
    )
    evaluations = points.assign(generation=found.generation, loss=found.losses, met=found.met, accepted=accepted)
    return Work(report, evaluations, plots, posterior, values, best_loss)


def held_sweeps(problem: Problem, values: dict[str, float], runs: int, seed: int) -> dict[str, list[int]]:
    """Targets met as each held parameter moves across its range (SWEEP levels), the fitted values fixed."""
    met = {}
    with progress(len(HELD), "calibrate: held parameters", "parameter") as bar:
        for name in HELD:
            sweep = replace(problem, names=(name,), base={**problem.base, **values})
            levels = np.linspace(BY_NAME[name].low, BY_NAME[name].high, SWEEP)[:, None]
            met[name] = (sweep.evaluate(levels, runs, seed)[1] > 0).sum(axis=1).tolist()
            bar.update()
    return met


def projection(setup: Setup, params: dict[str, Any], runs: int, seed: int) -> pd.DataFrame:
    """Each state's leading partner and hedging at the start and end of the full scenario (medians over runs)."""
    traj = simulate(setup, runs, seed, params, kept=[0, setup.scenario.months])
    shares = np.median(traj.alignment[:, [0, -1]], axis=0)  # (2,S,P)
    hedging = np.median(traj.hedging[:, [0, -1]], axis=0)  # (2,S)
    rows = []
    for s, state in enumerate(traj.states):
        lead = shares[:, s].argmax(axis=-1)
        rows.append(
            {
                "state": state,
                "date": traj.dates[-1],
                "start_partner": traj.powers[lead[0]],
                "start_share": shares[0, s, lead[0]],
                "end_partner": traj.powers[lead[1]],
                "end_share": shares[1, s, lead[1]],
                "start_hedging": hedging[0, s],
                "end_hedging": hedging[1, s],
            }
        )
    return pd.DataFrame(rows)


# --- writing ------------------------------------------------------------------------------------


def _invocation(max_evals: int, runs: int, seed: int, scenario_path: Path, targets_path: Path) -> Invocation:
    """The command that fits again: the scenario and targets named only where they are not the shipped ones."""
    scenario = None if scenario_path.resolve() == BASELINE.resolve() else reference(scenario_path)
    targets = None if targets_path.resolve() == TARGETS.resolve() else reference(targets_path)
    options = {"max_evals": max_evals, "runs": runs, "seed": seed, "scenario": scenario, "targets": targets}
    return Invocation("calibrate", (), options)


def abc_posterior(problem: Problem, best: np.ndarray, runs: int, seed: int) -> Posterior:
    """ABC-SMC over the fitted parameters: the tolerance ends at the fitted point's target loss plus
    TOLERANCE (about one more target's worth of misfit), the prior uniform over each prior range."""

    def losses(points: np.ndarray) -> np.ndarray:
        return target_loss(problem.evaluate(points, ABC_RUNS, seed)[1])

    epsilon = float(losses(best[None])[0]) + TOLERANCE
    with progress(ABC_BUDGET, "calibrate: posterior") as bar:

        def generation(done: Generation) -> None:
            bar.update(done.evaluated)
            bar.set_postfix(tolerance=f"{done.tolerance:.3f}", acceptance=f"{done.acceptance:.1%}")

        return abc_smc(
            losses,
            problem.names,
            problem.bounds,
            ABC_POPULATION,
            ABC_GENERATIONS,
            epsilon,
            seed,
            ABC_BUDGET,
            ABC_EFFECTIVE,
            generation,
        )


def _fitted_record(values, best_loss, frame, found, posterior, scenario, targets_path, command, runs, base):
    ranges = {}
    for d, name in enumerate(posterior.names):
        order = np.argsort(posterior.points[:, d])
        cumulative = np.cumsum(posterior.weights[order])
        ranges[name] = {
            k: round(float(posterior.points[order[min(np.searchsorted(cumulative, q), len(order) - 1)], d]), 4)
            for k, q in zip(("min", "p05", "median", "p95", "max"), (0, 0.05, 0.5, 0.95, 1), strict=True)
        }
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "scenario": scenario.name,
        "targets_file": targets_path.name,
        "targets_met": f"{int(frame['met'].sum())} of {len(frame)}",
        "unmet": frame.loc[~frame["met"], "target"].tolist(),
        "loss": round(best_loss, 4),
        "evaluations": len(found.losses),
        "runs_per_point": runs,
        "parameters": {n: round(v, 5) for n, v in values.items()},
        "priors": priors_record(tuple(values)),
        "held": {n: {"value": float(base[n]), "reason": reason} for n, reason in HELD.items()},
        "posterior": {
            "rule": f"ABC-SMC: uniform prior over each prior range; accepted where the target loss ({ABC_RUNS} "
            f"replicates) is at most the fitted point's plus {TOLERANCE}; every generation's accepted candidates "
            "kept, each weighted by the prior over the mixture of all generations' proposals",
            "file": POSTERIOR_FILE,
            "accepted": len(posterior.weights),
            "effective_size": round(posterior.effective_size, 1),
            "tolerance_reached": round(posterior.epsilon, 3),
            "evaluations": posterior.evaluations,
            "generations": [
                {
                    "tolerance": round(g.tolerance, 3),
                    "evaluated": g.evaluated,
                    "accepted": g.accepted,
                    "acceptance": round(g.acceptance, 4),
                }
                for g in posterior.generations
            ],
            "ranges": ranges,
        },
    }


def _journal(
    out: Path,
    resume: bool,
    scenario: Scenario,
    invocation: Invocation,
    max_evals: int,
    runs: int,
    seed: int,
    targets: Path,
) -> Journal:
    """The fit's checkpoint in its report folder: the interrupted fit's with `resume`, else a new one."""
    settings = {
        "max_evals": max_evals,
        "runs": runs,
        "seed": seed,
        "scenario file": file_digest(scenario.path),
        "targets file": file_digest(targets),
        "evidence file": file_digest(EVIDENCE),
    }
    details = {
        **scenario_record(scenario, EVIDENCE),
        "seed": seed,
        "runs_per_point": runs,
        "max_evals": max_evals,
        "unfinished": f"a fit in progress or interrupted: {CHECKPOINT}/ holds its evaluations; finish it with --resume",
        "resume": f"{invocation.command_line()} --resume",
    }
    unfinished = stamped(details, invocation)
    if resume:
        return Journal.resume(out, settings, unfinished)
    return Journal(out, settings, unfinished)


def _cost(scenario: Scenario, max_evals: int, runs: int) -> Cost:
    """Memory of a chunk of runs and of every evaluated point, disk of the report, and time of the search,
    the recheck and the held-parameter sweeps."""
    S, P = len(scenario.states), len(scenario.powers)
    chunk = min(CHUNK, max_evals * runs) * cell_bytes(scenario.months, S, P) * WRITE_OVERHEAD
    points = max_evals * (len(FITTED) + 40) * 8 * 4
    simulated = (max_evals + RECHECK * REPLICATION + (SWEEP * len(HELD) + 2) * REPLICATION) * runs
    return Cost(chunk + points + 300e6, max_evals * 400 + 5e6, simulation_seconds(simulated, scenario.months))


def _check_fitted_path(path: Path, inputs: list[Path]) -> None:
    """The fitted values may replace only an earlier fit (a file this command wrote), never another file."""
    if any(path.resolve() == Path(given).resolve() for given in inputs):
        raise InputError(f"{path}: is an input of this command; choose another fitted-values file", ("fitted",))
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InputError(f"{path}: not a plain file; choose another fitted-values file", ("fitted",))
    if path.exists():
        try:
            with path.open(encoding="utf-8") as stream:
                first = stream.readline(200)
        except (OSError, UnicodeDecodeError):
            first = ""
        if not first.startswith(FITTED_HEADER):
            raise InputError(
                f"{path}: not a file written by 'alliance-sim calibrate'; it is never replaced; "
                "choose another fitted-values file",
                ("fitted",),
            )


def _write_yaml(record: dict[str, Any], path: Path) -> None:
    """Write beside the target and rename, so the model's defaults are never half-written."""
    header = f"{FITTED_HEADER}\n# alliance-sim reads `parameters`; the rest says how and how well they fit.\n"
    with replacing(path) as temporary:
        temporary.write_text(header + yaml.safe_dump(record, sort_keys=False, width=110))


def _plots(folder, found, frame, points, accepted, problem, values, n_targets) -> None:
    """The fit's three figures, drawn at once on the figure workers (the marginals, the heaviest, first)."""
    from sim.outputs.calibration_plots import loss_trace, posterior_marginals, target_margins
    from sim.outputs.plots import draw_all

    bounds = dict(zip(problem.names, map(tuple, problem.bounds), strict=True))
    jobs = [
        (loss_trace, (found.losses, found.met, folder / "loss_trace.png", n_targets)),
        (posterior_marginals, (points, accepted, bounds, values, folder / "posterior.png")),
        (target_margins, (frame, folder / "targets.png", "fitted parameters")),
    ]
    draw_all(jobs, weights=[1.0, len(problem.names), 1.0])


def _informs(found: Search, names: tuple[str, ...], targets: list[Target]) -> dict[str, list[tuple[str, float]]]:
    """For each parameter, the targets whose margins follow it across the unselected first generation."""
    from scipy.stats import rankdata

    first = found.generation == 0
    ranks = rankdata(np.hstack([found.points[first], found.margins[first]]), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.nan_to_num(np.corrcoef(ranks, rowvar=False))[: len(names), len(names) :]
    return {
        name: [(targets[k].id, rho[d, k]) for k in np.argsort(-np.abs(rho[d])) if abs(rho[d, k]) >= INFORMS]
        for d, name in enumerate(names)
    }


def _last_month(problem: Problem) -> str:
    return problem.setup.scenario.date(problem.setup.scenario.months)


def _why_unmet(k: int, found: Search, targets: list[Target]) -> str:
    """Say from the search itself why a target is missed: never reachable, or traded off against others."""
    met_k = found.margins[:, k] > 0
    if not met_k.any():
        return (
            f"no evaluated point meets it (best margin {found.margins[:, k].max():+.3f}): the mechanisms and "
            "events as encoded cannot produce it within the parameter ranges."
        )
    others = found.margins > 0
    drop = others.mean(axis=0) - others[met_k].mean(axis=0)
    drop[k] = -np.inf
    worst = [j for j in np.argsort(-drop)[:2] if drop[j] > 0.05]
    traded = ", ".join(
        f"{targets[j].id} (met by {others[met_k, j].mean():.0%} of them vs {others[:, j].mean():.0%} overall)"
        for j in worst
    )
    return f"{met_k.mean():.0%} of evaluated points meet it, but the fit prefers points that do not" + (
        f": those meeting it tend to miss {traded}." if traded else "."
    )
