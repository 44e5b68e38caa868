"""Does the posterior settle each state's future? Every posterior point's projection, and the share of the
posterior (by weight) that agrees on each state's leading partner at the scenario's end.

The facts leave some parameters open; where the points the facts cannot tell apart lead a state to
different partners, the model cannot say which, and a single fitted point would hide it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.experiments.points import simulate_points
from sim.experiments.posterior import Posterior
from sim.model.world import Setup

if TYPE_CHECKING:
    from sim.model.trajectories import Trajectories

#: Runs per posterior point (shocks only: each point's own parameters, the evidence as derived).
RUNS = 16
#: Most runs per engine call.
CHUNK = 512


def agreement(setup: Setup, posterior: Posterior, seed: int = 0, runs: int = RUNS) -> pd.DataFrame:
    """Per state: the leading partner at the end most of the posterior's weight gives it, that weight's share,
    and the share each power gets (the leader by the median share over each point's runs)."""
    values = {name: posterior.points[:, i] for i, name in enumerate(posterior.names)}

    def leaders(traj: Trajectories, points: int) -> np.ndarray:
        final = traj.alignment[:, -1].reshape(points, runs, *traj.alignment.shape[2:])
        return np.median(final, axis=1).argmax(axis=-1)  # (points, S)

    last = [setup.scenario.months]  # the runs' end is all it reads
    lead = np.concatenate(simulate_points(setup, setup.params, values, runs, seed, leaders, CHUNK, kept=last))
    weights = posterior.weights / posterior.weights.sum()
    powers, rows = setup.scenario.powers, []
    for s, state in enumerate(setup.scenario.states):
        shares = np.array([weights[lead[:, s] == p].sum() for p in range(len(powers))])
        row = {"state": state, "leader": powers[int(shares.argmax())], "agreement": float(shares.max())}
        row.update({f"share_{power}": float(share) for power, share in zip(powers, shares, strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)
