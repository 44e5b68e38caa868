"""What the drivers produce, written one way: the long form of trajectories and the event log."""

from __future__ import annotations

import numpy as np
import pytest

from sim.inputs.evidence import load_evidence
from sim.inputs.scenario import load_scenario
from sim.model.ensemble import run_seed, simulate
from sim.model.events import EVENT_COLUMNS, MODEL, LoggedEvent, event_table
from sim.model.model import AllianceModel
from sim.model.world import prepare


@pytest.fixture(scope="module")
def setup(short_scenario):
    evidence = load_evidence()
    return prepare(load_scenario(short_scenario, evidence), evidence)


def test_long_form_encodes_labels_against_a_wider_set(setup):
    """Chunk files of different scenarios share one dictionary; the rows stay the same."""
    traj = simulate(setup, 2, 0)
    wider = {"state": ["Atlantis", *reversed(traj.states)], "power": [*traj.powers, "EU"]}
    own, shared = traj.to_table().to_pandas(), traj.to_table(labels=wider).to_pandas()
    assert list(shared["state"].cat.categories) == wider["state"]
    assert list(shared["power"].cat.categories) == wider["power"]
    assert list(shared["date"].cat.categories) == traj.dates
    for column in own.columns:
        np.testing.assert_array_equal(own[column].astype(str), shared[column].astype(str), err_msg=column)


def test_both_drivers_log_the_same_record_and_make_the_same_table(setup):
    log: list[LoggedEvent] = []
    simulate(setup, np.array([0]), 3, log=log)
    model = AllianceModel(setup.scenario, rng=run_seed(3, 0), evidence=setup.evidence)
    while model.running:
        model.step()
    assert any(e.source == MODEL for e in log)
    ensemble, mesa = event_table(log), event_table(model.event_log)
    assert list(ensemble.columns) == EVENT_COLUMNS
    assert EVENT_COLUMNS == [
        "date", "label", "source", "answered", "runs", "kind", "states", "power", "bloc", "attribute"
    ]  # fmt: skip
    key = ["date", "label", "source", "kind", "states", "power", "bloc", "attribute"]
    assert sorted(map(tuple, ensemble[key].to_numpy())) == sorted(map(tuple, mesa[key].to_numpy()))
    assert (ensemble["runs"] == 1).all() and (mesa["runs"] == 1).all()
    assert list(event_table([]).columns) == EVENT_COLUMNS


def test_an_event_says_whom_it_concerns_without_its_label_being_read(setup):
    """Appeals name the state and the patron, bloc decisions the bloc and its leader, scheduled events the
    states and the power their change touches."""
    log: list[LoggedEvent] = []
    simulate(setup, np.arange(20), 3, log=log)
    table = event_table(log)
    appeals = table[table["kind"] == "appeal"]
    assert len(appeals) and all(f"{r.states} appeals to {r.power}" in r.label for r in appeals.itertuples())
    invasion = table[table["label"].str.startswith("Russia invades Ukraine")].iloc[0]
    assert invasion.kind == "scheduled" and invasion.power == "Russia"
    blocs = table[table["kind"].isin(["freeze", "exit", "return"])]
    assert all(r.bloc in r.label and r.states in r.label for r in blocs.itertuples())
