"""Parameter points through the ensemble: one point per value, replicates as runs, any chunking."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.points import simulate_points, simulate_runs
from sim.inputs.evidence import load_evidence
from sim.inputs.scenario import load_scenario
from sim.model.ensemble import simulate
from sim.model.world import prepare

VALUES = {"shock_scale": np.array([0.02, 0.05, 0.02]), "peer_weight": np.array([0.3, 0.6, 0.3])}


@pytest.fixture(scope="module")
def setup(short_scenario):
    evidence = load_evidence()
    return prepare(load_scenario(short_scenario, evidence), evidence)


def finals(traj, points: int) -> np.ndarray:
    return traj.alignment[:, -1].reshape(points, -1, *traj.alignment.shape[2:])


def test_each_point_is_its_replicates_run_with_its_values(setup):
    """Point 1's replicates are runs 0..R-1 with point 1's values, whatever the chunk size; points with
    the same values share their streams (common random numbers) and so give the same numbers."""
    whole = np.concatenate(simulate_points(setup, setup.params, VALUES, 3, 4, finals, chunk=1000))
    one_by_one = np.concatenate(simulate_points(setup, setup.params, VALUES, 3, 4, finals, chunk=2))
    np.testing.assert_array_equal(whole, one_by_one)
    alone = simulate(setup, 3, 4, {**setup.params, "shock_scale": 0.05, "peer_weight": 0.6})
    np.testing.assert_array_equal(whole[1], alone.alignment[:, -1])
    np.testing.assert_array_equal(whole[0], whole[2])
    assert not np.array_equal(whole[0], whole[1])


def test_progress_counts_points_and_runs_take_their_points_values(setup):
    done: list[int] = []
    simulate_points(setup, setup.params, VALUES, 2, 4, finals, chunk=4, progress=done.append)
    assert done == [2, 1]
    run_ids = np.array([7, 8])
    traj = simulate_runs(setup, setup.params, VALUES, np.array([1, 2]), run_ids, 4)
    expected = simulate(
        setup, run_ids, 4, {**setup.params, "shock_scale": np.array([0.05, 0.02]), "peer_weight": np.array([0.6, 0.3])}
    )
    np.testing.assert_array_equal(traj.alignment, expected.alignment)
