"""Validation that can fail: nulls, skill, the posterior and the evidence draws."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.experiments.posterior import Posterior, abc_smc
from sim.experiments.validation import NULLS, null_runs, scored, skill
from sim.inputs.evidence import load_evidence
from sim.inputs.packaged import BASELINE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import Target
from sim.model.ensemble import run_seed, simulate
from sim.model.model import AllianceModel
from sim.model.trajectories import SERIES
from sim.model.world import prepare


@pytest.fixture(scope="module")
def setup():
    evidence = load_evidence()
    short = replace(load_scenario(BASELINE, evidence), months=30)
    return prepare(short, evidence)


def target(id: str, kind: str, power: str, states: tuple[str, ...], start: str, end: str, direction=1, threshold=0.0):
    return Target(id, kind, "alignment", states, power, (), start, end, direction, threshold, ("test",), (), id, id)


def test_a_target_a_null_meets_as_well_gives_no_skill(setup):
    """Belarus leading with Russia holds from the start: persistence meets it, so it is not informative."""
    traj = simulate(setup, 20, 0)
    stays = target("belarus-stays", "order", "Russia", ("Belarus",), "2021-01", "2023-01")
    frame = scored(traj, null_runs(setup, setup.params, 20, 0, traj), [stays])
    assert frame.loc[0, "met"] and frame.loc[0, "met_persistence"]
    assert not frame.loc[0, "informative"]
    assert skill(frame) == (0, 0)
    assert [c for c in frame.columns if c.startswith("met_")] == [f"met_{n}" for n in NULLS]


def test_a_target_only_the_model_meets_counts_as_skill(setup):
    """Kazakhstan leaning away from Russia after the invasion needs the events and the weights."""
    traj = simulate(setup, 20, 0)
    away = target("kazakhstan-away", "change", "Russia", ("Kazakhstan",), "2022-02", "2023-06", -1, 0.02)
    frame = scored(traj, null_runs(setup, setup.params, 20, 0, traj), [away])
    assert frame.loc[0, "informative"]
    assert skill(frame) == (int(frame.loc[0, "met"]), 1)


def test_abc_posterior_stays_inside_the_ranges_and_favours_low_loss():
    names = ("adjustment_rate", "peer_weight")
    bounds = np.array([(BY_NAME[n].low, BY_NAME[n].high) for n in names])
    centre = bounds.mean(axis=1)
    posterior = abc_smc(
        lambda x: np.abs((x - centre) / (bounds[:, 1] - bounds[:, 0])).sum(axis=1), names, bounds, 200, 6, 0.05, 1
    )
    assert ((posterior.points >= bounds[:, 0]) & (posterior.points <= bounds[:, 1])).all()
    np.testing.assert_allclose(posterior.weights.sum(), 1.0)
    assert posterior.epsilon < 0.5 and 1 < posterior.effective_size <= len(posterior.points)
    mean = (posterior.weights[:, None] * posterior.points).sum(axis=0)
    assert (np.abs(mean - centre) < 0.15 * (bounds[:, 1] - bounds[:, 0])).all()
    draws = posterior.draw(np.arange(50))
    for d, name in enumerate(names):
        assert set(draws[name]) <= set(posterior.points[:, d])


def test_posterior_draws_are_the_runs_own():
    posterior = Posterior(("x",), np.array([[0.1], [0.2], [0.3]]), np.array([0.2, 0.3, 0.5]))
    seeds = np.array([run_seed(7, r) for r in range(40)], dtype=np.uint64)
    whole = posterior.draw(seeds)["x"]
    np.testing.assert_array_equal(posterior.draw(seeds[10:20])["x"], whole[10:20])


def test_evidence_draws_at_full_confidence_give_the_deterministic_start(setup):
    certain = replace(setup, spread={a: np.zeros_like(v) for a, v in setup.spread.items()})
    drawn = certain.initial(3, evidence_seeds=np.array([1, 2, 3]))
    plain = setup.initial(3)
    for name in ("alignment", "economic", "security", "credibility", "capability"):
        np.testing.assert_array_equal(getattr(drawn, name), getattr(plain, name))
    varied = setup.initial(3, evidence_seeds=np.array([1, 2, 3]))
    assert not np.allclose(varied.security, plain.security)
    assert (varied.security >= 0).all() and (varied.security <= 1).all()


def test_mesa_and_ensemble_agree_with_every_source_of_uncertainty(setup):
    posterior = Posterior(("peer_weight",), np.array([[0.1], [0.9]]), np.array([0.5, 0.5]))
    seed, runs = 3, 3
    seeds = np.array([run_seed(seed, r) for r in range(runs)], dtype=np.uint64)
    params = {**setup.params, **posterior.draw(seeds)}
    ensemble = simulate(setup, runs, seed, params, evidence_draws=True)
    for run in range(runs):
        own = {**setup.params, **{k: float(v[run]) for k, v in posterior.draw(seeds).items()}}
        model = AllianceModel(setup.scenario, rng=int(seeds[run]), evidence=setup.evidence, evidence_draws=True, **own)
        while model.running:
            model.step()
        traj = model.trajectories(run)
        for name in SERIES:
            np.testing.assert_array_equal(getattr(traj, name)[0], getattr(ensemble, name)[run], err_msg=name)


def test_calibrate_never_reads_the_hindcast(tmp_path):
    """Every file the calibration opens is recorded (Python's audit hook); the out-of-sample facts are not
    among them, while the in-sample targets are."""
    script = f"""
import sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
import sim.experiments.calibration as calibration
calibration.ABC_POPULATION, calibration.ABC_GENERATIONS, calibration.ABC_RUNS = 20, 2, 2  # files, not fit quality
calibration.calibrate(
    max_evals=6, runs=2, seed=0, out={str(tmp_path / "fit")!r}, fitted_path={str(tmp_path / "fitted.yaml")!r}
)
print("\\n".join(opened))
"""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    opened = done.stdout.splitlines()
    assert any(path.endswith("targets.yaml") for path in opened)
    assert not any("hindcast" in path for path in opened)


def test_validate_scores_the_hindcast_with_the_nulls(tmp_path):
    from conftest import cli

    result = cli("validate", "--hindcast", "--runs", 8, "--out", tmp_path / "hindcast")
    assert result.returncode == 0, result.stderr
    assert "out of sample (hindcast)" in result.stdout and "skill:" in result.stdout
    import pandas as pd

    frame = pd.read_csv(tmp_path / "hindcast" / "targets.csv")
    assert {"met", "met_persistence", "met_no_events", "met_zero_weights", "informative"} <= set(frame.columns)
    assert len(frame) >= 12
