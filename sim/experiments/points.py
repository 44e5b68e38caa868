"""Simulate parameter points: each point's replicates are runs of the ensemble engine, the points'
values handed to it as one value per run, so many points go through a single call.

Calibration and sensitivity give every point the same replicate streams (runs 0..R-1: common
random numbers, so points differ by their parameters, not by luck); a batch gives point p's
replicate k its own run id p x R + k.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.model.ensemble import simulate
from sim.model.trajectories import Trajectories
from sim.model.world import Setup


def simulate_runs(
    setup: Setup,
    base: dict[str, Any],
    values: dict[str, np.ndarray],
    points: np.ndarray,
    run_ids: np.ndarray,
    seed: int,
    kept: list[int] | None = None,
    threads: int | None = None,
) -> Trajectories:
    """Run run_ids[i] with the parameters of point points[i]: `base` overridden by each varied
    parameter's value at that point (values[name] holds one value per point); the months `kept` (all by
    default), on `threads` threads (see `simulate`)."""
    params = {**base, **{name: np.asarray(value)[points] for name, value in values.items()}}
    return simulate(setup, run_ids, seed, params, kept=kept, threads=threads)


def simulate_points[Result](
    setup: Setup,
    base: dict[str, Any],
    values: dict[str, np.ndarray],
    replicates: int,
    seed: int,
    reduce: Callable[[Trajectories, int], Result],
    chunk: int,
    progress: Callable[[int], None] | None = None,
    kept: list[int] | None = None,
) -> list[Result]:
    """Every point's `replicates` runs (runs 0..replicates-1 for each point), at most about `chunk` runs
    per engine call; `reduce(trajectories, points)` turns each call's runs (point by point, replicates
    consecutive, the months `kept`: all by default) into what is kept, so that memory stays one chunk's.
    `progress` gets the points done."""
    count = len(next(iter(values.values())))
    per_chunk = max(1, chunk // replicates)
    found = []
    for first in range(0, count, per_chunk):
        stop = min(count, first + per_chunk)
        points = np.repeat(np.arange(first, stop), replicates)
        run_ids = np.tile(np.arange(replicates), stop - first)
        found.append(reduce(simulate_runs(setup, base, values, points, run_ids, seed, kept), stop - first))
        if progress is not None:
            progress(stop - first)
    return found


def simulate_table(
    setup: Setup,
    points: dict[str, np.ndarray],
    replicates: int,
    seed: int,
    dates: list[str],
    chunk: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Every point's `replicates` runs (the scenario's parameters overridden by the point's `points[name]`
    values), their alignment at `dates`: the point, run, date, state and power of each value as positions,
    and the values, in that order (a long table's columns)."""

    def kept(traj: Trajectories, count: int) -> np.ndarray:
        steps = [traj.dates.index(date) for date in dates]
        return traj.alignment[:, steps].reshape(count, replicates, len(steps), *traj.alignment.shape[2:])

    base = setup.scenario.parameters
    found = np.concatenate(simulate_points(setup, base, points, replicates, seed, kept, chunk, progress))
    positions = np.indices(found.shape).reshape(found.ndim, -1)  # (N, R, D, S, P) -> one row per value
    names = ("point", "run", "date", "state", "power")
    return {**dict(zip(names, positions, strict=True)), "alignment": found.ravel()}
