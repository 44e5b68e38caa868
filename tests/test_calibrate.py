"""Targets are measured right, calibrate/validate/sensitivity write what they promise, bad input is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import BASELINE

from sim.cli.main import main
from sim.cli.sensitivity import parameter_names
from sim.experiments import calibration, points
from sim.experiments.calibration import calibrate, target_loss
from sim.experiments.sensitivity import analyse
from sim.experiments.validation import assess, table, validate
from sim.inputs.documents import InputError
from sim.inputs.evidence import load_evidence
from sim.inputs.packaged import FITTED
from sim.inputs.parameters import BY_NAME
from sim.inputs.targets import load_targets
from sim.model.trajectories import Trajectories, hedging_index

SEED_FILE = "002_d2b80962dc7b4d43.txt"
STATES = ["Armenia", "Kazakhstan"]
POWERS = ["Russia", "US", "China", "Turkey"]
DATES = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05"]


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


def synthetic(offsets=(-0.01, 0.0, 0.05)) -> Trajectories:
    """Armenia moves from Russia (0.6 -> 0.4) to the US (0.2 -> 0.4) over five months; Kazakhstan holds
    still. Run r adds offsets[r] to Armenia's Russia share (taken from China), so the median is run 1."""
    R, T = len(offsets), len(DATES)
    alignment = np.zeros((R, T, 2, 4))
    step = np.linspace(0, 1, T)
    for r, offset in enumerate(offsets):
        alignment[r, :, 0] = np.stack(
            [0.6 - 0.2 * step + offset, 0.2 + 0.2 * step, 0.1 - offset + 0 * step, 0.1 + 0 * step], axis=-1
        )
        alignment[r, :, 1] = [0.4, 0.3, 0.2, 0.1]
    credibility = np.full_like(alignment, 0.5)
    credibility[:, 3:, 0, 0] = 0.2  # Russia's credibility with Armenia drops in 2021-04
    return Trajectories(
        "synthetic",
        DATES,
        STATES,
        POWERS,
        alignment=alignment,
        credibility=credibility,
        economic=np.full_like(alignment, 0.7),
        security=np.zeros_like(alignment),
        outreach=np.zeros_like(alignment),
    )


def write_targets(path: Path, targets: list[dict]) -> Path:
    for item in targets:
        item.setdefault("claim", "a paraphrased claim")
        item.setdefault("source", SEED_FILE)
    path.write_text(yaml.safe_dump({"targets": targets}, sort_keys=False))
    return path


KNOWN = [
    # Armenia's Russia share falls by 0.2 in the median run: met (needs > 0.1).
    (
        {
            "id": "falls",
            "kind": "change",
            "states": "Armenia",
            "power": "Russia",
            "from": "2021-01",
            "to": "2021-05",
            "direction": "down",
            "by": 0.1,
        },
        -0.2,
        True,
    ),
    (
        {
            "id": "rises",
            "kind": "change",
            "states": "Armenia",
            "power": "Russia",
            "from": "2021-01",
            "to": "2021-05",
            "direction": "up",
        },
        -0.2,
        False,
    ),
    # Russia leads until the last month, where it ties with the US (lead 0.4 - 0.4 = 0): not met.
    (
        {"id": "leads", "kind": "order", "states": "Armenia", "power": "Russia", "from": "2021-01", "to": "2021-05"},
        0.0,
        False,
    ),
    ({"id": "leads-early", "kind": "order", "states": "Armenia", "power": "Russia", "date": "2021-02"}, 0.3, True),
    # Two states averaged: Russia's share (0.55 + 0.4) / 2 at 2021-02.
    (
        {
            "id": "level",
            "kind": "level",
            "states": ["Armenia", "Kazakhstan"],
            "power": "Russia",
            "date": "2021-02",
            "above": 0.5,
        },
        0.475,
        False,
    ),
    # The worst month of the span counts: Armenia's Russia share reaches 0.4.
    (
        {
            "id": "stays",
            "kind": "level",
            "states": "Armenia",
            "power": "Russia",
            "from": "2021-01",
            "to": "2021-05",
            "above": 0.45,
        },
        0.4,
        False,
    ),
    (
        {
            "id": "credibility",
            "kind": "change",
            "measure": "credibility",
            "states": "Armenia",
            "power": "Russia",
            "from": "2021-03",
            "to": "2021-04",
            "direction": "down",
            "by": 0.2,
        },
        -0.3,
        True,
    ),
    (
        {
            "id": "dependence",
            "kind": "level",
            "measure": "economic",
            "states": "Kazakhstan",
            "power": "Russia",
            "date": "2021-05",
            "above": 0.6,
        },
        0.7,
        True,
    ),
]


