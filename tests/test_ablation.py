"""Each mechanism can be switched on and off alone, and `validate --ablation` scores the model with and without it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.experiments.ablation import FULL, ablation_lines, validate_ablation, verdict
from sim.inputs.documents import InputError
from sim.inputs.packaged import BASELINE
from sim.inputs.scenario import load_scenario
from sim.model.ensemble import simulate
from sim.model.mechanisms import MECHANISMS, is_on, switch
from sim.model.world import prepare


@pytest.fixture(scope="module")
def setup():
    return prepare(load_scenario(BASELINE))


@pytest.mark.parametrize("name", list(MECHANISMS))
def test_a_mechanism_toggled_is_toggled_and_nothing_else(setup, name):
    params = dict(setup.params)
    was = is_on(setup, params, name)
    toggled, changed = switch(setup, params, name, on=not was)
    assert is_on(toggled, changed, name) is not was
    for other in MECHANISMS:
        if other != name:
            assert is_on(toggled, changed, other) is is_on(setup, params, other), other
    assert setup.params == params, "the caller's parameters are left as they were"


@pytest.mark.slow
def test_with_appeals_off_no_state_appeals_and_with_blocs_off_no_membership_changes(setup):
    quiet, params = switch(setup, dict(setup.params), "appeals", on=False)
    quiet, params = switch(quiet, params, "bloc_standing", on=False)
    log = []
    traj = simulate(quiet, 8, 0, params, log=log)
    assert not [e for e in log if "appeal" in e.label.lower()]
    assert (traj.participation == traj.participation[:, :1]).all()
    loud_log = []
    simulate(setup, 8, 0, setup.params, log=loud_log)
    assert [e for e in loud_log if "appeal" in e.label.lower()], "the baseline's crises do bring appeals"


def test_an_unknown_mechanism_is_refused_with_the_known_ones(setup):
    with pytest.raises(InputError, match="mechanism 'apeals'.*appeals"):
        switch(setup, dict(setup.params), "apeals", on=False)


@pytest.mark.slow
def test_validate_ablation_writes_one_row_per_mechanism_and_a_verdict_each(tmp_path):
    frame, out = validate_ablation(None, tmp_path / "ablation", runs=4, seed=2)
    assert list(frame["mechanism"]) == [FULL, *MECHANISMS]
    written = pd.read_csv(out / "ablation.csv")
    assert len(written) == len(MECHANISMS) + 1
    assert np.isclose(written["out_sample_brier"], frame["out_sample_brier"], atol=1e-4).all()
    verdicts = json.loads((out / "manifest.json").read_text())["verdicts"]
    assert set(verdicts) == set(MECHANISMS)
    assert all(text.startswith(("on;", "off;")) for text in verdicts.values())
    printed = "\n".join(ablation_lines(frame))
    assert all(name in printed for name in MECHANISMS)


def test_the_verdict_follows_the_rule():
    """On and better out of sample by the margin: earns; off and no fact or score gained by switching it on: not."""
    rows = [
        {"mechanism": FULL, "in_model": True, "out_sample_brier": 0.30, "in_sample_lost": "", "in_sample_gained": ""},
        {
            "mechanism": "appeals",
            "in_model": True,
            "out_sample_brier": 0.35,
            "in_sample_lost": "",
            "in_sample_gained": "",
        },
        {
            "mechanism": "peers",
            "in_model": True,
            "out_sample_brier": 0.301,
            "in_sample_lost": "",
            "in_sample_gained": "",
        },
        {
            "mechanism": "hedging",
            "in_model": False,
            "out_sample_brier": 0.31,
            "in_sample_lost": "",
            "in_sample_gained": "",
        },
        {
            "mechanism": "rivalry",
            "in_model": False,
            "out_sample_brier": 0.31,
            "in_sample_lost": "x",
            "in_sample_gained": "f",
        },
    ]
    verdicts = verdict(pd.DataFrame(rows))
    assert verdicts["appeals"].startswith("on; earns its place")
    assert verdicts["peers"] == "on; does not earn its place"
    assert verdicts["hedging"] == "off; does not earn its place"
    assert verdicts["rivalry"].startswith("off; earns its place") and "misses f" in verdicts["rivalry"]


def test_posterior_agreement_is_full_for_one_point_and_splits_by_weight(setup):
    """Two copies of one point agree on every state; a point that sends states elsewhere takes its weight."""
    from sim.experiments.agreement import agreement
    from sim.experiments.posterior import Posterior

    one = Posterior(("protection_weight",), np.array([[2.0], [2.0]]), np.array([0.5, 0.5]))
    settled = agreement(setup, one, runs=4)
    assert (settled["agreement"] == 1.0).all()
    shares = settled[[f"share_{p}" for p in setup.scenario.powers]].to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    split = Posterior(("security_weight",), np.array([[0.0], [5.0]]), np.array([0.7, 0.3]))
    apart = agreement(setup, split, runs=4)
    assert ((apart["agreement"] >= 0.7 - 1e-12) & (apart["agreement"] <= 1.0)).all()
    assert (apart["agreement"] < 1.0).any(), "no dependence weight and a strong one lead some state apart"
