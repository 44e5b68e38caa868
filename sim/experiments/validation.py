"""Validation that can fail: every target is measured on the runs and scored for the model and for
null models, as facts met and as proper scores of the probability each predictor gives them.

The nulls are what a forecaster would compare against, each for the same runs as the model:
*persistence from the start* (nothing changes after month 0), *persistence from the documents' end*
(every series held at PROJECTION), *trend* (each run's own path over the documented window, the
least-squares line continued), *last direction* (the line through the window's last month with the
slope of its last DIRECTION_MONTHS), *no events* (every dated event removed: the model's own drift
alone) and *zero weights* (`UTILITY_WEIGHTS`, every utility weight and the hedging gain, at zero: the
historical-ties constants alone). Only the targets all nulls miss count as informative.

`validate` (the command) simulates a scenario up to the last target month and writes these scores.

A fact's probability is the share of runs meeting it. Every fact happened, so its Brier score is
(1 - p)^2 and its log score -ln p (floored at LOG_FLOOR); skill is 1 - Brier / (best null's Brier).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from sim.experiments.posterior import Posterior
from sim.experiments.progress import progress
from sim.experiments.uncertainty import SOURCES, hold, posterior_for, posterior_record, simulate_uncertain
from sim.inputs.documents import month_index, parse_month
from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.geography import BLOCS
from sim.inputs.limits import WRITE_OVERHEAD, Cost, cell_bytes, simulation_seconds
from sim.inputs.packaged import BASELINE, CONDITIONAL, EVIDENCE, HINDCAST, TARGETS, reference
from sim.inputs.parameters import UTILITY_WEIGHTS
from sim.inputs.scenario import Scenario, load_scenario
from sim.inputs.sources import PROJECTION
from sim.inputs.targets import Target, check_fits, horizon, load_targets
from sim.model.dynamics import FLOOR, FROZEN, LEFT
from sim.model.trajectories import SERIES, Trajectories, hedging_index
from sim.model.world import Setup, prepare
from sim.outputs.destination import RESULTS, default_folder
from sim.outputs.results import file_digest, scenario_record, write_table
from sim.outputs.writer import Folder, Invocation, write_results

PREDICTORS = ("model", "persistence_start", "persistence_end", "trend", "last_direction", "no_events", "zero_weights")
NULLS = PREDICTORS[1:]
#: The uncertainty `validate --fitted-point` keeps: the monthly shocks alone, around the fitted parameters.
FITTED_POINT = ("shocks",)
#: What each source of uncertainty gives a run, in the words `validate` prints.
DRAWN = {"shocks": "monthly shocks", "parameters": "posterior parameter draw", "evidence": "evidence draw"}
#: The predictors simulated; the others extrapolate the model's runs (validate's time estimate counts these).
SIMULATED = ("model", "no_events", "zero_weights")
#: The last direction's slope is measured over the window's last six months (2022-09 to 2023-03).
DIRECTION_MONTHS = 6
#: Where the trend and last-direction nulls clip a series other than alignment (alignment: FLOOR to 1, then
#: renormalised over the powers).
RANGES = {"credibility": (0.0, 1.0), "economic": (0.0, 1.0), "security": (0.0, 1.0), "outreach": (0.0, np.inf)}
#: Least probability the log score counts: a fact no run meets costs -ln 0.01 = 4.6 (a coin costs ln 2 = 0.69),
#: finite, so one such fact cannot swamp the mean.
LOG_FLOOR = 0.01


def observe(traj: Trajectories, target: Target) -> np.ndarray:
    """The target's quantity in each run, shape (R,): the lead (order), the move (change) or the
    level (worst month of the span). Only the months it reads are cut out of the runs' arrays."""
    t0, t1 = traj.dates.index(target.start), traj.dates.index(target.end)
    months = [t0, t1] if target.kind == "change" else slice(t0, t1 + 1)
    s = [traj.states.index(name) for name in target.states]
    if target.measure == "hedging":
        series = hedging_index(traj.alignment[:, months][:, :, s])  # (R,T,S)
    elif target.measure == "outside":
        standing = cast(np.ndarray, traj.participation)[:, months, BLOCS.index(target.bloc)][:, :, s]  # (R,T,S)
        series = ((standing == FROZEN) | (standing == LEFT)).astype(float)
    else:
        array = getattr(traj, target.measure)[:, months][:, :, s]  # (R,T,S,P)
        p = traj.powers.index(cast(str, target.power))
        series = array[..., p]
    if target.kind == "order":
        rivals = [traj.powers.index(q) for q in target.over] or [q for q in range(len(traj.powers)) if q != p]
        lead = series - array[..., rivals].max(axis=-1)
        return lead.min(axis=(1, 2))
    mean = series.mean(axis=2)  # (R,T) averaged over the target's states
    if target.kind == "change":
        return mean[:, 1] - mean[:, 0]
    return mean.min(axis=1) if target.direction > 0 else mean.max(axis=1)