def test_targets_measured_on_synthetic_trajectories(tmp_path: Path, evidence) -> None:
    targets = load_targets(write_targets(tmp_path / "t.yaml", [dict(spec) for spec, _, _ in KNOWN]), evidence)
    frame = table(synthetic(), targets)
    assert list(frame.columns[:5]) == ["target", "date", "expected", "observed", "met"]
    for (spec, observed, met), (_, row) in zip(KNOWN, frame.iterrows(), strict=True):
        assert row["target"] == spec["id"]
        assert row["observed"] == pytest.approx(observed, abs=1e-9), spec["id"]
        assert row["met"] == met, spec["id"]


def test_a_target_may_carry_the_value_the_record_measured(tmp_path: Path, evidence) -> None:
    measured, plain = load_targets(
        write_targets(tmp_path / "t.yaml", [{**KNOWN[0][0], "observed": -0.25}, dict(KNOWN[1][0])]), evidence
    )
    assert measured.observed == -0.25 and plain.observed is None


def test_hedging_target_and_groups(tmp_path: Path, evidence) -> None:
    """Hedging is the entropy index; groups of runs are scored separately (median within each group)."""
    spec = {
        "id": "hedge",
        "kind": "change",
        "measure": "hedging",
        "states": "Armenia",
        "from": "2021-01",
        "to": "2021-05",
        "direction": "up",
    }
    targets = load_targets(write_targets(tmp_path / "t.yaml", [spec]), evidence)
    traj = synthetic(offsets=(0.0, 0.0, 0.0, 0.05, 0.05, 0.05))
    medians, margins = assess(traj, targets, groups=2)
    expected = [hedging_index(traj.alignment[r, 4, 0]) - hedging_index(traj.alignment[r, 0, 0]) for r in (0, 3)]
    np.testing.assert_allclose(medians[:, 0], expected)
    assert (margins[:, 0] > 0).all() and medians[0, 0] != medians[1, 0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "trend"}, "unknown kind 'trend'"),
        ({"states": "Kazakstan"}, "did you mean 'Kazakhstan'"),
        ({"to": None}, "a change needs 'from:' and 'to:'"),
        ({"to": "2021-13"}, "is not a month"),
        ({"source": "005_missing.txt"}, "is not one of the documents"),
        ({"evidence": ["no-such-entry"]}, "no evidence entry 'no-such-entry'"),
        ({"direction": "sideways"}, "direction: up"),
        ({"power": None}, "needs a power"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"source": "structural"}, "a structural target needs 'evidence:'"),
    ],
)
def test_bad_targets_file(tmp_path: Path, evidence, change: dict, message: str) -> None:
    spec = {
        "id": "t",
        "kind": "change",
        "states": "Armenia",
        "power": "Russia",
        "from": "2021-01",
        "to": "2021-05",
        "direction": "down",
        **change,
    }
    path = write_targets(tmp_path / "bad.yaml", [{k: v for k, v in spec.items() if v is not None}])
    with pytest.raises(InputError, match=message) as caught:
        load_targets(path, evidence)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_committed_targets_are_many_and_inside_the_baseline_window(evidence) -> None:
    targets = load_targets(evidence=evidence)
    assert len(targets) >= 12
    assert all("2021-01" <= t.start <= t.end <= "2023-03" for t in targets)
    assert all(t.sources for t in targets)


