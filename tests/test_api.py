"""The Python API (`import sim`): the README's example runs, overrides merge onto the fit, and the numbers
are those `alliance-sim run` writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from helpers import BASELINE, ROOT, cli_in_process

import sim
from sim.inputs.parameters import defaults
from sim.inputs.scenario import load_scenario


def read(path):
    return pd.read_csv(path, dtype={"date": str})


@pytest.mark.slow
def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    """The code block under "Python API" in README.md, executed as a notebook would."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Python API\n.*?```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "Russia" in printed and "difference_p05" in printed and "'alignment'" in printed
    result, comparison = namespace["result"], namespace["comparison"]
    assert result.scenario.parameters["peer_weight"] == 0.2
    assert len(result.trajectories) == 20 * (result.scenario.months + 1) * 10 * 4
    assert {"baseline", "no_invasion"} == set(comparison.alignment_differences["scenario"])
    written = read(tmp_path / "results" / "baseline" / "summary.csv")
    assert written["state"].nunique() == 10 and not written.equals(result.summary)  # the override moved numbers


@pytest.mark.parametrize("engine, runs", [("ensemble", 12), ("mesa", 2)])
@pytest.mark.slow
def test_same_summary_as_the_command_line(short_scenario, tmp_path, engine, runs):
    """`alliance-sim run ... --set` and `sim.simulate(..., peer_weight=...)` give the same tables."""
    out = tmp_path / "cli"
    status, _, err = cli_in_process(
        "run", short_scenario, "--runs", runs, "--seed", 5, "--engine", engine, "--set", "peer_weight=0.3", "--out", out
    )
    assert status == 0, err
    result = sim.simulate(short_scenario, runs=runs, seed=5, engine=engine, peer_weight=0.3)
    pd.testing.assert_frame_equal(result.summary, read(out / "summary.csv"), check_exact=True)
    assert result.events[["date", "label", "source"]].equals(read(out / "events.csv")[["date", "label", "source"]])
    manifest = json.loads((out / "manifest.json").read_text())
    assert "--set peer_weight=0.3" in manifest["reproduce"] and manifest["parameters"]["peer_weight"] == 0.3
    saved = sim.simulate(short_scenario, runs=runs, seed=5, engine=engine, out=tmp_path / "api", peer_weight=0.3)
    pd.testing.assert_frame_equal(saved.summary, result.summary)
    pd.testing.assert_frame_equal(saved.uncertainty, read(out / "uncertainty.csv"))


def test_an_override_changes_only_its_parameter(short_scenario):
    plain = sim.simulate(short_scenario, runs=4, seed=2, uncertainty="shocks")
    changed = sim.simulate(short_scenario, runs=4, seed=2, uncertainty="shocks", peer_weight=0.05)
    fitted = defaults()
    assert plain.scenario.parameters == fitted
    assert changed.scenario.parameters == {**fitted, "peer_weight": 0.05}
    assert not plain.summary["median"].equals(changed.summary["median"])


def test_an_override_holds_in_every_run(short_scenario):
    """With only parameter uncertainty, runs differ by their posterior draws; fixing every drawn parameter
    leaves nothing to differ, so every run is the same."""
    drawn = sim.simulate(short_scenario, runs=6, seed=2, uncertainty="parameters")
    assert (drawn.summary["p95"] - drawn.summary["p05"]).max() > 1e-3
    fitted = defaults()
    posterior = pd.read_csv(ROOT / "calibration" / "posterior.csv", nrows=0).columns.drop("weight")
    fixed = sim.simulate(short_scenario, runs=6, seed=2, uncertainty="parameters", **{n: fitted[n] for n in posterior})
    assert (fixed.summary["p95"] - fixed.summary["p05"]).abs().max() < 1e-12


