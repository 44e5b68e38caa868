"""The Mesa model and the ensemble engine are one model: same seed, same trajectories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import cli_in_process

from sim.experiments.posterior import Posterior
from sim.experiments.uncertainty import SOURCES, Group, simulate_groups, simulate_uncertain
from sim.inputs.evidence import load_evidence
from sim.inputs.scenario import load_scenario
from sim.model import ensemble
from sim.model.ensemble import run_seed, simulate
from sim.model.events import EVENT_KEYS, MODEL, LoggedEvent, combined, event_table
from sim.model.model import AllianceModel
from sim.model.trajectories import SERIES
from sim.model.world import prepare


@pytest.fixture(scope="module")
def setup(short_scenario):
    evidence = load_evidence()
    return prepare(load_scenario(short_scenario, evidence), evidence)


def mesa_run(setup, seed: int, run: int):
    model = AllianceModel(setup.scenario, rng=run_seed(seed, run), evidence=setup.evidence)
    while model.running:
        model.step()
    return model


@pytest.mark.parametrize("seed", [0, 12345])
def test_mesa_and_ensemble_agree(setup, seed):
    """Bit for bit: every series, every bloc standing, every appeal and its answer."""
    log: list[LoggedEvent] = []
    ensemble = simulate(setup, 4, seed, log=log)
    assert any("appeals" in r.label for r in log if r.source == MODEL)
    mesa_logs = []
    for run in range(4):
        model = mesa_run(setup, seed, run)
        traj = model.trajectories(run)
        for name in SERIES:
            np.testing.assert_array_equal(getattr(traj, name)[0], getattr(ensemble, name)[run], err_msg=name)
        np.testing.assert_array_equal(traj.participation[0], ensemble.participation[run])
        assert all(e.runs == 1 for e in model.event_log)
        mesa_logs.append(model.event_log)
    pd.testing.assert_frame_equal(events_of(combined(mesa_logs)), events_of(log), check_exact=True)


def events_of(log: list[LoggedEvent]) -> pd.DataFrame:
    """The events table in one order, whatever order the events were logged in."""
    return event_table(log).sort_values(EVENT_KEYS, ignore_index=True)


def test_mesa_and_ensemble_agree_with_parameters_drawn_per_run(setup):
    """A batch whose runs carry their own parameter values (a design, a posterior draw) gives, run by run, what
    the Mesa model gives with those values: bit for bit."""
    rng = np.random.default_rng(3)
    drawn = {"adjustment_rate": rng.uniform(0.05, 0.2, 3), "freeze_threshold": rng.uniform(0.3, 0.7, 3)}
    ensemble_runs = simulate(setup, 3, 11, {**setup.params, **drawn})
    for run in range(3):
        own = {name: float(values[run]) for name, values in drawn.items()}
        model = AllianceModel(setup.scenario, rng=run_seed(11, run), evidence=setup.evidence, **own)
        while model.running:
            model.step()
        traj = model.trajectories(run)
        for name in SERIES:
            np.testing.assert_array_equal(getattr(traj, name)[0], getattr(ensemble_runs, name)[run], err_msg=name)
        np.testing.assert_array_equal(traj.participation[0], ensemble_runs.participation[run])


def test_runs_do_not_depend_on_chunking(setup):
    """Nor do the events: an appeal's share answered, over chunks, is the whole batch's to the last digit."""
    log: list[LoggedEvent] = []
    whole = simulate(setup, 12, 7, log=log)
    logs: list[list[LoggedEvent]] = [[], [], []]
    chunks = zip(((0, 5), (5, 6), (6, 12)), logs, strict=True)
    parts = [simulate(setup, np.arange(a, b), 7, log=part) for (a, b), part in chunks]
    np.testing.assert_array_equal(np.concatenate([p.alignment for p in parts]), whole.alignment)
    assert any(event.answers is not None and len(event.answers) > 1 for event in combined(logs))
    pd.testing.assert_frame_equal(events_of(combined(logs)), events_of(log), check_exact=True)
    alone = simulate(setup, np.array([9]), 7)
    np.testing.assert_array_equal(alone.alignment[0], whole.alignment[9])


def test_blocks_of_runs_change_nothing(setup, monkeypatch):
    """Runs step through the months a block at a time: blocks of 5 give every number, event and progress
    count that one block gives."""
    log: list[LoggedEvent] = []
    whole = simulate(setup, 12, 7, log=log)
    monkeypatch.setattr(ensemble, "BLOCK_RUNS", 5)
    blocked_log: list[LoggedEvent] = []
    months: list[int] = []
    blocked = simulate(setup, 12, 7, log=blocked_log, progress=months.append)
    for name in SERIES:
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name), err_msg=name)
    np.testing.assert_array_equal(blocked.participation, whole.participation)
    assert blocked_log == log
    assert sum(months) == setup.scenario.months


def test_threads_change_nothing(setup, monkeypatch):
    """Blocks stepped on three threads at once give every number, event and progress count that one thread
    gives, with the last block shorter than the others."""
    monkeypatch.setattr(ensemble, "BLOCK_RUNS", 4)
    monkeypatch.setattr(ensemble, "THREAD_RUNS", 1)
    alone_log: list[LoggedEvent] = []
    alone = simulate(setup, 14, 7, log=alone_log, threads=1)
    log: list[LoggedEvent] = []
    months: list[int] = []
    together = simulate(setup, 14, 7, log=log, progress=months.append, threads=3)
    assert [rows.stop - rows.start for rows in ensemble._blocks(14, 3)] == [3, 3, 3, 3, 2]
    for name in SERIES:
        np.testing.assert_array_equal(getattr(together, name), getattr(alone, name), err_msg=name)
    np.testing.assert_array_equal(together.participation, alone.participation)
    assert log == alone_log
    assert sum(months) == setup.scenario.months


def test_repeated_runs_and_shared_parameters_give_what_each_run_gives_alone(setup):
    """Runs drawn once and copied where a run id comes again, starts settled once where runs share their
    parameters: each run is still the run simulated alone, bit for bit."""
    run_ids = np.array([3, 1, 3, 0, 1, 3])
    rates = np.array([0.1, 0.1, 0.2, 0.1, 0.2, 0.1])
    batch = simulate(setup, run_ids, 7, {**setup.params, "adjustment_rate": rates})
    for row, (run, rate) in enumerate(zip(run_ids, rates, strict=True)):
        alone = simulate(setup, np.array([run]), 7, {**setup.params, "adjustment_rate": rate})
        for name in SERIES:
            np.testing.assert_array_equal(getattr(batch, name)[row], getattr(alone, name)[0], err_msg=name)
    assert not np.array_equal(batch.alignment[0], batch.alignment[2])  # same run, other parameters


def test_kept_months_are_those_of_every_month(setup):
    """A simulation keeping some months gives those months of the whole simulation, labelled by their dates."""
    whole = simulate(setup, 3, 7)
    kept = [0, 2, setup.scenario.months]
    some = simulate(setup, 3, 7, kept=kept)
    assert some.dates == [whole.dates[m] for m in kept]
    for name in SERIES:
        np.testing.assert_array_equal(getattr(some, name), getattr(whole, name)[:, kept], err_msg=name)
    np.testing.assert_array_equal(some.participation, whole.participation[:, kept])
    with pytest.raises(ValueError, match="every month"):
        simulate(setup, 3, 7, log=[], kept=kept)


def test_seed_matters(setup):
    assert not np.allclose(simulate(setup, 2, 1).alignment, simulate(setup, 2, 2).alignment)


@pytest.mark.slow
def test_cli_engines_write_the_same_trajectories(short_scenario, tmp_path):
    for engine in ("ensemble", "mesa"):
        code, _, err = cli_in_process(
            "run", short_scenario, "--runs", 3, "--seed", 5, "--engine", engine, "--out", tmp_path / engine
        )
        assert code == 0, err
    a = pd.read_parquet(tmp_path / "ensemble" / "trajectories.parquet")
    b = pd.read_parquet(tmp_path / "mesa" / "trajectories.parquet")
    assert len(a) == len(b) == 3 * 36 * 10 * 4
    np.testing.assert_allclose(a["alignment"], b["alignment"], rtol=0, atol=1e-9)
    events_a = pd.read_csv(tmp_path / "ensemble" / "events.csv")
    events_b = pd.read_csv(tmp_path / "mesa" / "events.csv")
    pd.testing.assert_frame_equal(events_a, events_b)


def test_a_batch_mixing_sources_of_uncertainty_gives_each_run_what_it_gives_alone(setup):
    """Runs with every source, and runs with one source each (the runs uncertainty.csv measures), in one batch:
    bit for bit each group's numbers alone, and the log counts only the first group's runs."""
    posterior = Posterior(("peer_weight",), np.array([[0.1], [0.9]]), np.array([0.5, 0.5]))
    groups = [Group(np.arange(4), SOURCES), *(Group(np.arange(3), (source,)) for source in SOURCES)]
    log: list[LoggedEvent] = []
    together = simulate_groups(setup, groups, 6, posterior, log=log)
    for group, mixed in zip(groups, together, strict=True):
        alone = simulate_uncertain(setup, group.runs, 6, group.sources, posterior)
        for name in SERIES:
            np.testing.assert_array_equal(getattr(mixed, name), getattr(alone, name), err_msg=f"{group.sources} {name}")
        np.testing.assert_array_equal(mixed.participation, alone.participation)
        np.testing.assert_array_equal(mixed.runs, group.runs)
    first_alone: list[LoggedEvent] = []
    simulate_uncertain(setup, groups[0].runs, 6, SOURCES, posterior, log=first_alone)
    assert log == first_alone
    assert not np.array_equal(together[1].alignment, together[2].alignment)  # the sources do differ


def test_the_threads_are_the_cores_unless_a_whole_number_is_chosen(monkeypatch):
    """ALLIANCE_SIM_THREADS chooses the threads; a value that is not a whole number of at least 1 is named in a
    warning and the usable cores are taken instead."""
    monkeypatch.setenv("ALLIANCE_SIM_THREADS", "3")
    assert ensemble.usable_cores() == 3
    monkeypatch.delenv("ALLIANCE_SIM_THREADS")
    cores = ensemble.usable_cores()
    assert cores >= 1
    for wrong in ("0", "two", "-1"):
        monkeypatch.setenv("ALLIANCE_SIM_THREADS", wrong)
        with pytest.warns(UserWarning, match=f"ALLIANCE_SIM_THREADS='{wrong}'"):
            assert ensemble.usable_cores() == cores


def test_no_runs_give_empty_arrays(setup):
    """A batch of no runs (a group with nothing to simulate) gives every month's arrays with no rows."""
    traj = simulate(setup, np.array([], dtype=int), 7, log=[], threads=2)
    assert traj.alignment.shape == (0, setup.scenario.months + 1, *traj.alignment.shape[2:])


def test_a_run_folder_is_the_same_from_either_driver(short_scenario, tmp_path):
    """Every table and figure `run --engine mesa` writes is the ensemble's, byte for byte, bloc tallies included
    (only the manifest, and its copy in the trajectories file, say which driver ran)."""
    from sim.experiments.request import RunRequest

    folders = [
        RunRequest.build(short_scenario, runs=3, seed=4, engine=engine).write(tmp_path / engine)
        for engine in ("ensemble", "mesa")
    ]
    names = [sorted(path.relative_to(folder) for path in folder.rglob("*") if path.is_file()) for folder in folders]
    assert names[0] == names[1] and Path("bloc_events.csv") in names[0] and Path("plots/summary.png") in names[0]
    for name in names[0]:
        ensemble_file, mesa_file = (folder / name for folder in folders)
        if name.suffix == ".parquet":
            assert pq.read_table(ensemble_file).equals(pq.read_table(mesa_file)), name
        elif name.name != "manifest.json":
            assert ensemble_file.read_bytes() == mesa_file.read_bytes(), name
