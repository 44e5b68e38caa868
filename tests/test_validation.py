"""Validation that can fail: nulls, skill, proper scores, the posterior and the evidence draws."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from helpers import cli

from sim.experiments.posterior import Posterior, abc_smc
from sim.experiments.uncertainty import hold
from sim.experiments.validation import (
    FITTED_POINT,
    LOG_FLOOR,
    NULLS,
    PREDICTORS,
    crps,
    last_direction,
    log_score,
    null_runs,
    persistence,
    scored,
    scores,
    skill,
    trend,
    window_end,
)
from sim.inputs.documents import month_label
from sim.inputs.evidence import load_evidence
from sim.inputs.geography import BLOCS
from sim.inputs.packaged import BASELINE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import Target
from sim.model.dynamics import FROZEN, MEMBER
from sim.model.ensemble import run_seed, simulate
from sim.model.model import AllianceModel
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import prepare


@pytest.fixture(scope="module")
def setup():
    evidence = load_evidence()
    short = replace(load_scenario(BASELINE, evidence), months=30)
    return prepare(short, evidence)


def target(
    id: str, kind: str, power: str, states: tuple[str, ...], start: str, end: str, direction=1, threshold=0.0, **more
):
    return Target(
        id, kind, "alignment", states, power, (), start, end, direction, threshold, ("test",), (), id, id, **more
    )


def path(russia: np.ndarray, months: int = 36) -> Trajectories:
    """Belarus between Russia and the US over `months` months from 2021-01, with Russia's share in each run
    given by `russia` (R, months); credibility, dependence and outreach follow the same path, and Belarus
    freezes its CSTO membership in month 30."""
    alignment = np.stack([russia, 1 - russia], axis=-1)[:, :, None, :]  # (R,T,1,P)
    participation = np.full((len(russia), months, len(BLOCS), 1), MEMBER, dtype=np.int8)
    participation[:, 30:, BLOCS.index("CSTO")] = FROZEN
    return Trajectories(
        "synthetic",
        [month_label((2021, 1), t) for t in range(months)],
        ["Belarus"],
        ["Russia", "US"],
        alignment,
        credibility=alignment.copy(),
        economic=alignment.copy(),
        security=alignment.copy(),
        outreach=alignment.copy(),
        participation=participation,
    )


LINE = 0.3 + 0.01 * np.arange(36.0)  # Russia's share rising by a point a month, 2021-01 to 2023-12


def test_a_target_a_null_meets_as_well_gives_no_skill(setup):
    """Belarus leading with Russia holds from the start: persistence meets it, so it is not informative."""
    traj = simulate(setup, 20, 0)
    stays = target("belarus-stays", "order", "Russia", ("Belarus",), "2021-01", "2023-01")
    frame = scored(traj, null_runs(setup, 20, 0, traj, FITTED_POINT), [stays])
    assert frame.loc[0, "met"] and frame.loc[0, "met_persistence_start"]
    assert not frame.loc[0, "informative"]
    assert skill(frame) == (0, 0)
    assert [c for c in frame.columns if c.startswith("met_")] == [f"met_{n}" for n in NULLS]


def test_a_target_only_the_model_meets_counts_as_skill():
    """Belarus's Russia share rising through 2021: the model's path meets it, holding the start does not."""
    model = path(np.tile(LINE, (3, 1)))
    rises = target("belarus-rises", "change", "Russia", ("Belarus",), "2021-01", "2021-12", 1, 0.05)
    frame = scored(model, {"persistence_start": persistence(model)}, [rises])
    assert frame.loc[0, "met"] and not frame.loc[0, "met_persistence_start"] and frame.loc[0, "informative"]
    assert skill(frame) == (1, 1)


def test_a_perfect_forecaster_scores_brier_0_and_a_coin_a_quarter():
    """Two facts about Belarus: every run of the perfect forecaster meets both, half the coin's runs do."""
    facts = [
        target("russia-leads", "order", "Russia", ("Belarus",), "2021-01", "2021-12"),
        target("russia-above-half", "level", "Russia", ("Belarus",), "2022-01", "2022-06", 1, 0.5),
    ]
    perfect = path(np.full((4, 36), 0.8))
    coin = path(np.repeat([[0.8], [0.2]], 2, axis=0) * np.ones(36))
    frame = scored(perfect, {"coin": coin}, facts)
    assert frame["p_model"].tolist() == [1.0, 1.0] and frame["p_coin"].tolist() == [0.5, 0.5]
    table = scores(frame, {"model": perfect, "coin": coin}, facts).set_index("predictor")
    assert table.loc["model", "brier"] == 0.0 and table.loc["coin", "brier"] == pytest.approx(0.25)
    assert table.loc["model", "log_score"] == 0.0 and table.loc["coin", "log_score"] == pytest.approx(np.log(2))
    assert table.loc["model", "skill"] == 1.0 and table.loc["model", "rank"] == 1
    assert table["crps"].isna().all()  # no fact carries an observed value


