"""`alliance-sim batch`: streamed chunk files that read back as one frame, the same numbers on any
executor, chunking or worker count, failures recorded without stopping, exact resume after a crash;
and Mesa's own batch_run driving AllianceModel."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, cli

from sim.experiments import chunks
from sim.experiments import points as parameter_points
from sim.experiments.batch import run_batch
from sim.inputs.parameters import PARAMETERS
from sim.inputs.scenario import load_scenario
from sim.model.ensemble import run_seed, simulate
from sim.model.trajectories import SERIES
from sim.model.world import prepare
from sim.outputs.destination import mark

COLUMNS = ["point", "run", "scenario", "step", "date", "state", "power", *SERIES]


def write_experiment(
    folder: Path, scenarios: list[Path], extra: str = "", runs: int = 25, chunk_runs: int = 30
) -> Path:
    listed = ", ".join(str(s) for s in scenarios)
    path = folder / "experiment.yaml"
    path.write_text(
        f"name: grid\nscenario: [{listed}]\nruns: {runs}\nseed: 5\nchunk_runs: {chunk_runs}\n"
        f"parameters:\n  shock_scale: [0.02, 0.06]\n  peer_weight: [0.5, 0.9]\n{extra}"
    )
    return path


def frames(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(out / "trajectories"), pd.read_parquet(out / "outcomes.parquet")


def assert_identical(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same columns, types, labels and bit-for-bit values (column by column: fast on millions of rows)."""
    assert list(ours.columns) == list(theirs.columns) and list(ours.dtypes) == list(theirs.dtypes)
    for column in ours.columns:
        a, b = ours[column], theirs[column]
        if isinstance(a.dtype, pd.CategoricalDtype):
            assert list(a.cat.categories) == list(b.cat.categories), column
            a, b = a.cat.codes, b.cat.codes
        np.testing.assert_array_equal(a.to_numpy(), b.to_numpy(), err_msg=column)


def assert_same_results(first: Path, second: Path) -> None:
    for ours, theirs in zip(frames(first), frames(second), strict=True):
        assert_identical(ours, theirs)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> list[Path]:
    """The baseline and the no-invasion counterfactual cut at 2023-12, every parameter fixed in the file
    (so that a recalibration writing calibration/fitted.yaml cannot change numbers between two runs)."""
    folder = tmp_path_factory.mktemp("scenarios")
    fixed = ", ".join(f"{p.name}: {p.default}" for p in PARAMETERS)
    paths = []
    for name, parent in (("short", "baseline.yaml"), ("short_no_invasion", "no_invasion.yaml")):
        path = folder / f"{name}.yaml"
        path.write_text(
            f"name: {name}\nextends: {ROOT / 'scenarios' / parent}\nend: 2023-12\nparameters: {{{fixed}}}\n"
        )
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def reference(scenarios, tmp_path_factory):
    """2 scenarios x 4 grid points x 25 runs, chunks of 30 runs, run in this process."""
    folder = tmp_path_factory.mktemp("reference")
    path = write_experiment(folder, scenarios)
    assert run_batch(path, folder / "out", workers=1).status == "complete"
    return path, folder / "out"


def test_batch_writes_the_ensembles_numbers_with_points(reference, scenarios):
    _, out = reference
    trajectories, outcomes = frames(out)
    assert list(trajectories.columns) == COLUMNS
    assert len(trajectories) == 200 * 36 * 10 * 4 and len(outcomes) == 200 * 10
    for column in ("scenario", "date", "state", "power"):
        assert isinstance(trajectories[column].dtype, pd.CategoricalDtype)
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 8 and list(points.columns[-2:]) == ["shock_scale", "peer_weight"]
    point = points.iloc[6]  # second scenario, shock_scale 0.06, peer_weight 0.5
    setup = prepare(load_scenario(scenarios[1]))
    params = {**setup.params, "shock_scale": point["shock_scale"], "peer_weight": point["peer_weight"]}
    expected = simulate(setup, np.arange(6 * 25, 7 * 25), 5, params=params).to_frame()
    got = trajectories[trajectories["point"] == 6].reset_index(drop=True)
    assert (got["scenario"] == "short_no_invasion").all()
    for column in expected.columns:
        np.testing.assert_array_equal(
            got[column].astype(str if column in ("date", "state", "power") else float),
            expected[column].astype(str if column in ("date", "state", "power") else float),
        )


