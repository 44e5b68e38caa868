"""Validation that can fail: every target is measured on the runs and scored for the model and for
null models, and only the targets all nulls miss count toward skill.

The nulls are what a referee would compare against: *persistence* (nothing changes after the
start), *no events* (the scenario with every dated event removed: the model's own drift alone) and
*zero weights* (`UTILITY_WEIGHTS`, every utility weight and the hedging gain, at zero: the
historical-ties constants alone).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from sim.inputs.geography import BLOCS
from sim.inputs.parameters import UTILITY_WEIGHTS
from sim.inputs.targets import Target, check_fits
from sim.model.dynamics import FROZEN, LEFT
from sim.model.ensemble import simulate
from sim.model.trajectories import SERIES, Trajectories, hedging_index
from sim.model.world import Setup


def observe(traj: Trajectories, target: Target, hedging: np.ndarray | None = None) -> np.ndarray:
    """The target's quantity in each run, shape (R,): the lead (order), the move (change) or the
    level (worst month of the span)."""
    t0, t1 = traj.dates.index(target.start), traj.dates.index(target.end)
    s = [traj.states.index(name) for name in target.states]
    if target.measure == "hedging":
        series = (traj.hedging if hedging is None else hedging)[:, :, s]  # (R,T,S)
    elif target.measure == "outside":
        standing = traj.participation[:, :, BLOCS.index(target.bloc)][:, :, s]  # (R,T,S)
        series = ((standing == FROZEN) | (standing == LEFT)).astype(float)
    else:
        array = getattr(traj, target.measure)[:, :, s]  # (R,T,S,P)
        p = traj.powers.index(target.power)
        series = array[..., p]
    if target.kind == "order":
        rivals = [traj.powers.index(q) for q in target.over] or [q for q in range(len(traj.powers)) if q != p]
        lead = series[:, t0 : t1 + 1] - array[:, t0 : t1 + 1][..., rivals].max(axis=-1)
        return lead.min(axis=(1, 2))
    mean = series.mean(axis=2)  # (R,T) averaged over the target's states
    if target.kind == "change":
        return mean[:, t1] - mean[:, t0]
    span = mean[:, t0 : t1 + 1]
    return span.min(axis=1) if target.direction > 0 else span.max(axis=1)


def margin(target: Target, observed: np.ndarray) -> np.ndarray:
    """How far the observed value is on the documented side of the threshold (> 0 = met)."""
    if target.kind == "order":
        return observed
    if target.kind == "change":
        return target.direction * observed - target.threshold
    return target.direction * (observed - target.threshold)


def assess(traj: Trajectories, targets: list[Target], groups: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Median observed value and its margin for each group of runs and target, each (G, K).

    Runs are taken as `groups` consecutive blocks of equal size (one block per parameter point).
    """
    hedging = hedging_index(traj.alignment) if any(t.measure == "hedging" for t in targets) else None
    observed = np.stack([observe(traj, t, hedging) for t in targets], axis=-1)  # (R,K)
    medians = np.median(observed.reshape(groups, -1, len(targets)), axis=1)
    margins = np.stack([margin(t, medians[:, k]) for k, t in enumerate(targets)], axis=-1)
    return medians, margins


def table(traj: Trajectories, targets: list[Target]) -> pd.DataFrame:
    """One row per target: target, date, expected, observed (median over runs), met, and details."""
    check_fits(targets, traj.scenario, traj.states, traj.powers, traj.dates)
    hedging = hedging_index(traj.alignment)
    rows = []
    for t in targets:
        per_run = observe(traj, t, hedging)
        observed = float(np.median(per_run))
        rows.append(
            {
                "target": t.id,
                "date": t.dates,
                "expected": t.expected,
                "observed": round(observed, 4),
                "met": bool(margin(t, np.array(observed)) > 0),
                "margin": round(float(margin(t, np.array(observed))), 4),
                "share_of_runs_met": round(float((margin(t, per_run) > 0).mean()), 3),
                "kind": t.kind,
                "states": ", ".join(t.states),
                "source": ", ".join(t.sources),
                "evidence": ", ".join(t.evidence),
                "claim": t.claim,
            }
        )
    return pd.DataFrame(rows)


NULLS = ("persistence", "no_events", "zero_weights")


def persistence(traj: Trajectories) -> Trajectories:
    """Every month as the start: the null that nothing changes."""
    months = len(traj.dates)
    still = {name: np.repeat(getattr(traj, name)[:, :1], months, axis=1) for name in SERIES}
    participation = None if traj.participation is None else np.repeat(traj.participation[:, :1], months, axis=1)
    return replace(traj, participation=participation, **still)


def null_runs(setup: Setup, params: dict, runs: int, seed: int, model: Trajectories) -> dict[str, Trajectories]:
    """The three nulls' trajectories for the same runs and seed as the model's."""
    return {
        "persistence": persistence(model),
        "no_events": simulate(replace(setup, events={}), runs, seed, params),
        "zero_weights": simulate(setup, runs, seed, {**params, **dict.fromkeys(UTILITY_WEIGHTS, 0.0)}),
    }


def scored(model: Trajectories, nulls: dict[str, Trajectories], targets: list[Target]) -> pd.DataFrame:
    """The model's target table with, per null, whether it meets each target; `informative` marks
    the targets every null misses, the only ones that count toward skill."""
    frame = table(model, targets)
    for i, (name, traj) in enumerate(nulls.items()):
        null = table(traj, targets)
        frame.insert(frame.columns.get_loc("met") + 1 + i, f"met_{name}", null["met"].to_numpy())
    met_by_null = frame[[f"met_{name}" for name in nulls]].any(axis=1)
    frame.insert(frame.columns.get_loc("met") + 1 + len(nulls), "informative", ~met_by_null)
    return frame


def skill(frame: pd.DataFrame) -> tuple[int, int]:
    """(informative targets met, informative targets): the model's skill beyond the nulls."""
    informative = frame["informative"]
    return int((frame["met"] & informative).sum()), int(informative.sum())


def summary_lines(frame: pd.DataFrame, label: str) -> list[str]:
    """What `validate` prints: the model's score beside each null's, and the skill."""
    met, informative = skill(frame)
    lines = [f"{label}: model meets {int(frame['met'].sum())} of {len(frame)} targets"]
    for name in NULLS:
        column = f"met_{name}"
        if column in frame:
            lines.append(f"  null '{name.replace('_', ' ')}' meets {int(frame[column].sum())} of {len(frame)}")
    share = f" ({met / informative:.0%})" if informative else ""
    lines.append(f"  skill: {met} of {informative} informative targets met{share} (informative: missed by every null)")
    return lines