def test_the_log_score_is_finite_at_probability_0():
    assert log_score(np.array([0.0]))[0] == pytest.approx(-np.log(LOG_FLOOR))
    assert np.isfinite(log_score(np.array([0.0, 1e-12, 0.5, 1.0]))).all() and log_score(np.array([1.0]))[0] == 0.0


def test_crps_of_a_point_mass_is_the_distance_and_matches_every_pair_counted():
    assert crps(np.full(7, 0.3), 0.5) == pytest.approx(0.2)
    assert crps(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25)  # 0.5 - (0 + 1 + 1 + 0) / 4 / 2
    values = np.random.default_rng(0).normal(size=301)
    pairs = np.abs(values[:, None] - values[None, :]).mean()
    assert crps(values, 0.4) == pytest.approx(np.abs(values - 0.4).mean() - pairs / 2)


def test_an_observed_value_is_scored_by_crps():
    """Belarus's Russia share at 2021-06 is 0.35 in every run; the record says 0.4."""
    fact = target("russia-level", "level", "Russia", ("Belarus",), "2021-06", "2021-06", 1, 0.3, observed=0.4)
    model = path(np.tile(LINE, (3, 1)))
    table = scores(scored(model, {}, [fact]), {"model": model}, [fact])
    assert table.loc[0, "crps"] == pytest.approx(0.05)


def test_trend_reproduces_a_straight_line_path_exactly():
    model = path(np.tile(LINE, (2, 1)))
    assert window_end(model) == model.dates.index("2023-03") == 26
    continued = trend(model)
    for name in SERIES:
        np.testing.assert_allclose(getattr(continued, name), getattr(model, name), atol=1e-12, err_msg=name)
    standing = continued.participation[:, :, BLOCS.index("CSTO"), 0]
    assert (standing == MEMBER).all()  # the model's own standing up to 2023-03, held after: the freeze is not seen


def test_last_direction_continues_the_slope_of_the_last_six_months():
    """Russia's share rises a point a month to 2022-09 and two points a month from there."""
    kink = LINE + 0.01 * np.maximum(np.arange(36.0) - 20, 0)
    continued = last_direction(path(kink[None]))
    months = np.arange(36.0)
    np.testing.assert_allclose(continued.alignment[0, :, 0, 0], kink[26] + 0.02 * (months - 26))
    np.testing.assert_allclose(continued.alignment.sum(axis=-1), 1.0)
    steep = last_direction(path((0.9 - 0.03 * months.clip(max=26))[None]))  # credibility would fall below 0
    assert steep.credibility.min() == 0.0 and steep.alignment.min() > 0


def test_persistence_holds_the_start_or_the_documents_end_everywhere():
    model = path(np.tile(LINE, (2, 1)))
    start, end = persistence(model), persistence(model, window_end(model))
    for name in SERIES:
        assert (getattr(start, name) == getattr(model, name)[:, :1]).all()
        assert (getattr(end, name) == getattr(model, name)[:, 26:27]).all(), name
    assert (end.alignment[..., 0] == LINE[26]).all()
    assert (end.participation == model.participation[:, 26:27]).all()