def test_outcomes_summarise_each_run(reference):
    _, out = reference
    trajectories, outcomes = frames(out)
    alignment = trajectories.pivot_table(
        index=["run", "state", "step"], columns="power", values="alignment", observed=True
    )
    final = alignment.groupby(level=[0, 1]).last()
    row = outcomes.set_index(["run", "state"]).loc[(37, "Kazakhstan")]
    assert row["share_US"] == final.loc[(37, "Kazakhstan"), "US"]
    assert row["dominant"] == final.loc[(37, "Kazakhstan")].idxmax()
    below = alignment.loc[(37, "Kazakhstan"), "Russia"] < chunks.THRESHOLD
    if below.any():
        assert row["first_below_step"] == below.idxmax() and row["first_below_date"].startswith("20")
    else:
        assert np.isnan(row["first_below_step"])
    assert outcomes["first_below_step"].notna().any() and outcomes["first_below_step"].isna().any()
    assert outcomes["hedging"].between(0, 1).all()
    np.testing.assert_allclose(outcomes[[f"share_{p}" for p in ("Russia", "US", "China", "Turkey")]].sum(axis=1), 1.0)


def test_manifest_says_how_to_reproduce_and_resume(reference):
    path, out = reference
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "batch" and manifest["status"] == "complete"
    assert manifest["seed"] == 5 and manifest["runs"] == 200 and manifest["points"] == 8 and manifest["chunks"] == 8
    assert manifest["design"]["grid"] == {"shock_scale": [0.02, 0.06], "peer_weight": [0.5, 0.9]}
    assert len(manifest["experiment_sha256"]) == 64 and len(manifest["scenarios"]) == 2
    assert manifest["reproduce"] == f"alliance-sim batch {path} --out {out}"
    assert manifest["resume"].endswith("--resume")
    assert not (out / "failures.csv").exists()


def test_plan_is_printed_before_running(scenarios, tmp_path, capsys):
    path = write_experiment(tmp_path, scenarios[:1], "store: outcomes\n", runs=3)
    assert run_batch(path, tmp_path / "out", workers=1).status == "complete"
    plan = capsys.readouterr().out
    assert "4 points x 3 runs = 12 runs" in plan and "1 chunks of up to 30 runs" in plan
    assert " KB to write into" in plan
    assert not (tmp_path / "out" / "trajectories").exists()


@pytest.mark.slow
def test_chunk_size_and_workers_do_not_change_the_numbers(reference, scenarios, tmp_path):
    _, out = reference
    path = write_experiment(tmp_path, scenarios, chunk_runs=7)
    assert run_batch(path, tmp_path / "out", workers=2).status == "complete"
    assert len(list((tmp_path / "out" / "trajectories").glob("chunk-*.parquet"))) == 2 * 15  # 100 runs in 7s
    assert_same_results(out, tmp_path / "out")


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_numbers(reference, tmp_path):
    path, out = reference
    assert run_batch(path, tmp_path / "out", executor="dask", workers=2).status == "complete"
    assert_same_results(out, tmp_path / "out")


def test_store_outcomes_keeps_the_same_outcomes(reference, scenarios, tmp_path):
    _, out = reference
    path = write_experiment(tmp_path, scenarios, "store: outcomes\n")
    assert run_batch(path, tmp_path / "out", workers=1).status == "complete"
    assert not (tmp_path / "out" / "trajectories").exists()
    assert_identical(frames(out)[1], pd.read_parquet(tmp_path / "out" / "outcomes.parquet"))


def test_resume_runs_only_the_missing_chunks(reference, tmp_path, capsys):
    path, out = reference
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / "trajectories" / "chunk-000001.parquet").unlink()
    (copy / "outcomes.parquet" / "chunk-000005.parquet").unlink()
    leftover = copy / "trajectories" / ".chunk-000002.parquet.tmp-999999999-0badf00d"
    leftover.mkdir()
    mark(leftover)
    (leftover / "chunk-000002.parquet").write_bytes(b"half")
    users = copy / "trajectories" / ".chunk-000004.parquet.tmp-999999999-0badf00d"
    users.write_bytes(b"a user's file named like staging")
    untouched = copy / "trajectories" / "chunk-000003.parquet"
    before = untouched.stat().st_mtime_ns
    assert run_batch(path, copy, workers=1, resume=True).status == "complete"
    assert "2 to run" in capsys.readouterr().out
    assert untouched.stat().st_mtime_ns == before
    assert not leftover.exists() and users.read_bytes() == b"a user's file named like staging"
    users.unlink()
    assert_same_results(out, copy)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