def test_a_scenarios_own_parameters_hold_in_every_run(short_scenario, tmp_path):
    """A value the scenario file sets is the scenario's choice: parameter uncertainty never draws over it."""
    fitted = defaults()
    posterior = pd.read_csv(ROOT / "calibration" / "posterior.csv", nrows=0).columns.drop("weight")
    chosen = tmp_path / "chosen.yaml"
    chosen.write_text(
        f"name: chosen\ndescription: every drawn parameter set\nextends: {short_scenario}\nparameters:\n"
        + "".join(f"  {name}: {fitted[name]!r}\n" for name in posterior)
    )
    fixed = sim.simulate(chosen, runs=6, seed=2, uncertainty="parameters")
    assert fixed.scenario.chosen == set(posterior)
    assert (fixed.summary["p95"] - fixed.summary["p05"]).abs().max() < 1e-12


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"peer_wieght": 0.2}, "did you mean 'peer_weight'?"),
        ({"zzz": 1.0}, "choose from: adjustment_rate, shock_scale"),
        ({"peer_weight": 7.0}, "outside 0.0..1.0"),
        ({"peer_weight": "high"}, "peer_weight='high'"),
    ],
)
def test_bad_overrides_are_refused(overrides, message):
    with pytest.raises(sim.InputError, match=re.escape(message)) as caught:
        sim.simulate("baseline", runs=1, **overrides)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"runs": 0}, "runs=0: expected a whole number of at least 1"),
        ({"seed": -1}, "seed=-1"),
        ({"engine": "fast"}, "engine 'fast': choose ensemble or mesa"),
        ({"uncertainty": "shocks,parameter"}, "did you mean 'parameters'?"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(sim.InputError, match=re.escape(message)):
        sim.simulate("baseline", **{"runs": 1, **arguments})


def test_bad_override_on_the_command_line(tmp_path):
    status, _, err = cli_in_process("run", BASELINE, "--runs", 1, "--set", "peer_wieght=0.2", "--out", tmp_path / "x")
    assert status == 2 and "did you mean 'peer_weight'?" in err and not (tmp_path / "x").exists()
    status, _, err = cli_in_process("run", BASELINE, "--runs", 1, "--set", "peer_weight", "--out", tmp_path / "x")
    assert status == 2 and "expected NAME=VALUE" in err


def test_load_by_name_and_by_path(short_scenario):
    assert sim.load("no_invasion").name == load_scenario(ROOT / "scenarios" / "no_invasion.yaml").name
    assert sim.load(BASELINE).path == BASELINE
    assert sim.load(str(short_scenario)).name == "short"
    with pytest.raises(sim.InputError, match=r"did you mean 'baseline'\?.*shipped ones are baseline, china_security"):
        sim.load("basline")


def test_experiment_returns_outcomes_with_parameter_values(short_scenario, tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(
        f"name: grid\nscenario: {short_scenario}\nruns: 3\nseed: 1\nstore: outcomes\n"
        "parameters: {peer_weight: [0.1, 0.6]}\n"
    )
    outcomes = sim.experiment(path, out=tmp_path / "out", workers=1)
    assert len(outcomes) == 2 * 3 * 10
    assert outcomes.groupby("point")["peer_weight"].first().tolist() == [0.1, 0.6]
    assert {"run", "state", "share_Russia", "dominant"} <= set(outcomes.columns)


@pytest.mark.slow
def test_compare_without_out_writes_nothing(short_scenario, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(f"name: other\nextends: {short_scenario}\nwithout: [invasion]\n")
    folders = [sim.simulate(path, runs=6, seed=1, out=tmp_path / path.stem).folder for path in (short_scenario, other)]
    before = sorted(tmp_path.rglob("*"))
    comparison = sim.compare(folders, horizons=["2022-06", "2023-12"])
    assert sorted(tmp_path.rglob("*")) == before
    assert set(comparison.dominant_probabilities["date"]) == {"2022-06", "2023-12"}
    assert comparison.pairing == [True] and set(comparison.alignment_differences["scenario"]) == {"short", "other"}


def test_import_sim_is_light():
    """`import sim` (and reading its API names) loads neither pandas nor Mesa."""
    code = "import sys, sim; sim.simulate, sim.load; print(sorted({'pandas', 'mesa', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: sim.simulate(123), "scenario: expected a shipped scenario's name or a YAML file's path, got a number"),
        (lambda: sim.load(None), "scenario: expected a shipped scenario's name"),
        (lambda: sim.simulate("baseline", runs=1, uncertainty=42), "uncertainty=42: expected sources"),
        (lambda: sim.simulate("baseline", runs=1, format="xlsx"), "format 'xlsx': choose parquet or csv"),
        (lambda: sim.simulate("baseline", runs=1, out="a\0b"), "holds a NUL character"),
        (lambda: sim.simulate("baseline", runs=1, out=5), "out: expected a folder's path"),
        (lambda: sim.simulate("baseline", runs=1, series=["alignment", "../etc"]), "unknown series '../etc'"),
        (lambda: sim.simulate("baseline", runs=1, peer_weight="0.2"), "peer_weight='0.2': expected a number"),
        (lambda: sim.compare("results/base"), "expected a list of results folders"),
        (lambda: sim.compare(["results/base"]), "compare needs at least two results folders"),
        (lambda: sim.experiment(None, "out"), "experiment: expected an experiment YAML file's path"),
    ],
    ids=[
        "simulate(123)",
        "load(None)",
        "uncertainty=42",
        "format=xlsx",
        "NUL in out",
        "out=5",
        "series ../etc",
        "text as a number",
        "compare(a string)",
        "compare(one folder)",
        "experiment(None)",
    ],
)
def test_the_api_checks_its_arguments_like_the_command_line(call, message):
    with pytest.raises(sim.InputError, match=re.escape(message)) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_numpy_numbers_are_numbers(short_scenario):
    import numpy as np

    plain = sim.simulate(short_scenario, runs=2, seed=1, uncertainty="shocks", peer_weight=0.25)
    numpy = sim.simulate(
        short_scenario, runs=np.int64(2), seed=np.int32(1), uncertainty="shocks", peer_weight=np.float32(0.25)
    )
    pd.testing.assert_frame_equal(plain.summary, numpy.summary)


def test_params_is_the_parameter_table_as_a_dataframe():
    """`sim.params()` holds what `alliance-sim params --format csv` prints; with a scenario, its values."""
    import io

    code, out, _ = cli_in_process("params", "--format", "csv")
    assert code == 0
    pd.testing.assert_frame_equal(sim.params(), pd.read_csv(io.StringIO(out)))
    values = sim.params("no_invasion").set_index("name")["default"]
    assert values.to_dict() == load_scenario(ROOT / "scenarios" / "no_invasion.yaml").parameters
    assert (sim.params()["low"] <= sim.params()["high"]).all()


def test_a_request_is_checked_once_and_simulates_as_simulate_does():
    """`sim.request` checks every setting when it is built; the request simulates the same numbers."""
    with pytest.raises(sim.InputError, match="'peer_weigth': unknown parameter") as refused:
        sim.request("baseline", runs=2, peer_weigth=0.1)
    assert refused.value.settings == ()
    with pytest.raises(sim.InputError, match="runs=0") as refused:
        sim.request("baseline", runs=0)
    chosen = sim.request("baseline", runs=3, seed=4, uncertainty="shocks", peer_weight=0.2)
    assert chosen.scenario.parameters["peer_weight"] == 0.2 and "peer_weight" in chosen.scenario.chosen
    pd.testing.assert_frame_equal(
        sim.simulate(chosen).summary,
        sim.simulate("baseline", runs=3, seed=4, uncertainty="shocks", peer_weight=0.2).summary,
    )


def test_simulate_points_gives_each_point_the_runs_the_engine_gives_its_parameters(short_scenario):
    from sim.inputs.evidence import load_evidence
    from sim.inputs.packaged import EVIDENCE
    from sim.model.ensemble import simulate
    from sim.model.world import prepare

    points = pd.DataFrame({"adjustment_rate": [0.1, 0.3, 0.1], "peer_weight": [0.0, 0.2, 0.0]})
    table = sim.simulate_points(points, runs=3, seed=5, scenario=short_scenario)
    scenario = sim.load(short_scenario)
    assert list(table.columns) == ["point", "run", "date", "state", "power", "alignment"]
    assert len(table) == 3 * 3 * len(scenario.states) * len(scenario.powers)
    assert set(table["date"]) == {scenario.dates[-1]}
    setup = prepare(scenario, load_evidence(EVIDENCE))
    direct = simulate(setup, [0, 1, 2], 5, {**scenario.parameters, "adjustment_rate": 0.3, "peer_weight": 0.2})
    second = table[table["point"] == 1].sort_values(["run", "state", "power"], key=_order(scenario))
    assert second["alignment"].to_numpy().tolist() == direct.alignment[:, -1].ravel().tolist()
    first, third = (table[table["point"] == k]["alignment"].to_numpy() for k in (0, 2))
    assert (first == third).all()  # the same replicate streams for every point
    assert not (first == second["alignment"].to_numpy()).all()


def _order(scenario):
    """Sort keys that put states and powers in the scenario's order."""
    ranks = {"state": scenario.states, "power": scenario.powers}
    return lambda column: column.map(ranks[column.name].index) if column.name in ranks else column


@pytest.mark.parametrize(
    ("points", "settings", "message"),
    [
        ({"adjustment_rat": [0.1]}, {}, "unknown parameter column 'adjustment_rat'.*adjustment_rate"),
        ({"adjustment_rate": [0.1, 7.0]}, {}, r"points row 1, adjustment_rate=7\.0: expected a number from"),
        ({"adjustment_rate": [0.1, "x"]}, {}, "points row 1"),
        ({"adjustment_rate": [0.1]}, {"dates": ["1999-01"]}, "dates: '1999-01' is not a month"),
        ({"adjustment_rate": [0.1]}, {"runs": 0}, "runs=0: expected a whole number"),
        ({}, {}, "points: expected a table"),
    ],
)
def test_simulate_points_refuses_bad_points(short_scenario, points, settings, message):
    with pytest.raises(sim.InputError, match=message):
        sim.simulate_points(pd.DataFrame(points), scenario=short_scenario, **settings)


def test_to_xarray_labels_every_series_by_run_date_state_and_power(short_scenario, tmp_path):
    result = sim.simulate(short_scenario, runs=3, seed=2)
    dataset = result.to_xarray()
    assert dict(dataset.sizes) == {"run": 3, "date": 36, "state": 10, "power": 4}
    assert list(dataset["state"].values) == result.scenario.states  # the scenario's order, not sorted
    frame = result.trajectories
    row = frame[(frame["run"] == 2) & (frame["date"] == "2022-06") & (frame["state"] == "Georgia")]
    for power, share in zip(row["power"], row["alignment"], strict=True):
        assert dataset["alignment"].sel(run=2, date="2022-06", state="Georgia", power=power).item() == share
    written = sim.simulate(short_scenario, runs=3, seed=2, out=tmp_path / "r").to_xarray()
    assert abs(written["alignment"] - dataset["alignment"]).max() < 1e-6  # the file: single precision


def test_a_command_line_override_is_merged_once_and_reaches_the_equations_as_given(
    short_scenario, tmp_path, monkeypatch
):
    """`--set peer_weight=…` is merged into the scenario once, when the request is built, and every parameter
    record the month reads carries that value (`benchmarks/trace_parameter.py` prints the path)."""
    from sim.experiments import request
    from sim.model import dynamics

    merges, records = [], []
    merge, record = request.with_overrides, dynamics.rates
    monkeypatch.setattr(request, "with_overrides", lambda *a: merges.append(a[1]) or merge(*a))
    monkeypatch.setattr(dynamics, "rates", lambda params, runs: records.append(record(params, runs)) or records[-1])
    code, _, err = cli_in_process(
        "run", short_scenario, "--runs", 2, "--set", "peer_weight=0.3141", "--out", tmp_path / "o"
    )
    assert code == 0, err
    assert merges == [{"peer_weight": 0.3141}]
    assert records and all((rates["peer_weight"] == 0.3141).all() for rates in records)


def test_result_draws_are_the_same_in_memory_and_read_back_from_the_folder(short_scenario, tmp_path):
    kept = sim.simulate(short_scenario, runs=3, seed=2)
    written = sim.simulate(short_scenario, runs=3, seed=2, out=tmp_path / "r")
    assert written.folder is not None and kept.folder is None
    pd.testing.assert_frame_equal(kept.draws, written.draws)
    assert {"run", "seed", "evidence_drawn", "peer_weight", "credibility:Armenia:Russia"} <= set(kept.draws.columns)