def test_the_zero_weights_null_keeps_each_runs_draw_of_the_other_parameters():
    posterior = Posterior(("x", "y"), np.array([[0.1, 1.0], [0.2, 2.0], [0.3, 3.0]]), np.array([0.2, 0.3, 0.5]))
    seeds = np.array([run_seed(7, r) for r in range(40)], dtype=np.uint64)
    held = hold(posterior, ["y"])
    assert held.names == ("x",)
    np.testing.assert_array_equal(held.draw(seeds)["x"], posterior.draw(seeds)["x"])


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_validate_scores_the_hindcast_with_the_nulls(tmp_path):
    result = cli("validate", "--hindcast", "--runs", 8, "--out", tmp_path / "hindcast")
    assert result.returncode == 0, result.stderr
    assert "out of sample (hindcast), unconditional: " in result.stdout
    assert "each with its own monthly shocks" in result.stdout
    import json

    import pandas as pd

    frame = pd.read_csv(tmp_path / "hindcast" / "targets.csv")
    assert {"met", *(f"met_{n}" for n in NULLS), "informative", *(f"p_{n}" for n in PREDICTORS)} <= set(frame.columns)
    assert len(frame) >= 12
    table = pd.read_csv(tmp_path / "hindcast" / "scores.csv")
    assert list(table.columns) == ["predictor", "facts", "met", "brier", "log_score", "skill", "crps", "rank"]
    assert sorted(table["predictor"]) == sorted(PREDICTORS) and table["brier"].is_monotonic_increasing
    printed = [line.split()[1] for line in result.stdout.splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert printed[:2] == table["predictor"].tolist()[:2]  # the terminal shows the same table, best first
    written = json.loads((tmp_path / "hindcast" / "manifest.json").read_text())
    assert written["uncertainty"] == ["shocks", "parameters", "evidence"] and "--hindcast" in written["reproduce"]
    assert [row["predictor"] for row in written["scores"]] == table["predictor"].tolist()
    conditional = pd.read_csv(tmp_path / "hindcast" / "scores_conditional.csv")
    assert list(conditional.columns) == list(table.columns) and sorted(conditional["predictor"]) == sorted(PREDICTORS)
    assert "conditional on the shocks of 2023-2025" in result.stdout
    assert written["conditional"]["scores"][0]["predictor"] == conditional["predictor"][0]
    for figure in ("reliability.png", "sharpness.png"):
        assert (tmp_path / "hindcast" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", figure


def test_the_reliability_and_sharpness_figures_are_pngs(tmp_path):
    from sim.outputs.calibration_plots import reliability, sharpness

    probabilities = {"in sample": np.array([0.0, 0.15, 0.5, 0.97, 1.0]), "out of sample": np.array([0.3, 0.9])}
    for draw in (reliability, sharpness):
        path = draw(probabilities, tmp_path / f"{draw.__name__}.png", "a test")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_the_conditional_hindcast_writes_in_causes_never_outcomes():
    """The conditional scenario sets no share and no bloc standing, and every event it adds is dated within the
    hindcast window with its public record; the scenario schema accepts it."""
    import yaml

    from sim.inputs.packaged import CONDITIONAL

    events = yaml.safe_load(CONDITIONAL.read_text())["events"]
    assert events and not {"initial", "parameters", "strategies"} & set(yaml.safe_load(CONDITIONAL.read_text()))
    for event in events:
        assert event["attribute"] not in ("alignment", "participation", "months_low"), event["id"]
        assert event["source"].strip() and event["label"].strip(), event["id"]
        assert "2023-04" <= str(event["date"]) <= "2025-06", event["id"]
    scenario = load_scenario(CONDITIONAL, load_evidence())
    assert {e.label for e in scenario.events} >= {e["label"] for e in events}


def test_validate_and_its_hindcast_keep_separate_default_folders(tmp_path):
    for flags in ((), ("--hindcast",)):
        result = cli("validate", *flags, "--runs", 2, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    folders = sorted(p.name for p in (tmp_path / "results" / "validation").iterdir())
    assert folders == ["baseline", "baseline-hindcast"]
    assert (tmp_path / "results" / "validation" / "baseline" / "scores.csv").is_file()