@pytest.mark.slow
def test_a_killed_batch_resumes_to_the_uninterrupted_result(scenarios, tmp_path, stop):
    path = tmp_path / "long.yaml"
    path.write_text(f"name: long\nscenario: {scenarios[0]}\nruns: 1000\nseed: 2\nchunk_runs: 50\n")
    assert run_batch(path, tmp_path / "whole", workers=1).status == "complete"
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "sim", "batch", str(path), "--out", str(out), "--workers", "1"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list((out / "outcomes.parquet").glob("chunk-*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(stop)
    _, error = process.communicate(timeout=60)
    finished = len(list((out / "outcomes.parquet").glob("chunk-*")))
    assert 3 <= finished < 20, "stopped too late to test resuming"
    if stop == signal.SIGINT:
        assert process.returncode == 130 and "--resume" in error
        assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    resumed = cli("batch", path, "--out", out, "--workers", "1", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{finished} chunks already finished, {20 - finished} to run" in resumed.stdout
    assert_same_results(tmp_path / "whole", out)


@pytest.mark.slow
def test_refuses_a_non_empty_folder_unless_resume_or_force(reference, tmp_path):
    path, out = reference
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = (copy / "manifest.json").read_text()
    refused = cli("batch", path, "--out", copy)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (copy / "manifest.json").read_text() == before
    changed = tmp_path / "changed.yaml"
    changed.write_text(path.read_text().replace("seed: 5", "seed: 6"))
    refused = cli("batch", changed, "--out", copy, "--resume")
    assert refused.returncode == 2 and "changed since the batch" in refused.stderr
    (copy / "stray.txt").write_text("x")
    replaced = cli("batch", changed, "--out", copy, "--force", "--workers", "1")
    assert replaced.returncode == 0, replaced.stderr
    assert not (copy / "stray.txt").exists()
    assert json.loads((copy / "manifest.json").read_text())["seed"] == 6


@pytest.mark.slow
def test_a_failing_point_is_recorded_and_the_batch_goes_on(reference, scenarios, tmp_path, monkeypatch, capsys):
    _, out = reference

    def fragile(setup, runs, seed, params=None, **kwargs):
        if np.any((np.asarray(params["shock_scale"]) == 0.06) & (np.asarray(params["peer_weight"]) == 0.9)):
            raise FloatingPointError("overflow in the shock\nat month 3")
        return simulate(setup, runs, seed, params=params, **kwargs)

    monkeypatch.setattr(parameter_points, "simulate", fragile)
    path = write_experiment(tmp_path, scenarios)
    assert run_batch(path, tmp_path / "out", workers=1).status == "complete with failures"
    assert "2 points failed" in capsys.readouterr().err
    failures = pd.read_csv(tmp_path / "out" / "failures.csv")
    # point 3 (runs 75-99) straddles chunks 2 and 3 (runs 60-89, 90-99): one row for each part
    assert list(failures["point"]) == [3, 3, 7, 7] and list(failures["chunk"]) == [2, 3, 6, 7]
    assert list(failures["runs"][:2]) == ["75-89", "90-99"]
    assert list(failures["scenario"]) == ["short"] * 2 + ["short_no_invasion"] * 2
    assert json.loads(failures["parameters"][0]) == {"shock_scale": 0.06, "peer_weight": 0.9}
    assert (failures["seed"] == 5).all()
    assert failures["error"][0] == "FloatingPointError: overflow in the shock at month 3"
    outcomes = pd.read_parquet(tmp_path / "out" / "outcomes.parquet")
    assert set(outcomes["point"]) == {0, 1, 2, 4, 5, 6}
    assert_identical(outcomes, frames(out)[1].query("point not in (3, 7)").reset_index(drop=True))
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "complete with failures"
    # the failure is deterministic: resuming finds every chunk finished and keeps the record
    assert run_batch(path, tmp_path / "out", workers=1, resume=True).status == "complete with failures"
    assert "8 chunks already finished, 0 to run" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "out" / "failures.csv")) == 4


def test_mesa_batch_run_drives_the_model_with_the_ensembles_numbers(scenarios):
    import mesa

    from sim.model.model import AllianceModel

    seeds = [run_seed(9, 0), run_seed(9, 1)]
    rows = mesa.batch_run(
        AllianceModel,
        parameters={"scenario_file": [str(scenarios[0])], "shock_scale": [0.01, 0.05]},
        rng=seeds,
        max_steps=24,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    frame = pd.DataFrame(rows)
    assert {"mean_hedging", "states_leaning_Russia", "mean_credibility_Russia", "alignment_Russia", "date"} <= set(
        frame.columns
    )
    states = frame[frame["state"].notna()]
    assert len(states) == 4 * 10 and (states["Step"] == 24).all() and (states["date"] == "2023-01").all()
    hedging = states.groupby(["shock_scale", "rng"])["mean_hedging"].first()
    assert hedging[0.01].to_numpy()[0] != hedging[0.05].to_numpy()[0]
    setup = prepare(load_scenario(scenarios[0]))
    ensemble = simulate(setup, 2, 9, params={**setup.params, "shock_scale": 0.05})
    for run, seed in enumerate(seeds):
        mesa_run = states[(states["rng"] == seed) & (states["shock_scale"] == 0.05)].set_index("state")
        expected = ensemble.alignment[run, 24, :, ensemble.powers.index("Russia")]
        np.testing.assert_allclose(mesa_run.loc[ensemble.states, "alignment_Russia"], expected, rtol=1e-12)


@pytest.mark.slow
def test_a_chunk_that_dies_is_recorded_and_retried_on_resume(reference, tmp_path, monkeypatch, capsys):
    path, out = reference
    healthy = chunks.run_chunk

    def dying(chunk, layout, folder):
        if chunk.index == 1:
            raise OSError("No space left on device")
        return healthy(chunk, layout, folder)

    monkeypatch.setattr(chunks, "run_chunk", dying)
    assert run_batch(path, tmp_path / "out", workers=1).status == "complete with failures"
    failures = pd.read_csv(tmp_path / "out" / "failures.csv")
    assert list(failures["point"]) == [1, 2] and list(failures["runs"]) == ["30-49", "50-59"]
    assert (failures["error"] == "OSError: No space left on device").all()
    assert not (tmp_path / "out" / "outcomes.parquet" / "chunk-000001.parquet").exists()
    monkeypatch.setattr(chunks, "run_chunk", healthy)
    capsys.readouterr()
    assert run_batch(path, tmp_path / "out", workers=1, resume=True).status == "complete"
    assert "7 chunks already finished, 1 to run" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "out" / "failures.csv").empty
    assert_same_results(out, tmp_path / "out")


def test_resume_runs_again_a_chunk_whose_file_is_damaged_or_swapped(reference, tmp_path, capsys):
    """A chunk counts as finished only if its files match the batch's record: size, SHA-256, footer, schema, rows."""
    path, out = reference
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    truncated = copy / "outcomes.parquet" / "chunk-000001.parquet"
    truncated.write_bytes(truncated.read_bytes()[:50])
    swapped = copy / "trajectories" / "chunk-000004.parquet"
    shutil.copyfile(copy / "trajectories" / "chunk-000003.parquet", swapped)  # a valid file, the wrong one
    assert run_batch(path, copy, workers=1, resume=True).status == "complete"
    captured = capsys.readouterr()
    assert "6 chunks already finished, 2 to run" in captured.out
    assert "chunk-000001.parquet" in captured.err and "chunk-000004.parquet" in captured.err
    assert_same_results(out, copy)


@pytest.mark.slow
def test_resume_refuses_files_the_batch_did_not_write(reference, tmp_path):
    import sim

    path, out = reference
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    stranger = copy / "outcomes.parquet" / "theirs.parquet"
    pd.read_parquet(out / "outcomes.parquet").to_parquet(stranger)
    before = (copy / "manifest.json").read_text()
    refused = cli("batch", path, "--out", copy, "--resume", "--workers", "1")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "theirs.parquet: not written by this batch" in refused.stderr
    assert stranger.is_file() and (copy / "manifest.json").read_text() == before
    with pytest.raises(sim.InputError, match="not written by this batch"):
        sim.experiment(path, copy, resume=True, workers=1)