def test_loss_counts_unmet_and_grows_smoothly() -> None:
    margins = np.array([[0.1, 0.1], [0.01, 0.1], [-0.01, 0.1], [-0.1, 0.1]])
    losses = target_loss(margins)
    assert np.all(np.diff(losses) > 0)
    assert losses[2] - losses[1] > 1.0  # crossing the threshold costs a whole unmet target


@pytest.mark.slow
def test_calibrate_tiny_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole generation of candidates goes through one simulate call; results are reproducible."""
    calls: list[int] = []
    real = points.simulate

    def counting(setup, runs, seed, params=None, **kwargs):
        calls.append(len(runs) if not np.isscalar(runs) else runs)
        return real(setup, runs, seed, params, **kwargs)

    monkeypatch.setattr(points, "simulate", counting)
    # A small posterior: this test is about batching, reproducibility and where files go, not the fit's quality.
    monkeypatch.setattr(calibration, "ABC_POPULATION", 20)
    monkeypatch.setattr(calibration, "ABC_GENERATIONS", 2)
    monkeypatch.setattr(calibration, "ABC_RUNS", 2)
    shipped = FITTED.read_bytes()
    fits = [calibrate(max_evals=10, runs=2, seed=3, out=tmp_path / "out0", fitted_path=tmp_path / "f0.yaml")]
    monkeypatch.setattr(calibration, "IN_CHECKOUT", False)  # as installed: the package's own fit is never written
    fits.append(calibrate(max_evals=10, runs=2, seed=3, out=tmp_path / "out1"))
    assert FITTED.read_bytes() == shipped and fits[1].fitted_path == tmp_path / "out1" / "fitted.yaml"
    assert (tmp_path / "out1" / "posterior.csv").is_file()
    assert calls[0] == 5 * 2  # the first generation: 5 candidates x 2 replicates in one call
    fitted = yaml.safe_load((tmp_path / "f0.yaml").read_text())
    assert fitted["parameters"] == yaml.safe_load((tmp_path / "out1" / "fitted.yaml").read_text())["parameters"]
    for name, value in fitted["parameters"].items():
        assert BY_NAME[name].low <= value <= BY_NAME[name].high
    assert fits[0].n_targets == len(load_targets())
    evaluations = pd.read_csv(tmp_path / "out0" / "evaluations.csv")
    assert 5 <= len(evaluations) <= 10 and {"loss", "met", "accepted"} <= set(evaluations.columns)
    for name in ("fit_report.md", "targets.csv", "plots/loss_trace.png", "plots/posterior.png", "plots/targets.png"):
        assert (tmp_path / "out0" / name).is_file(), name


def test_calibrate_refuses_bad_input_before_writing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 5"):
        calibrate(max_evals=3, out=tmp_path / "out", fitted_path=tmp_path / "f.yaml")
    bad = write_targets(
        tmp_path / "bad.yaml", [{"id": "x", "kind": "order", "states": "Armenia", "power": "Rusia", "date": "2021-05"}]
    )
    with pytest.raises(InputError, match="did you mean 'Russia'"):
        calibrate(max_evals=5, out=tmp_path / "out", targets_path=bad, fitted_path=tmp_path / "f.yaml")
    assert not (tmp_path / "out").exists() and not (tmp_path / "f.yaml").exists()


@pytest.mark.slow
def test_validate_writes_targets_csv(tmp_path: Path) -> None:
    frame, scores, out, _ = validate(BASELINE, tmp_path / "val", runs=4, seed=0, fitted_point=True)
    written = pd.read_csv(out / "targets.csv")
    assert list(written.columns[:5]) == ["target", "date", "expected", "observed", "met"]
    assert len(written) == len(load_targets()) and written["met"].dtype == bool
    assert (out / "targets.png").stat().st_size > 10_000
    assert len(pd.read_csv(out / "scores.csv")) == len(scores) == 7
    recorded = json.loads((out / "manifest.json").read_text())
    assert recorded["uncertainty"] == ["shocks"] and recorded["posterior"] is None
    assert recorded["reproduce"].endswith("--fitted-point") and "--hindcast" not in recorded["reproduce"]


@pytest.mark.slow
def test_committed_defaults_meet_most_targets(tmp_path: Path) -> None:
    frame, *_ = validate(BASELINE, tmp_path / "val", runs=40, seed=11, fitted_point=True)
    assert frame["met"].mean() >= 0.8, frame.loc[~frame["met"], "target"].tolist()


def test_validate_cli_bad_targets_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: [\n")
    assert main(["validate", str(BASELINE), "--targets", str(bad), "--out", str(tmp_path / "val")]) == 2
    err = capsys.readouterr().err
    assert "not valid YAML" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "val").exists()


@pytest.mark.slow
def test_sensitivity_morris_tiny(tmp_path: Path) -> None:
    names = ["adjustment_rate", "peer_weight", "credibility_recovery"]
    indices, out = analyse(BASELINE, "morris", 2, 2, 0, tmp_path / "sens", names)
    written = pd.read_csv(out / "indices.csv")
    assert {"parameter", "outcome", "mu_star", "sigma", "seed_variance"} <= set(written.columns)
    assert set(written["parameter"]) == set(names)
    assert len(written) == len(names) * (10 + 2)  # each state's final share, their mean, mean hedging
    assert (written["seed_variance"] >= 0).all() and (out / "ranking.png").is_file()


@pytest.mark.slow
def test_sensitivity_sobol_is_fixed_by_its_seed(tmp_path: Path) -> None:
    """Every number, the bootstrap confidence intervals included, is the same for the same seed (seed 0 too)."""
    names = ["adjustment_rate", "peer_weight"]
    first, _ = analyse(BASELINE, "sobol", 2, 1, 0, tmp_path / "a", names)
    second, _ = analyse(BASELINE, "sobol", 2, 1, 0, tmp_path / "b", names)
    pd.testing.assert_frame_equal(first, second)
    assert {"S1_conf", "ST_conf"} <= set(first.columns)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "sobol", "samples": 6}, "power of 2"),
        ({"power": "Rusia"}, "did you mean 'Russia'"),
        ({"method": "fast"}, "unknown method"),
    ],
)
def test_sensitivity_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {
        "method": "morris",
        "samples": 2,
        "runs": 1,
        "seed": 0,
        "out": tmp_path / "s",
        "names": ["adjustment_rate", "peer_weight"],
        **kwargs,
    }
    with pytest.raises(InputError, match=message):
        analyse(BASELINE, **args)
    assert not (tmp_path / "s").exists()


def test_sensitivity_parameter_names() -> None:
    assert parameter_names(None) == list(BY_NAME)
    with pytest.raises(InputError, match="did you mean 'peer_weight'"):
        parameter_names("peer_wieght,adjustment_rate")


def test_a_fit_starts_from_the_built_in_defaults_not_from_the_last_fit():
    """A parameter the fit no longer adjusts is held at its built-in default, whatever the previous fit file says;
    a value the scenario itself sets is kept."""
    from dataclasses import replace as replaced

    from sim.experiments.calibration import unfitted
    from sim.inputs.packaged import BASELINE
    from sim.inputs.parameters import BY_NAME
    from sim.inputs.scenario import load_scenario

    scenario = load_scenario(BASELINE)
    stale = replaced(scenario, parameters={**scenario.parameters, "peer_weight": 0.66, "shock_scale": 0.05})
    stale = replaced(stale, chosen=frozenset({"shock_scale"}))
    start = unfitted(stale)
    assert start["peer_weight"] == BY_NAME["peer_weight"].default
    assert start["shock_scale"] == 0.05
    assert set(start) == set(BY_NAME)
