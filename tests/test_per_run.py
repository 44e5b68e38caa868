"""The run folder's tables run by run: events_by_run says which runs each event of events.csv happened in."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiments.request import RunRequest

RUNS, SEED = 60, 1


@pytest.fixture(scope="module")
def folder(short_scenario, tmp_path_factory):
    return RunRequest.build(short_scenario, runs=RUNS, seed=SEED).write(tmp_path_factory.mktemp("per-run") / "r")


@pytest.fixture(scope="module")
def by_run(folder):
    return pd.read_parquet(folder / "events_by_run.parquet").astype({"date": str, "label": str})


def test_counting_an_events_rows_gives_its_runs_in_events_csv(folder, by_run):
    events = pd.read_csv(folder / "events.csv", dtype={"date": str})
    counted = by_run.groupby(["date", "label"]).size().rename("rows").reset_index()
    both = events.merge(counted, on=["date", "label"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    assert (both["rows"] == both["runs"]).all() and (events["runs"] < RUNS).any()  # some happened in some runs
    assert list(by_run.columns) == ["run", "date", "kind", "states", "power", "bloc", "label"]
    assert by_run["run"].is_monotonic_increasing and set(by_run["run"]) == set(range(RUNS))
    assert not by_run.duplicated(["run", "date", "label"]).any()


def test_a_bloc_events_share_is_the_share_of_runs_with_a_freeze_or_exit_by_then(folder, by_run):
    blocs = pd.read_csv(folder / "bloc_events.csv", dtype={"date": str})
    stops = by_run[by_run["kind"].isin(["freeze", "exit"])].astype({"states": str, "bloc": str})
    assert (blocs["p_frozen_or_left"] > 0).any()
    for row in blocs.itertuples():
        mine = stops[(stops["states"] == row.state) & (stops["bloc"] == row.bloc) & (stops["date"] <= row.date)]
        assert row.p_frozen_or_left == pytest.approx(mine["run"].nunique() / RUNS), row


def test_runs_in_csv_chunks_or_with_mesa_give_the_same_rows(short_scenario, folder, by_run, tmp_path, monkeypatch):
    """Run i's events are the same in CSV, in chunks of three runs, and from the Mesa driver."""
    from sim.experiments import run

    monkeypatch.setattr(run, "chunk_runs", lambda *shape: 3)
    out = RunRequest.build(short_scenario, runs=RUNS, seed=SEED, format="csv").write(tmp_path / "csv")
    written = pd.read_csv(out / "events_by_run.csv", dtype=str, keep_default_na=False).astype({"run": int})
    pd.testing.assert_frame_equal(written, by_run.astype(str).astype({"run": int}))
    mesa = RunRequest.build(short_scenario, runs=2, seed=SEED, engine="mesa").simulate().events_by_run
    first = by_run[by_run["run"] < 2].reset_index(drop=True)
    assert len(first) and mesa.astype(str).equals(first.astype(str))


def test_draws_are_each_runs_parameters_within_their_ranges_and_the_same_for_a_seed(short_scenario, folder, tmp_path):
    from sim.inputs.parameters import PARAMETERS

    draws = pd.read_parquet(folder / "draws.parquet")
    assert draws["run"].tolist() == list(range(RUNS)) and draws["seed"].is_unique and draws["evidence_drawn"].all()
    for parameter in PARAMETERS:
        assert draws[parameter.name].between(parameter.low, parameter.high).all(), parameter.name
    assert draws["adjustment_rate"].nunique() > 1  # the posterior's draws differ from run to run
    again = RunRequest.build(short_scenario, runs=RUNS, seed=SEED).write(tmp_path / "again")
    pd.testing.assert_frame_equal(pd.read_parquet(again / "draws.parquet"), draws)


def test_without_parameter_uncertainty_every_run_draws_the_fitted_point(short_scenario, tmp_path):
    request = RunRequest.build(short_scenario, runs=4, seed=SEED, uncertainty="shocks", format="csv")
    draws = pd.read_csv(request.write(tmp_path / "fitted") / "draws.csv")
    fitted = request.scenario.parameters
    assert not draws["evidence_drawn"].any()
    for name, value in fitted.items():
        assert (draws[name] == value).all(), name


def test_draws_hold_the_evidence_levels_each_run_started_from(short_scenario, folder):
    """The ties the rest point leaves as they are (credibility, economic and security dependence) start each run
    at the levels draws.parquet records for it: its own draw with evidence uncertainty, the derived values without."""
    import numpy as np

    from sim.experiments.uncertainty import SOURCES

    simulated = RunRequest.build(short_scenario, runs=RUNS, seed=SEED).simulate()
    draws, held = simulated.draws(), simulated.held
    pd.testing.assert_frame_equal(draws, pd.read_parquet(folder / "draws.parquet"))
    for attribute in ("credibility", "economic", "security"):
        names = [f"{attribute}:{state}:{power}" for state in held.states for power in held.powers]
        started = draws[names].to_numpy().reshape(RUNS, len(held.states), len(held.powers))
        np.testing.assert_allclose(started, getattr(held, attribute)[:, 0], atol=1e-6, err_msg=attribute)
        assert draws[names].nunique().gt(1).all()  # every run its own draw
    certain = RunRequest.build(short_scenario, runs=3, seed=SEED, uncertainty=[s for s in SOURCES if s != "evidence"])
    fixed = certain.simulate().draws()
    assert fixed.filter(like=":").nunique().eq(1).all() and len(fixed.filter(like=":").columns) == 272
