"""What scenarios imply side by side: differences in alignment, dominant partners with confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from .folders import Outcome
from .trajectories import Trajectories

#: The run-level spread shown around a difference, as in the fan charts.
SPREAD = (0.05, 0.95)
#: Fixes the random matching of runs behind an unpaired band, so a comparison is reproducible.
MATCHING_SEED = 0
PAIRED = "paired by run (common random numbers)"
UNPAIRED = "unpaired (runs matched at random)"


def difference_band(ref: Trajectories, other: Trajectories, paired: bool) -> np.ndarray:
    """Shape (3, months, states, powers): 5% of run differences, difference of medians, 95% of run differences.

    Paired, run i of `other` minus run i of `ref`: shocks common to both cancel, so the band shows only
    what the scenarios' difference does. Unpaired, runs are matched at random, so the band is the spread
    of the difference between two independent runs.
    """
    a, b = ref.alignment, other.alignment
    if paired:
        runs = b - a
    else:
        n = max(len(a), len(b))
        rng = np.random.default_rng(MATCHING_SEED)
        runs = b[rng.permutation(n) % len(b)] - a[np.arange(n) % len(a)]
    low, high = np.quantile(runs, SPREAD, axis=0)
    middle = np.median(b, axis=0) - np.median(a, axis=0)
    return np.stack([low, middle, high])


def dominant_probabilities(outcomes: list[Outcome], horizons: list[str]) -> pd.DataFrame:
    """Share of runs in which each power is each state's largest partner, with a 95% Wilson score interval."""
    rows = []
    for outcome in outcomes:
        traj = outcome.traj
        for date in horizons:
            dominant = traj.dominant[:, traj.dates.index(date)]  # (R, S)
            n = len(dominant)
            for s, state in enumerate(traj.states):
                for p, power in enumerate(traj.powers):
                    k = int((dominant[:, s] == p).sum())
                    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
                    rows.append(
                        {
                            "scenario": outcome.name,
                            "date": date,
                            "state": state,
                            "power": power,
                            "runs": n,
                            "count": k,
                            "probability": k / n,
                            "ci_low": ci.low,
                            "ci_high": ci.high,
                        }
                    )
    return pd.DataFrame(rows)


def alignment_differences(
    outcomes: list[Outcome], bands: list[np.ndarray], pairing: list[bool], horizons: list[str]
) -> pd.DataFrame:
    """At each horizon, every scenario's median alignment (5–95% of runs) and its difference from the first."""
    ref = outcomes[0]
    rows = []
    for i, outcome in enumerate(outcomes):
        traj = outcome.traj
        for date in horizons:
            t = traj.dates.index(date)
            low, median, high = np.quantile(traj.alignment[:, t], (SPREAD[0], 0.5, SPREAD[1]), axis=0)
            for s, state in enumerate(traj.states):
                for p, power in enumerate(traj.powers):
                    row = {
                        "scenario": outcome.name,
                        "date": date,
                        "state": state,
                        "power": power,
                        "median": median[s, p],
                        "p05": low[s, p],
                        "p95": high[s, p],
                        "reference": ref.name,
                        "difference": 0.0,
                        "difference_p05": 0.0,
                        "difference_p95": 0.0,
                        "pairing": "reference",
                    }
                    if i:
                        band = bands[i - 1][:, t, s, p]
                        row.update(
                            difference=band[1],
                            difference_p05=band[0],
                            difference_p95=band[2],
                            pairing=PAIRED if pairing[i - 1] else UNPAIRED,
                        )
                    rows.append(row)
    return pd.DataFrame(rows)


def bloc_sizes(traj: Trajectories) -> np.ndarray:
    """Number of states whose dominant partner is each power, per run and month: shape (R, T, P)."""
    return (traj.dominant[..., None] == np.arange(len(traj.powers))).sum(axis=2)
