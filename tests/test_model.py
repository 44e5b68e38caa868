"""The Mesa model itself: agents and their phases, the ties, scheduled events, data collection."""

from __future__ import annotations

import numpy as np
import pytest

from sim.inputs.geography import BLOCS, STATES
from sim.model import dynamics
from sim.model.agents import PowerAgent, StateAgent
from sim.model.model import AllianceModel


@pytest.fixture(scope="module")
def model(short_scenario):
    model = AllianceModel(short_scenario, rng=3)
    while model.running:
        model.step()
    return model


def test_agents_and_the_phases_they_act_in(model):
    """Each phase of the month is acted by its agents, in index order (states appeal in state order)."""
    assert sorted(a.name for a in model.agents_by_type[StateAgent]) == sorted(STATES)
    assert [a.name for a in model.agents_by_type[PowerAgent]] == ["Russia", "US", "China", "Turkey"]
    assert [a.name for a in model.actors["states"]] == model.states
    assert {phase.actors for phase in dynamics.MONTH} == set(model.actors) | {"world"}


def test_the_peer_rules_read_the_ties(model):
    """Borders, rivalries and shared blocs: the links `peer_pull` and `answering_cost` read."""
    ties, index = model.setup.ties, model.states.index
    armenia = index("Armenia")
    assert ties.borders[armenia, index("Georgia")] == 1 and ties.rivals[armenia, index("Azerbaijan")] == 1
    assert ties.borders[armenia, index("Azerbaijan")] == 0  # rivals that share a border push apart only
    csto = BLOCS.index("CSTO")
    assert ties.members[csto, armenia] and ties.members[csto, index("Belarus")]


def test_runs_to_the_scenario_end(model):
    assert model.steps == model.setup.scenario.months
    assert model.date == "2023-12"
    assert not model.running


def test_events_fire_in_their_month(model):
    """Armenia's unanswered appeal (2022-09) cuts Russia's credibility with Armenia that month."""
    months = [d for d in model.setup.scenario.dates]
    credibility = np.array([h[0, 0] for h in model.history["credibility"]])  # Armenia, Russia
    before, after = months.index("2022-08"), months.index("2022-09")
    assert credibility[after] < 0.8 * credibility[before]
    logged = {e.date: e for e in model.event_log if "Armenia appeals" in e.label}
    assert logged["2022-09"].answered < 0.5


def test_datacollector(model):
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.steps + 1
    leaning = frame[[f"states_leaning_{p}" for p in model.powers]].sum(axis=1)
    assert (leaning == 10).all()
    states = model.datacollector.get_agenttype_vars_dataframe(StateAgent)
    shares = states[[f"alignment_{p}" for p in model.powers]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)


def test_history_is_what_the_datacollector_recorded(model):
    """The DataCollector is the run's one record: the history and the trajectories are read from it."""
    states = model.datacollector.get_agenttype_vars_dataframe(StateAgent)
    last = states.xs(model.steps, level="Step").set_index("state").loc[model.states]
    history = model.history
    assert history["economic"].shape == (model.steps + 1, len(model.states), len(model.powers))
    np.testing.assert_array_equal(history["economic"][-1], last[[f"economic_{p}" for p in model.powers]])
    np.testing.assert_array_equal(history["alignment"][-1], model.world.alignment[0])
    np.testing.assert_array_equal(history["participation"][-1], model.world.participation[0])
    traj = model.trajectories(5)
    assert traj.dates[-1] == model.date and traj.runs.tolist() == [5]
    np.testing.assert_array_equal(traj.outreach[0], history["outreach"])


def test_history_read_every_month_is_the_history_read_once_at_the_end(short_scenario, model):
    """The page reads the history after every month, and each month's records are read only once: the result
    is the same as reading the whole record at the end, month by month as the DataCollector holds it."""
    followed = AllianceModel(short_scenario, rng=3)
    while followed.running:
        followed.step()
        assert len(followed.history["alignment"]) == followed.steps + 1
    assert followed.history.keys() == model.history.keys()
    for name, array in model.history.items():
        np.testing.assert_array_equal(followed.history[name], array)
        assert followed.history[name].dtype == array.dtype and not followed.history[name].flags.writeable
    states = model.datacollector.get_agenttype_vars_dataframe(StateAgent)
    for step in range(model.steps + 1):
        rows = states.xs(step, level="Step").set_index("state").loc[model.states]
        np.testing.assert_array_equal(model.history["economic"][step], rows[[f"economic_{p}" for p in model.powers]])


def test_parameter_overrides_change_the_run(short_scenario):
    calm = AllianceModel(short_scenario, rng=1, shock_scale=0.0)
    noisy = AllianceModel(short_scenario, rng=1, shock_scale=0.2)
    for _ in range(6):
        calm.step()
        noisy.step()
    assert not np.allclose(calm.world.alignment, noisy.world.alignment)
    with pytest.raises(TypeError, match="unknown model parameters"):
        AllianceModel(short_scenario, rng=1, shock_scael=0.1)
