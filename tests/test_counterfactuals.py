"""Counterfactuals move what they touch: a state none of their changes touches keeps its dominant partner,
unless its own terms change (peers alone never turn it)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT

from sim.inputs.evidence import load_evidence
from sim.inputs.packaged import BASELINE
from sim.inputs.scenario import load_scenario
from sim.model.ensemble import simulate
from sim.model.world import _indexes, prepare

COUNTERFACTUALS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml") if p.name != BASELINE.name)
RUNS = 40
#: A dominant partner is clear when it leads in this share of runs; a near tie can turn either way.
CLEAR = 0.8


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


def dominant_in_the_end(setup, peer_weight: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each state's 2030 dominant partner (of the median shares), and whether it is clear."""
    params = dict(setup.params) if peer_weight is None else {**setup.params, "peer_weight": peer_weight}
    end = simulate(setup, RUNS, 0, params).alignment[:, -1]
    dominant = np.median(end, axis=0).argmax(axis=-1)
    return dominant, (end.argmax(axis=-1) == dominant).mean(axis=0) >= CLEAR


def touched(setup, baseline) -> set[int]:
    """States the counterfactual's changes touch: its own initial changes and events, and the baseline
    events it drops. A change to a power itself (capability, free capacity, budget) touches every state."""
    key = lambda change: (change.attribute, change.date, change.label)  # noqa: E731
    base_events = {key(c): c for changes in baseline.events.values() for c in changes}
    own_events = {key(c): c for changes in setup.events.values() for c in changes}
    changed = [c for k, c in own_events.items() if k not in base_events]
    changed += [c for k, c in base_events.items() if k not in own_events]
    resolved = [_indexes(c.targets, setup.scenario.states, setup.members) for c in setup.scenario.initial]
    resolved += [c.states for c in changed]
    everyone = range(len(setup.scenario.states))
    return {int(i) for indexes in resolved for i in (indexes if len(indexes) else everyone)}


@pytest.mark.parametrize("name", COUNTERFACTUALS)
@pytest.mark.slow
def test_untouched_states_keep_their_partner_unless_their_own_terms_change(name, evidence):
    baseline = prepare(load_scenario(BASELINE, evidence), evidence)
    setup = prepare(load_scenario(ROOT / "scenarios" / name, evidence), evidence)
    shared = [setup.scenario.powers.index(p) for p in baseline.scenario.powers]
    (base_end, clear), (cf_end, _) = dominant_in_the_end(baseline), dominant_in_the_end(setup)
    (base_alone, _), (cf_alone, _) = dominant_in_the_end(baseline, 0.0), dominant_in_the_end(setup, 0.0)
    spared = [s for s in range(len(setup.scenario.states)) if s not in touched(setup, baseline) and clear[s]]
    for s in spared:
        if shared[base_end[s]] != cf_end[s]:
            state = setup.scenario.states[s]
            assert shared[base_alone[s]] != cf_alone[s], f"{name}: peers alone turned {state}"


#: What each counterfactual asks about: (measure, states, power, direction) at the end of the run.
QUESTIONS = {
    "no_invasion.yaml": ("alignment", ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan"), "Russia", +1),
    "war_ends_2023.yaml": ("alignment", ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan"), "Russia", +1),
    "china_security.yaml": ("alignment", ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan"), "China", +1),
    "us_disengages.yaml": ("alignment", ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan"), "US", -1),
    "turkic_integration.yaml": ("alignment", ("Azerbaijan", "Kazakhstan", "Kyrgyzstan", "Uzbekistan"), "Turkey", +1),
    "csto_fails_again.yaml": ("credibility", ("Kyrgyzstan", "Armenia", "Kazakhstan", "Tajikistan"), "Russia", -1),
    "eu_partnership.yaml": ("alignment", ("Moldova", "Georgia"), "US", -1),
    # the conditional hindcast: the Karabakh offensive and the peacekeepers' withdrawal turn Armenia from Russia
    "hindcast_2023_2025.yaml": ("alignment", ("Armenia",), "Russia", -1),
}


def final_mean(traj, measure: str, states: tuple[str, ...], power: str) -> np.ndarray:
    """Per run: the measure at the last month, averaged over the states."""
    s = [traj.states.index(state) for state in states]
    return getattr(traj, measure)[:, -1, s, traj.powers.index(power)].mean(axis=1)


@pytest.mark.parametrize("name", COUNTERFACTUALS)
def test_each_counterfactual_moves_what_it_asks_about_beyond_the_noise(name, evidence):
    """Paired by run (common random numbers), the 5-95% band of the change lies wholly on the side the
    description implies."""
    measure, states, power, direction = QUESTIONS[name]
    baseline = simulate(prepare(load_scenario(BASELINE, evidence), evidence), RUNS, 0)
    counterfactual = simulate(prepare(load_scenario(ROOT / "scenarios" / name, evidence), evidence), RUNS, 0)
    change = direction * (
        final_mean(counterfactual, measure, states, power) - final_mean(baseline, measure, states, power)
    )
    assert np.percentile(change, 5) > 0, f"{name}: {measure} {power} in {', '.join(states)}"


def test_the_war_ending_leaves_russia_no_better_off_than_no_invasion(evidence):
    """Russia's forces come back to their pre-war level, but the reputation lost in 2022 stays."""
    never = simulate(prepare(load_scenario(ROOT / "scenarios" / "no_invasion.yaml", evidence), evidence), RUNS, 0)
    ended = simulate(prepare(load_scenario(ROOT / "scenarios" / "war_ends_2023.yaml", evidence), evidence), RUNS, 0)
    russia = never.powers.index("Russia")
    gap = np.median(ended.alignment[:, -1, :, russia], axis=0) - np.median(never.alignment[:, -1, :, russia], axis=0)
    assert (gap <= 0.01).all(), dict(zip(never.states, gap.round(3), strict=True))
