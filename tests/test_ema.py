"""sim.ema: the scenario as an EMA Workbench model, its parameters the uncertainties, named shares the outcomes."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.inputs.parameters import PARAMETERS

ema_workbench = pytest.importorskip("ema_workbench")
import sim.ema  # noqa: E402

OUTCOMES = ["kazakhstan_china_2023", "armenia_russia_2022"]


@pytest.fixture(scope="module")
def model(short_scenario):
    return sim.ema.model(scenario=short_scenario, runs=2, outcomes=OUTCOMES, seed=1)


def experiments(model, n: int, rng: int, evaluator=None):
    evaluator = evaluator or ema_workbench.SequentialEvaluator(model)
    return ema_workbench.perform_experiments(model, n, evaluator=evaluator, uncertainty_sampling_kwargs={"rng": rng})


def test_eight_experiments_give_eight_shares_per_outcome_the_same_for_a_seed(model):
    assert [u.name for u in model.uncertainties] == [p.name for p in PARAMETERS]
    table, outcomes = experiments(model, 8, 5)
    assert len(table) == 8 and set(outcomes) == set(OUTCOMES)
    for values in outcomes.values():
        assert values.shape == (8,) and ((values >= 0) & (values <= 1)).all() and np.unique(values).size > 1
    again, repeated = experiments(model, 8, 5)
    names = [p.name for p in PARAMETERS]
    assert again[names].equals(table[names]) and all(np.array_equal(outcomes[k], repeated[k]) for k in OUTCOMES)


def test_an_outcome_the_scenario_does_not_have_is_refused(short_scenario):
    with pytest.raises(sim.InputError, match="kazakhstan_china_2023"):
        sim.ema.model(scenario=short_scenario, outcomes=["kazakhstan_china_2030"])


def test_prim_finds_a_box_of_the_parameters_behind_a_high_share(model):
    from ema_workbench.analysis import prim

    table, outcomes = experiments(model, 40, 2)
    share = outcomes["kazakhstan_china_2023"]
    high = share > np.quantile(share, 0.7)
    box = prim.Prim(table[[p.name for p in PARAMETERS]], high).find_box()
    assert box is not None and box.peeling_trajectory["mean"].iloc[-1] > high.mean()


def test_the_batch_evaluator_gives_every_experiment_the_outcomes_it_gets_alone(model):
    """One batched engine call for all twelve experiments: the same table and the same outcomes, to the bit, as
    EMA's SequentialEvaluator running them one by one."""
    table, outcomes = experiments(model, 12, 7)
    batched, found = experiments(model, 12, 7, sim.ema.BatchEvaluator(model))
    names = [p.name for p in PARAMETERS]
    assert batched[names].equals(table[names])
    for name in OUTCOMES:
        assert np.array_equal(found[name], outcomes[name]), name
        assert np.unique(found[name]).size > 1


def test_the_batch_evaluator_refuses_a_model_it_did_not_make():
    other = ema_workbench.Model("other", function=lambda x=0.0: {"y": x})
    other.uncertainties = [ema_workbench.RealParameter("x", 0.0, 1.0)]
    other.outcomes = [ema_workbench.ScalarOutcome("y")]
    with pytest.raises(sim.InputError, match="sim.ema.model"):
        ema_workbench.perform_experiments(other, 2, evaluator=sim.ema.BatchEvaluator(other))
