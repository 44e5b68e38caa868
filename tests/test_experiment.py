"""Experiment files: designs built with SALib, every mistake reported in one line before anything runs;
and `alliance-sim params`, whose ranges the designs default to."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import BASELINE, ROOT, cli

from sim.cli.main import main
from sim.inputs.documents import InputError
from sim.inputs.experiment import load_experiment
from sim.inputs.parameters import BY_NAME, PARAMETERS


def write(folder: Path, text: str, name: str = "experiment.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_params_command_lists_every_parameter_as_csv():
    result = cli("params", "--format", "csv")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns) == ["name", "default", "low", "high", "description"]
    assert list(table["name"]) == [p.name for p in PARAMETERS]
    assert (table["low"] <= table["default"]).all() and (table["default"] <= table["high"]).all()
    assert table.set_index("name").loc["shock_scale", "high"] == BY_NAME["shock_scale"].high


def test_params_command_shows_a_scenarios_values(tmp_path, capsys):
    scenario = write(tmp_path, f"name: calm\nextends: {BASELINE}\nparameters: {{shock_scale: 0.005}}\n", "calm.yaml")
    assert main(["params", str(scenario)]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.split()[:1] == ["shock_scale"])
    assert row.split()[1] == "0.005"
    assert all(p.name in table for p in PARAMETERS)


def test_grid_is_every_combination_per_scenario(tmp_path):
    path = write(
        tmp_path,
        f"""name: grid
scenario: [{BASELINE}, {ROOT / "scenarios" / "no_invasion.yaml"}]
runs: 4
parameters:
  shock_scale: [0.01, 0.05]
  peer_weight: [0.2, 0.5, 1.0]
""",
    )
    experiment = load_experiment(path)
    assert experiment.points == 12 and experiment.total_runs == 48 and experiment.seed == 0
    points = experiment.points_frame()
    assert list(points.columns) == ["point", "scenario", "scenario_file", "shock_scale", "peer_weight"]
    assert list(points["scenario"]) == ["baseline"] * 6 + ["no_invasion"] * 6
    first = points[points["scenario"] == "baseline"][["shock_scale", "peer_weight"]]
    assert set(map(tuple, first.to_numpy())) == {(s, p) for s in (0.01, 0.05) for p in (0.2, 0.5, 1.0)}


def test_a_scenario_anywhere_extends_a_shipped_one(tmp_path):
    """A counterfactual in a user's own folder builds on the shipped baseline by name, with or without .yaml."""
    from sim.inputs.scenario import load_scenario

    for parent in ("baseline", "baseline.yaml"):
        own = tmp_path / f"mine_{parent}.yaml"
        own.write_text(f"name: mine\ndescription: the baseline, a year shorter\nextends: {parent}\nend: 2029-12\n")
        scenario = load_scenario(own)
        assert scenario.dates[-1] == "2029-12" and len(scenario.events) == len(load_scenario("baseline").events)


def test_a_shipped_scenario_is_named_bare(tmp_path):
    """`scenario: no_invasion` names the shipped file wherever the experiment lives; a misspelt name is refused."""
    experiment = load_experiment(write(tmp_path, "name: named\nscenario: [baseline, no_invasion]\nruns: 2\n"))
    assert [s.path.name for s in experiment.scenarios] == ["baseline.yaml", "no_invasion.yaml"]
    with pytest.raises(InputError, match="no such scenario file 'no_invasoin'"):
        load_experiment(write(tmp_path, "name: named\nscenario: no_invasoin\nruns: 2\n"))


