"""The start is a rest point: with no event the world moves no further than its shocks carry it, and an
event moves only what it reaches."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.experiments.uncertainty import SOURCES, load_posterior, simulate_uncertain
from sim.inputs.packaged import BASELINE
from sim.inputs.scenario import load_scenario
from sim.model.world import prepare

RUNS = 60
#: Median over runs of a share's absolute change, 2021-01 to 2030-12, that counts as noise.
NOISE = 0.02


@pytest.fixture(scope="module")
def setup():
    return prepare(load_scenario(BASELINE))


def median_change(setup, runs: int = RUNS) -> np.ndarray:
    """Median over runs of each (state, power) share's absolute change from the start to the end, (S, P)."""
    traj = simulate_uncertain(setup, runs, 3, SOURCES, load_posterior())
    return np.median(np.abs(traj.alignment[:, -1] - traj.alignment[:, 0]), axis=0)


def test_with_every_event_removed_no_share_moves_beyond_noise(setup):
    """All three sources of uncertainty on (shocks, a posterior draw and an evidence draw per run)."""
    moved = median_change(replace(setup, events={}))
    assert moved.max() < NOISE, f"largest median move {moved.max():.3f}"


def test_one_event_moves_what_it_reaches_and_nothing_else(setup):
    """Russia's pressure on Moldova (2022-05): Moldova turns from Russia; no other state, none of which
    shares an active tie with Moldova, moves beyond noise."""
    moldova = setup.scenario.states.index("Moldova")
    russia = setup.scenario.powers.index("Russia")
    only = {
        month: [c for c in changes if c.attribute == "coercion" and list(c.states) == [moldova]]
        for month, changes in setup.events.items()
    }
    only = {month: changes for month, changes in only.items() if changes}
    assert sum(map(len, only.values())) == 1
    moved = median_change(replace(setup, events=only))
    assert moved[moldova, russia] > NOISE
    others = np.delete(moved, moldova, axis=0)
    assert others.max() < NOISE, f"largest move elsewhere {others.max():.3f}"
