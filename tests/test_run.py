"""`alliance-sim run` writes the results folder the README and docs/architecture.md describe, reproducibly."""

from __future__ import annotations

import json
import shlex
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import cli, cli_in_process
from matplotlib.image import imread


@pytest.fixture(scope="module")
def finished(short_scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "short"
    result = cli("run", short_scenario, "--runs", 20, "--seed", 3, "--out", out)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


@pytest.fixture(scope="module")
def results(finished):
    return finished[0]


@pytest.mark.slow
def test_terminal_shows_key_numbers(finished):
    """Each state's most likely dominant partner with its share of runs, as in summary.csv, and the spread."""
    out, stdout = finished
    summary = pd.read_csv(out / "summary.csv")
    for state, rows in summary.groupby("state"):
        top = rows.loc[rows["p_dominant"].idxmax()]
        line = next(line for line in stdout.splitlines() if line.startswith(state + " "))
        assert f"{top['power']} {top['p_dominant']:.0%}" in line
    assert "Spread at 2023-12" in stdout and stdout.rstrip().endswith(f"wrote {out}")


@pytest.mark.slow
def test_series_keeps_only_the_chosen_series(short_scenario, tmp_path):
    out = tmp_path / "lean"
    code, _, err = cli_in_process("run", short_scenario, "--runs", 2, "--series", "alignment,credibility", "--out", out)
    assert code == 0, err
    columns = set(pd.read_parquet(out / "trajectories.parquet").columns)
    assert {"alignment", "credibility"} <= columns and not {"economic", "security", "outreach"} & columns
    code, _, err = cli_in_process(
        "run", short_scenario, "--runs", 2, "--series", "alignment,mood", "--out", tmp_path / "x"
    )
    assert code == 2 and "choose from" in err and "Traceback" not in err


@pytest.mark.slow
def test_output_contract(results):
    frame = pd.read_parquet(results / "trajectories.parquet")
    assert {"run", "step", "date", "state", "power", "alignment"} <= set(frame.columns)
    assert len(frame) == 20 * 36 * 10 * 4
    assert frame["date"].astype(str).iloc[0] == "2021-01" and frame["date"].astype(str).max() == "2023-12"
    sums = frame.groupby(["run", "step", "state"], observed=True)["alignment"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-6)  # single precision on disk
    summary = pd.read_csv(results / "summary.csv")
    assert set(summary["state"]) == set(frame["state"].astype(str))
    assert ((summary["p05"] <= summary["median"]) & (summary["median"] <= summary["p95"])).all()
    np.testing.assert_allclose(summary.groupby("state")["p_dominant"].sum(), 1.0)


@pytest.mark.slow
def test_manifest_says_how_to_reproduce(results):
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["runs"] == 20 and manifest["engine"] == "ensemble"
    assert manifest["reproduce"].startswith("alliance-sim run ")
    assert len(manifest["scenario_sha256"]) == 64
    assert {"mesa", "numpy", "python"} <= set(manifest["versions"])
    assert manifest["parameters"]["adjustment_rate"] > 0


@pytest.mark.slow
def test_plots_are_written(results):
    names = {p.name for p in (results / "plots").glob("*.png")}
    assert {"fan_charts.png", "dominant_partner.png", "hedging.png", "credibility.png"} <= names
    image = imread(results / "plots" / "fan_charts.png")
    assert image.shape[0] > 300 and image.std() > 0.05


@pytest.mark.slow
def test_same_seed_same_numbers(results, short_scenario, tmp_path):
    code, _, err = cli_in_process("run", short_scenario, "--runs", 20, "--seed", 3, "--out", tmp_path / "again")
    assert code == 0, err
    pd.testing.assert_frame_equal(
        pd.read_parquet(results / "trajectories.parquet"), pd.read_parquet(tmp_path / "again" / "trajectories.parquet")
    )


@pytest.mark.slow
def test_refuses_to_overwrite_without_force(results, short_scenario):
    before = (results / "manifest.json").read_text()
    code, _, err = cli_in_process("run", short_scenario, "--runs", 2, "--out", results)
    assert code == 2 and "--force" in err
    assert (results / "manifest.json").read_text() == before


@pytest.mark.slow
def test_force_and_csv(short_scenario, tmp_path):
    out = tmp_path / "csv"
    assert cli_in_process("run", short_scenario, "--runs", 1, "--out", out)[0] == 0
    (out / "old.txt").write_text("stale")
    code, _, err = cli_in_process("run", short_scenario, "--runs", 2, "--format", "csv", "--out", out, "--force")
    assert code == 0, err
    assert not (out / "old.txt").exists()
    frame = pd.read_csv(out / "trajectories.csv")
    assert len(frame) == 2 * 36 * 10 * 4


def test_help_lists_commands():
    result = cli("--help")
    assert result.returncode == 0
    for command in ("run", "explain", "params"):
        assert command in result.stdout


@pytest.mark.slow
def test_the_reproduce_line_gives_the_same_tables_from_another_folder(tmp_path):
    """The manifest names a shipped scenario by its name and the posterior as shipped data, so its reproduce
    line, run from any folder, makes the same tables; the manifest says which alliance-sim made it."""
    first, elsewhere = tmp_path / "first", tmp_path / "elsewhere"
    first.mkdir()
    elsewhere.mkdir()
    made = cli("run", "no_invasion", "--runs", 3, "--seed", 2, "--out", "a", cwd=first)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((first / "a" / "manifest.json").read_text())
    assert manifest["scenario_file"] == "no_invasion" and manifest["posterior"]["file"] == "calibration/posterior.csv"
    assert manifest["made_by"]["alliance-sim"] == manifest["versions"]["alliance-sim"]
    assert len(manifest["made_by"]["git_commit"]) == 40  # the tests run from a checkout
    words = shlex.split(manifest["reproduce"])
    assert words[:3] == ["alliance-sim", "run", "no_invasion"]
    again = cli(*words[1:], "--out", "b", cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    for table in ("summary.csv", "events.csv", "uncertainty.csv"):
        assert (first / "a" / table).read_bytes() == (elsewhere / "b" / table).read_bytes(), table
    a, b = (pq.read_table(folder / "trajectories.parquet") for folder in (first / "a", elsewhere / "b"))
    assert a.equals(b)
    stamp = json.loads(a.schema.metadata[b"alliance-sim"])
    assert stamp["scenario"] == manifest["scenario"] and stamp["seed"] == 2 and stamp["runs"] == 3
    assert stamp["version"] == manifest["versions"]["alliance-sim"]


def test_scenarios_lists_every_shipped_scenario_with_its_question():
    from sim.inputs.packaged import SCENARIOS

    code, out, _ = cli_in_process("scenarios")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if line and not line.startswith((" ", "Run one"))]
    assert names[0] == "baseline" and sorted(names) == sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    assert "no_invasion (extends baseline)" in out and "What if Russia had not invaded Ukraine" in out


@pytest.mark.slow
def test_switches_agree_with_the_trajectories(results):
    """switches.csv, recomputed from trajectories.parquet: who leads at each year-end, and whether and when the
    leader first changed from the one at the start."""
    traj = pd.read_parquet(results / "trajectories.parquet", columns=["run", "date", "state", "power", "alignment"])
    traj = traj.astype({"date": str, "state": str, "power": str})
    leader = traj.loc[traj.groupby(["run", "date", "state"], observed=True)["alignment"].idxmax()]
    leader = leader.pivot(index=["run", "state"], columns="date", values="power")
    dates = list(leader.columns)
    changed = leader.ne(leader[dates[0]], axis=0)
    first = changed.idxmax(axis=1).where(changed.any(axis=1))
    switches = pd.read_csv(results / "switches.csv", dtype={"date": str})
    assert sorted(switches["date"].unique()) == ["2021-12", "2022-12", "2023-12"]
    for row in switches.itertuples():
        runs = leader.xs(row.state, level="state")
        assert row.p_dominant == pytest.approx((runs[row.date] == row.power).mean())
        by_then = first.xs(row.state, level="state").dropna()
        by_then = by_then[by_then <= row.date]
        assert row.p_switched == pytest.approx(len(by_then) / len(runs))
        if len(by_then):
            months = sorted(dates.index(d) for d in by_then)
            assert row.median_first_switch == dates[int(np.median(months))]
        else:
            assert pd.isna(row.median_first_switch)


def test_bloc_events_count_the_runs_that_froze_or_left_by_each_year_end():
    from sim.model.dynamics import FROZEN, LEFT, MEMBER, NOT_MEMBER
    from sim.model.trajectories import Trajectories
    from sim.outputs.switches import Tally

    dates = ["2021-01", "2021-06", "2021-12", "2022-06", "2022-12"]
    runs, blocs, states = 4, 5, 2
    standing = np.full((runs, len(dates), blocs, states), NOT_MEMBER, dtype=np.int8)
    standing[:, :, 0, 0] = MEMBER  # state A in the first bloc: run 1 freezes in 2021-06, run 2 leaves in 2022-06
    standing[1, 1:, 0, 0] = FROZEN
    standing[2, 3:, 0, 0] = LEFT
    alignment = np.full((runs, len(dates), states, 2), 0.5)
    alignment[..., 0] += 0.1
    zeros = np.zeros_like(alignment)
    traj = Trajectories(
        "t", dates, ["A", "B"], ["X", "Y"], alignment, zeros, zeros, zeros, zeros, participation=standing
    )
    tally = Tally()
    tally.add(traj)
    events = tally.bloc_events()
    assert list(events["state"].unique()) == ["A"] and events["bloc"].nunique() == 1  # only blocs it starts in
    assert events["p_frozen_or_left"].tolist() == [0.25, 0.5] and events["p_left"].tolist() == [0.0, 0.25]
    assert (tally.switches()["p_switched"] == 0).all()


@pytest.mark.slow
def test_the_report_says_when_leading_partners_change(results, tmp_path):
    import shutil

    folder = tmp_path / "r"
    shutil.copytree(results, folder)
    assert cli_in_process("report", folder)[0] == 0
    page = (folder / "report.html").read_text()
    switches = pd.read_csv(folder / "switches.csv", dtype={"date": str})
    last = switches[(switches["state"] == "Tajikistan") & (switches["date"] == "2023-12")].iloc[0]
    section = page.split("When leading partners and bloc standings change</h2>")[1]
    row = section.split("<td>Tajikistan</td>")[1].split("</tr>")[0]
    shown = {0.0: "0%", 1.0: "100%"}.get(last.p_switched, f"{last.p_switched:.0%}")
    assert f"<td>{shown}</td>" in row and f"<td>{last.median_first_switch}</td>" in row


@pytest.mark.parametrize("chunk, batches", [(None, 1), (3, 3)])
def test_run_asks_the_engine_once_for_its_runs_and_the_runs_of_the_spread(
    short_scenario, tmp_path, monkeypatch, chunk, batches
):
    """A small run asks the engine once: the runs that say how much of the spread each source of uncertainty
    makes ride in the batch of its runs. When a chunk has no room for them they take one batch of their own; either
    way uncertainty.csv says what separate batches of every source and of each source alone say."""
    from sim.experiments import run, uncertainty
    from sim.experiments.request import RunRequest
    from sim.model import ensemble

    calls: list[int] = []
    engine = ensemble.simulate
    counted = lambda setup, runs, *a, **k: calls.append(len(runs)) or engine(setup, runs, *a, **k)  # noqa: E731
    for holder in (ensemble, uncertainty):  # the engine, and the name the experiments call it by
        monkeypatch.setattr(holder, "simulate", counted)
    if chunk is not None:
        monkeypatch.setattr(run, "chunk_runs", lambda *shape: chunk)
    request = RunRequest.build(short_scenario, runs=5, seed=4)
    out = request.write(tmp_path / "out")
    assert len(calls) == batches and sum(calls) == 5 + 3 * 5, calls
    setup, posterior = request.prepared
    groups = uncertainty.spread_groups(5)
    finals = {
        name: uncertainty.simulate_uncertain(setup, group.runs, 4, group.sources, posterior).alignment[:, -1]
        for name, group in groups.items()
    }
    expected = tmp_path / "expected.csv"
    run.write_table(uncertainty.spread_table(setup, finals), expected)
    assert (out / "uncertainty.csv").read_bytes() == expected.read_bytes()


def test_the_program_gives_the_commands_status_then_spares_the_teardown_its_collection(monkeypatch):
    """`alliance-sim` (the console script) returns what the command returned, and only then freezes the collector,
    so that the interpreter's teardown does not trace every object for cycles."""
    import sim.cli.main as program

    calls: list[str] = []
    monkeypatch.setattr(program, "main", lambda: calls.append("main") or 7)
    monkeypatch.setattr(program.gc, "freeze", lambda: calls.append("freeze"))
    assert program.command_line() == 7
    assert calls == ["main", "freeze"]


def test_a_notice_the_package_logs_is_a_line_on_a_terminal_while_a_command_runs(monkeypatch, capsys):
    """What the package logs at INFO (the first compile's wait) reaches a user at a terminal as one line on standard
    error, only while a command runs (afterwards the package's logger is as it was), and never a log or a pipe."""
    import logging

    import sim.cli.main as program

    package = logging.getLogger("sim")
    before = (package.level, list(package.handlers))
    monkeypatch.setattr(
        program, "cmd_params", lambda args: logging.getLogger("sim.model.cache").info("compiling, once") or 0
    )
    assert program.main(["params"]) == 0
    assert capsys.readouterr().err == ""  # not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert program.main(["params"]) == 0
    assert capsys.readouterr().err == "alliance-sim: compiling, once\n"
    assert (package.level, list(package.handlers)) == before
    logging.getLogger("sim.model.cache").info("not during a command")
    assert "not during a command" not in capsys.readouterr().err


def test_the_packages_own_warnings_are_a_line_each_and_others_are_left_to_python(monkeypatch, capsys, recwarn):
    """A warning raised in the package's files (a wrong ALLIANCE_SIM_THREADS) is one escaped line on standard
    error, in a pipe as at a terminal; a warning from elsewhere goes where warnings went before (here, pytest's
    record of them)."""
    import warnings

    import sim.cli.main as program

    def params(args) -> int:
        where = str(program.PACKAGE / "model" / "ensemble.py")
        warnings.warn_explicit("ALLIANCE_SIM_THREADS='\x1b[2J' is not a whole number", UserWarning, where, 40)
        warnings.warn("from somebody else's code", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(program, "cmd_params", params)
    assert program.main(["params"]) == 0
    assert capsys.readouterr().err == "alliance-sim: warning: ALLIANCE_SIM_THREADS='\\x1b[2J' is not a whole number\n"
    assert [str(caught.message) for caught in recwarn] == ["from somebody else's code"]
