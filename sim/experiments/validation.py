"""Validation that can fail: every target is scored for the model and for null models, and only the
targets all nulls miss count toward skill.

The nulls are what a referee would compare against: *persistence* (nothing changes after the
start), *no events* (the scenario with every dated event removed: the model's own drift alone) and
*zero weights* (`UTILITY_WEIGHTS`, every utility weight and the hedging gain, at zero: the
historical-ties constants alone).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from sim.inputs.parameters import UTILITY_WEIGHTS
from sim.inputs.targets import Target, table
from sim.model.ensemble import simulate
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup

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