@pytest.mark.parametrize(
    ("method", "n", "points"), [("lhs", 20, 20), ("sobol", 8, 8 * (2 * 3 + 2)), ("morris", 5, 5 * 4)]
)
def test_sampled_designs_come_from_salib_within_the_ranges(tmp_path, method, n, points):
    text = f"""name: s
scenario: {BASELINE}
runs: 2
seed: 11
sample:
  method: {method}
  n: {n}
  ranges:
    shock_scale: [0.01, 0.1]
    peer_weight: [0.2, 0.8]
    protection_weight:
"""
    experiment = load_experiment(write(tmp_path, text))
    assert experiment.design_points == points
    values = experiment.values
    assert values["shock_scale"].min() >= 0.01 and values["shock_scale"].max() <= 0.1
    assert values["peer_weight"].min() >= 0.2 and values["peer_weight"].max() <= 0.8
    full = BY_NAME["protection_weight"]
    assert experiment.ranges["protection_weight"] == (full.low, full.high)
    assert values["protection_weight"].max() > full.low + 0.5 * (full.high - full.low)
    again = load_experiment(write(tmp_path, text))
    np.testing.assert_array_equal(again.values["shock_scale"], values["shock_scale"])
    other = load_experiment(write(tmp_path, text.replace("seed: 11", "seed: 12")))
    assert not np.array_equal(other.values["shock_scale"], values["shock_scale"])


def test_lhs_puts_one_point_in_each_stratum(tmp_path):
    text = (
        f"name: s\nscenario: {BASELINE}\nruns: 1\nsample: {{method: lhs, n: 10, ranges: {{shock_scale: [0.0, 0.1]}}}}\n"
    )
    values = load_experiment(write(tmp_path, text)).values["shock_scale"]
    assert sorted(np.floor(values / 0.01).astype(int)) == list(range(10))


VALID = f"name: bad\nscenario: {BASELINE}\nruns: 3\nseed: 1\n"

BAD = {
    "unknown key": (VALID + "chunks: 10\n", "unknown key 'chunks'", "did you mean 'chunk_runs'"),
    "unknown parameter": (VALID + "parameters: {shock_scal: [0.1]}\n", "unknown parameter 'shock_scal'", "shock_scale"),
    "out of range": (
        VALID + "parameters: {shock_scale: [0.1, 0.9]}\n",
        "0.9 is outside 0.0..0.3",
        "parameters.shock_scale[1]",
    ),
    "bad method": (
        VALID + "sample: {method: latin, n: 4, ranges: {shock_scale: }}\n",
        "unknown sampling method",
        "lhs",
    ),
    "zero runs": (VALID.replace("runs: 3", "runs: 0"), "runs: expected a whole number of at least 1", ":3:"),
    "negative runs": (VALID.replace("runs: 3", "runs: -5"), "at least 1, got -5", "runs"),
    "missing scenario": (VALID.replace(str(BASELINE), "nowhere.yaml"), "no such scenario file 'nowhere.yaml'", ":2:"),
    "sobol n": (VALID + "sample: {method: sobol, n: 10, ranges: {shock_scale: }}\n", "power of 2", "8 or 16"),
    "both designs": (VALID + "parameters: {shock_scale: [0.1]}\nsample: {method: lhs, n: 2}\n", "not both", "sample"),
    "empty range": (VALID + "sample: {method: lhs, n: 4, ranges: {peer_weight: [0.8, 0.2]}}\n", "below high", ""),
    "range outside": (
        VALID + "sample: {method: lhs, n: 4, ranges: {peer_weight: [0, 9]}}\n",
        f"outside {BY_NAME['peer_weight'].low}..{BY_NAME['peer_weight'].high}",
        "",
    ),
    "bad store": (VALID + "store: everything\n", "unknown store 'everything'", "trajectories"),
    "no name": (VALID.replace("name: bad\n", ""), "missing 'name:'", ""),
}


@pytest.mark.parametrize("case", BAD)
def test_mistakes_are_one_line_errors_and_nothing_is_written(tmp_path, capsys, case):
    text, *expected = BAD[case]
    path = write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["batch", str(path), "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and str(path) in error
    for part in expected:
        assert part in error
    assert not out.exists()


def test_cli_reports_a_bad_experiment_without_traceback(tmp_path):
    path = write(tmp_path, VALID + "parameters: {peer_weigth: [1.0]}\n")
    result = cli("batch", path, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "did you mean 'peer_weight'" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["baseline_mc.yaml", "sweep_lhs.yaml"])
def test_example_experiments_load(name):
    experiment = load_experiment(ROOT / "experiments" / name)
    assert experiment.total_runs >= 1000
    assert all(s.path.exists() for s in experiment.scenarios)
