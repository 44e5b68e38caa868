"""Counterfactuals move what they touch: a state no event of theirs targets keeps its dominant partner,
unless its own terms change (peers alone never turn it)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from sim.ensemble import simulate
from sim.evidence import load_evidence
from sim.scenario import BASELINE, load_scenario
from sim.world import _indexes, prepare

COUNTERFACTUALS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml") if p.name != BASELINE.name)
RUNS = 40


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


def dominant_in_the_end(setup, peer_weight: float | None = None) -> np.ndarray:
    params = dict(setup.params) if peer_weight is None else {**setup.params, "peer_weight": peer_weight}
    traj = simulate(setup, RUNS, 0, params)
    return np.median(traj.alignment[:, -1], axis=0).argmax(axis=-1)


def targeted(setup, baseline) -> set[int]:
    """States the counterfactual's own changes (not the baseline's) touch. A change to a power itself
    (its capability, free capacity, budget) touches every state: each one's terms with that power move."""
    own = {(c.attribute, c.date, c.label) for changes in baseline.events.values() for c in changes}
    states: set[int] = set()
    everyone = range(len(setup.scenario.states))
    resolved = [_indexes(c.states, setup.scenario.states, setup.members) for c in setup.scenario.initial]
    resolved += [
        c.states for changes in setup.events.values() for c in changes if (c.attribute, c.date, c.label) not in own
    ]
    for indexes in resolved:
        states.update(int(i) for i in (indexes if len(indexes) else everyone))
    return states


@pytest.mark.parametrize("name", COUNTERFACTUALS)
def test_untargeted_states_keep_their_partner_unless_their_own_terms_change(name, evidence):
    baseline = prepare(load_scenario(BASELINE, evidence), evidence)
    setup = prepare(load_scenario(ROOT / "scenarios" / name, evidence), evidence)
    shared = [setup.scenario.powers.index(p) for p in baseline.scenario.powers]
    base_end, cf_end = dominant_in_the_end(baseline), dominant_in_the_end(setup)
    base_alone, cf_alone = dominant_in_the_end(baseline, 0.0), dominant_in_the_end(setup, 0.0)
    spared = [s for s in range(len(setup.scenario.states)) if s not in targeted(setup, baseline)]
    for s in spared:
        if shared[base_end[s]] != cf_end[s]:
            state = setup.scenario.states[s]
            assert shared[base_alone[s]] != cf_alone[s], f"{name}: peers alone turned {state}"