def margin(target: Target, observed: np.ndarray) -> np.ndarray:
    """How far the observed value is on the documented side of the threshold (> 0 = met)."""
    if target.kind == "order":
        return observed
    if target.kind == "change":
        return target.direction * observed - target.threshold
    return target.direction * (observed - target.threshold)


def per_run(traj: Trajectories, targets: list[Target]) -> np.ndarray:
    """Each run's value of each target's quantity, (R, K)."""
    return np.stack([observe(traj, t) for t in targets], axis=-1)


def assess(traj: Trajectories, targets: list[Target], groups: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Median observed value and its margin for each group of runs and target, each (G, K).

    Runs are taken as `groups` consecutive blocks of equal size (one block per parameter point).
    """
    observed = per_run(traj, targets)
    medians = np.median(observed.reshape(groups, -1, len(targets)), axis=1)
    margins = np.stack([margin(t, medians[:, k]) for k, t in enumerate(targets)], axis=-1)
    return medians, margins


def table(traj: Trajectories, targets: list[Target]) -> pd.DataFrame:
    """One row per target: target, date, expected, observed (median over runs), met, and details."""
    check_fits(targets, traj.scenario, traj.states, traj.powers, traj.dates)
    values = per_run(traj, targets)
    rows = []
    for k, t in enumerate(targets):
        observed = float(np.median(values[:, k]))
        rows.append(
            {
                "target": t.id,
                "date": t.dates,
                "expected": t.expected,
                "observed": round(observed, 4),
                "met": bool(margin(t, np.array(observed)) > 0),
                "margin": round(float(margin(t, np.array(observed))), 4),
                "share_of_runs_met": round(float((margin(t, values[:, k]) > 0).mean()), 3),
                "kind": t.kind,
                "states": ", ".join(t.states),
                "source": ", ".join(t.sources),
                "evidence": ", ".join(t.evidence),
                "claim": t.claim,
            }
        )
    return pd.DataFrame(rows)


def window_end(traj: Trajectories) -> int:
    """Month index of PROJECTION, where the documents end; the last month if the runs end sooner."""
    months = month_index(
        cast("tuple[int, int]", parse_month(PROJECTION)), cast("tuple[int, int]", parse_month(traj.dates[0]))
    )
    return int(np.clip(months, 0, len(traj.dates) - 1))


def persistence(traj: Trajectories, month: int = 0) -> Trajectories:
    """Every series, bloc standing included, held at its value in `month` at every month: the null that
    nothing changes (month 0: from the start; `window_end`: from the documents' end)."""
    months = len(traj.dates)
    still: dict[str, Any] = {
        name: np.repeat(getattr(traj, name)[:, month : month + 1], months, axis=1) for name in SERIES
    }
    participation = (
        None if traj.participation is None else np.repeat(traj.participation[:, month : month + 1], months, axis=1)
    )
    return replace(traj, participation=participation, **still)


def trend(traj: Trajectories) -> Trajectories:
    """Each run's series continued along its least-squares line over the months up to `window_end`."""
    end = window_end(traj)
    months = np.arange(end + 1.0)
    centred = months - months.mean()
    spread = float((centred**2).sum())

    def fit(series: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        window = series[:, : end + 1]
        slope = np.einsum("t,rt...->r...", centred, window) / spread if spread else np.zeros_like(window[:, 0])
        return window.mean(axis=1), float(months.mean()), slope

    return _continued(traj, end, fit)


def last_direction(traj: Trajectories) -> Trajectories:
    """Each run's series continued from its value at `window_end` with the slope of the DIRECTION_MONTHS before."""
    end = window_end(traj)
    begin = max(0, end - DIRECTION_MONTHS)

    def fit(series: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        rise = series[:, end] - series[:, begin]
        return series[:, end], float(end), rise / (end - begin) if end > begin else np.zeros_like(rise)

    return _continued(traj, end, fit)


def _continued(
    traj: Trajectories, end: int, fit: Callable[[np.ndarray], tuple[np.ndarray, float, np.ndarray]]
) -> Trajectories:
    """Every series as the straight line `fit` gives (level, the month it passes it, slope per month), at every
    month, clipped to its range (alignment renormalised over the powers); bloc standing the model's own up to
    `end` and held after it."""
    months = np.arange(len(traj.dates), dtype=float)[None, :, None, None]
    lines: dict[str, Any] = {}
    for name in SERIES:
        level, at, slope = fit(getattr(traj, name))
        line = level[:, None] + slope[:, None] * (months - at)
        if name == "alignment":
            line = np.clip(line, FLOOR, 1.0)
            line /= line.sum(axis=-1, keepdims=True)
        else:
            line = np.clip(line, *RANGES[name])
        lines[name] = line
    participation = traj.participation
    if participation is not None:
        participation = participation.copy()
        participation[:, end + 1 :] = participation[:, end : end + 1]
    return replace(traj, participation=participation, **lines)


def null_runs(
    setup: Setup,
    runs: int,
    seed: int,
    model: Trajectories,
    sources: tuple[str, ...],
    posterior: Posterior | None = None,
    progress: Callable[[int], object] | None = None,
) -> dict[str, Trajectories]:
    """Every null's trajectories for the same runs and seed as the model's, with the same sources of
    uncertainty: the extrapolations from the model's own runs, the two simulated nulls from each run's own
    draws (zero weights keeps each run's draw of the other parameters). `progress` gets the months simulated."""
    weightless = {**setup.params, **dict.fromkeys(UTILITY_WEIGHTS, 0.0)}
    return {
        "persistence_start": persistence(model),
        "persistence_end": persistence(model, window_end(model)),
        "trend": trend(model),
        "last_direction": last_direction(model),
        "no_events": simulate_uncertain(replace(setup, events={}), runs, seed, sources, posterior, progress),
        "zero_weights": simulate_uncertain(
            replace(setup, scenario=replace(setup.scenario, parameters=weightless)),
            runs,
            seed,
            sources,
            hold(posterior, UTILITY_WEIGHTS),
            progress,
        ),
    }


def evaluate(
    setup: Setup,
    targets: list[Target],
    runs: int,
    seed: int,
    sources: tuple[str, ...],
    posterior: Posterior | None,
    progress: Callable[[int], object] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs `run` shows and every null for the same runs, scored on the targets: the `scored` table and the
    `scores` table, as `validate` writes them. `progress` gets the months simulated (SIMULATED x the months)."""
    model = simulate_uncertain(setup, runs, seed, sources, posterior, progress)
    nulls = null_runs(setup, runs, seed, model, sources, posterior, progress)
    frame = scored(model, nulls, targets)
    return frame, scores(frame, {"model": model, **nulls}, targets)


def probability(traj: Trajectories, targets: list[Target]) -> np.ndarray:
    """Each target's probability under a predictor: the share of its runs meeting it, (K,)."""
    values = per_run(traj, targets)
    return np.mean([margin(t, values[:, k]) > 0 for k, t in enumerate(targets)], axis=1)


def scored(model: Trajectories, nulls: dict[str, Trajectories], targets: list[Target]) -> pd.DataFrame:
    """The model's target table with, per null, whether it meets each target; `informative` marks
    the targets every null misses, the only ones that count toward skill; `p_<predictor>` is each
    predictor's probability of the target (`p_model` is `share_of_runs_met` unrounded)."""
    frame = table(model, targets)
    for i, (name, traj) in enumerate(nulls.items()):
        null = table(traj, targets)
        frame.insert(cast(int, frame.columns.get_loc("met")) + 1 + i, f"met_{name}", null["met"].to_numpy())
    met_by_null = frame[[f"met_{name}" for name in nulls]].any(axis=1)
    frame.insert(cast(int, frame.columns.get_loc("met")) + 1 + len(nulls), "informative", ~met_by_null)
    at = cast(int, frame.columns.get_loc("share_of_runs_met")) + 1
    for i, (name, traj) in enumerate({"model": model, **nulls}.items()):
        frame.insert(at + i, f"p_{name}", probability(traj, targets))
    return frame


def brier(p: np.ndarray) -> np.ndarray:
    """Brier score of probability `p` given to a fact that happened: (1 - p)^2, 0 for certainty, 1 for denial."""
    return (1.0 - np.asarray(p, dtype=float)) ** 2


def log_score(p: np.ndarray) -> np.ndarray:
    """Log score of probability `p` given to a fact that happened: -ln p, with p floored at LOG_FLOOR so
    that a fact no run meets costs a finite -ln LOG_FLOOR."""
    return -np.log(np.maximum(np.asarray(p, dtype=float), LOG_FLOOR))


def crps(samples: np.ndarray, observed: float) -> float:
    """Continuous ranked probability score of the runs' values against the observed one, in the quantity's
    units (0 for a point mass on it): mean |X - y| - mean |X - X'| / 2, the pairwise term from the sorted
    values in O(n log n)."""
    x = np.sort(np.asarray(samples, dtype=float).ravel())
    n = len(x)
    pairwise = 2.0 * np.dot(2.0 * np.arange(1, n + 1) - n - 1, x) / n**2
    return float(np.abs(x - observed).mean() - pairwise / 2)


def mean_crps(traj: Trajectories, targets: list[Target]) -> float:
    """CRPS averaged over the targets with an observed value (NaN when none has one)."""
    measured = [t for t in targets if t.observed is not None]
    if not measured:
        return float("nan")
    values = per_run(traj, measured)
    return float(np.mean([crps(values[:, k], cast(float, t.observed)) for k, t in enumerate(measured)]))


def scores(frame: pd.DataFrame, predictors: dict[str, Trajectories], targets: list[Target]) -> pd.DataFrame:
    """One row per predictor of a `scored` table, best (lowest Brier, then log score) first: facts, met,
    mean Brier, mean log score, skill against the best null's Brier (NaN if that is 0: nothing to beat), mean
    CRPS and rank."""
    rows = []
    for name in predictors:
        p = frame[f"p_{name}"].to_numpy()
        met = frame["met" if name == "model" else f"met_{name}"]
        rows.append(
            {
                "predictor": name,
                "facts": len(frame),
                "met": int(met.sum()),
                "brier": float(brier(p).mean()),
                "log_score": float(log_score(p).mean()),
                "crps": mean_crps(predictors[name], targets),
            }
        )
    ranked = pd.DataFrame(rows)
    best = ranked.loc[ranked["predictor"] != "model", "brier"].min()
    ranked.insert(5, "skill", 1.0 - ranked["brier"] / best if best > 0 else np.nan)
    ranked = ranked.sort_values(["brier", "log_score"], kind="stable", ignore_index=True)
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    return ranked


def skill(frame: pd.DataFrame) -> tuple[int, int]:
    """(informative targets met, informative targets): the model's skill beyond the nulls."""
    informative = frame["informative"]
    return int((frame["met"] & informative).sum()), int(informative.sum())


def summary_lines(
    frame: pd.DataFrame, ranked: pd.DataFrame, label: str, runs: int, sources: tuple[str, ...]
) -> list[str]:
    """What `validate` prints: which sample and runs are scored, the scores table best first, and the
    informative targets the model meets."""
    named = [DRAWN[source] for source in sources]
    point = "" if "parameters" in sources else " of the fitted point"
    own = f"each with its own {', '.join(named[:-1])}{' and ' * (len(named) > 1)}{named[-1]}" if named else "alike"
    what = f"{runs} runs{point}, {own}"
    lines = [
        f"{label}: {len(frame)} facts, {what}",
        f"  {'rank':>4}  {'predictor':<18} {'met':>7} {'Brier':>6} {'log score':>9} {'skill':>6} {'CRPS':>6}",
    ]
    row: Any
    for row in ranked.itertuples():
        skill_text = "-" if np.isnan(row.skill) else f"{row.skill:+.3f}"
        crps_text = "-" if np.isnan(row.crps) else f"{row.crps:.3f}"
        lines.append(
            f"  {row.rank:>4}  {row.predictor:<18} {f'{row.met}/{row.facts}':>7} {row.brier:6.3f} {row.log_score:9.3f}"
            f" {skill_text:>6} {crps_text:>6}"
        )
    met, informative = skill(frame)
    share = f" ({met / informative:.0%})" if informative else ""
    lines.append("  skill: 1 - Brier / (the best null's Brier); above 0, better than every null")
    lines.append(f"  informative facts (missed by every null): the model meets {met} of {informative}{share}")
    return lines


def conditional_lines(unconditional: pd.DataFrame, conditional: pd.DataFrame) -> list[str]:
    """Each fact's probability in the unconditional runs and in the conditional ones (the shocks after the
    documents written in), largest change first: which facts the shocks explain and which they do not."""
    change = conditional["p_model"] - unconditional["p_model"]
    lines = [f"  {'fact':<40} {'unconditional':>13} {'conditional':>11}"]
    for k in change.abs().sort_values(ascending=False, kind="stable").index:
        lines.append(
            f"  {unconditional.at[k, 'target']:<40} {unconditional.at[k, 'p_model']:13.2f} "  # type: ignore[str-bytes-safe]
            f"{conditional.at[k, 'p_model']:11.2f}"  # type: ignore[str-bytes-safe]
        )
    return lines


# --- the validate command -----------------------------------------------------------------------


def window(scenario: Scenario, targets: list[Target], evidence: Evidence) -> Setup:
    """The scenario cut at the last month the targets look at (later months cannot change them), prepared."""
    check_fits(targets, scenario.name, scenario.states, scenario.powers, scenario.dates)
    return prepare(replace(scenario, months=horizon(targets, scenario.date(0))), evidence)


def _cost(scenario: Scenario, runs: int, months: int, conditional: bool) -> Cost:
    """Every predictor's runs held at once; the model and two nulls simulated (twice with the conditional
    scenario)."""
    S, P = len(scenario.states), len(scenario.powers)
    return Cost(
        (len(PREDICTORS) + WRITE_OVERHEAD) * runs * cell_bytes(months, S, P) + 300e6,
        5e6,
        simulation_seconds(len(SIMULATED) * runs * (1 + conditional), months),
    )


def _conditional_record(
    scenario: Scenario | None, scored: tuple[pd.DataFrame, pd.DataFrame] | None
) -> dict[str, Any] | None:
    """What the manifest says of the conditional scenario's scores, if it was scored."""
    if scenario is None or scored is None:
        return None
    return {
        "scenario_file": reference(scenario.path),
        "scenario_sha256": file_digest(scenario.path),
        "met": int(scored[0]["met"].sum()),
        "scores": _records(scored[1]),
    }


def validate(
    scenario_path: Path | None,
    out: Path | None,
    runs: int = 100,
    seed: int = 1,
    targets_path: Path | None = None,
    force: bool = False,
    hindcast: bool = False,
    fitted_point: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, Path, tuple[pd.DataFrame, pd.DataFrame] | None]:
    """Simulate a scenario up to the last target month, as `run` does (each run its own shocks, posterior draw and
    evidence draw; the fitted point with shocks alone if `fitted_point`), with every null for the same runs; write
    targets.csv, scores.csv, a plot of what is met, and the reliability and sharpness of the model's probabilities.
    With `hindcast` on the baseline, the conditional scenario (CONDITIONAL: the shocks after the documents written
    in) is scored beside it, into targets_conditional.csv and scores_conditional.csv. Returns the targets table,
    the scores, the folder, and the conditional scenario's targets table and scores (or None)."""
    from sim.outputs.calibration_plots import reliability, sharpness, target_margins

    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(Path(scenario_path or BASELINE), evidence)
    targets_path = Path(HINDCAST if hindcast else targets_path or TARGETS)
    targets = load_targets(targets_path, evidence)
    given = scenario_path is None or Path(scenario_path).resolve() == BASELINE.resolve()
    conditional_scenario = load_scenario(CONDITIONAL, evidence) if hindcast and given else None
    label = None if out else scenario.name  # a default folder must hold this scenario's validation, if any
    suffix = "-hindcast" if hindcast else ""  # in and out of sample are separate folders, so both can be kept
    out = Path(out) if out else default_folder(scenario.name, RESULTS / "validation", suffix)
    months = horizon(targets, scenario.date(0))
    cost = _cost(scenario, runs, months, conditional_scenario is not None)
    sources = FITTED_POINT if fitted_point else SOURCES
    found: dict[str, Any] = {}

    def write(stage: Path) -> dict[str, Any]:
        posterior = posterior_for(scenario, sources)
        scored_months = len(SIMULATED) * months * (1 + (conditional_scenario is not None))
        with progress(scored_months, f"validate: {runs:,} runs", "month") as bar:
            frame, table_of_scores = evaluate(
                window(scenario, targets, evidence), targets, runs, seed, sources, posterior, bar.update
            )
            conditional = None
            probabilities = {("out of sample" if hindcast else "in sample") + f": {scenario.name}": frame["p_model"]}
            if conditional_scenario is not None:
                setup = window(conditional_scenario, targets, evidence)
                conditional_posterior = posterior_for(conditional_scenario, sources)
                conditional = evaluate(setup, targets, runs, seed, sources, conditional_posterior, bar.update)
                probabilities[f"out of sample, conditional: {conditional_scenario.name}"] = conditional[0]["p_model"]
        found.update(frame=frame, scores=table_of_scores, conditional=conditional)
        met, informative = skill(frame)
        write_table(frame, stage / "targets.csv")
        write_table(table_of_scores, stage / "scores.csv", float_format="%.4f")
        what_runs = f"{runs} runs, seed {seed}"
        target_margins(frame, stage / "targets.png", f"{scenario.name} ({what_runs})")
        reliability(probabilities, stage / "reliability.png", f"reliability of the model's probabilities ({what_runs})")
        sharpness(probabilities, stage / "sharpness.png", f"sharpness: the probabilities the facts got ({what_runs})")
        if conditional is not None:
            write_table(conditional[0], stage / "targets_conditional.csv")
            write_table(conditional[1], stage / "scores_conditional.csv", float_format="%.4f")
        return {
            **scenario_record(scenario, EVIDENCE),
            "seed": seed,
            "runs": runs,
            "targets_file": reference(targets_path),
            "targets_sha256": file_digest(targets_path),
            "met": int(frame["met"].sum()),
            "targets": len(frame),
            "nulls": {name: int(frame[f"met_{name}"].sum()) for name in NULLS},
            "skill": {"informative_met": met, "informative": informative},
            "hindcast": hindcast,
            "fitted_point": fitted_point,
            "uncertainty": list(sources),
            "posterior": posterior_record(posterior),
            "scores": _records(table_of_scores),
            "conditional": _conditional_record(conditional_scenario, conditional),
        }

    targets_option = {"hindcast": True} if hindcast else {"targets": reference(targets_path)}
    options = {"runs": runs, "seed": seed, **targets_option, "fitted_point": fitted_point}
    write_results(
        Folder(out, force, (scenario.path, targets_path), label),
        cost,
        f"validating with {runs:,} runs",
        "use fewer runs",
        write,
        Invocation("validate", (reference(scenario.path),), options),
        settings=("runs",),
    )
    return found["frame"], found["scores"], out, found["conditional"]


def _records(table_of_scores: pd.DataFrame) -> list[dict[str, Any]]:
    """A scores table as the manifest's rows, NaN as null."""
    return [
        {str(k): None if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()}
        for row in table_of_scores.round(4).to_dict("records")
    ]
