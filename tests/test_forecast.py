"""Frozen forecasts: the questions and hashes a forecast file carries, and `score` against later facts."""

from __future__ import annotations

import math

import pytest
from helpers import ROOT, cli_in_process

from sim.experiments.forecast import content_digest, load_forecast, make_forecast, score_forecast, write_forecast
from sim.inputs.documents import InputError
from sim.inputs.packaged import EVIDENCE, FITTED, POSTERIOR
from sim.inputs.vocabulary import FORECAST_QUANTILES
from sim.outputs.results import file_digest


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("forecast") / "baseline.yaml"
    record, _ = make_forecast("baseline", out, runs=6, seed=3)
    return record, out


def synthetic(path, probabilities: dict[str, float]) -> None:
    """A forecast file of probability questions with the given probabilities, hashed as `forecast` hashes."""
    record = {
        "tool": "alliance-sim",
        "kind": "forecast",
        "format": 1,
        "made": "2026-01-01T00:00:00+00:00",
        "model_version": None,
        "git_commit": None,
        "scenario": "synthetic",
        "scenario_file": "synthetic.yaml",
        "seed": 0,
        "runs": 10,
        "uncertainty": [],
        "sha256": {},
        "questions": [
            {"id": qid, "question": qid, "date": "2027-12", "kind": "probability", "probability": p}
            for qid, p in probabilities.items()
        ]
        + [
            {
                "id": "share",
                "question": "a share",
                "date": "2026-12",
                "kind": "quantiles",
                "quantiles": dict.fromkeys(FORECAST_QUANTILES, 0.3),
            }
        ],
    }
    record["file_sha256"] = content_digest(record)
    write_forecast(record, path)


def test_a_forecast_has_its_questions_and_hashes(made):
    record, out = made
    ids = {q["id"] for q in record["questions"]}
    assert {"dominant-kazakhstan-china-2027-12", "outside-csto-armenia-2027-12"} <= ids
    assert {"share-kazakhstan-china-2026-12", "share-kazakhstan-china-2030-12"} <= ids
    dominant = [q["probability"] for q in record["questions"] if q["id"].startswith("dominant-kazakhstan-")]
    assert len(dominant) == 4 and sum(dominant) == pytest.approx(1.0)
    share = next(q for q in record["questions"] if q["id"] == "share-kazakhstan-china-2030-12")["quantiles"]
    assert list(share) == list(FORECAST_QUANTILES) and list(share.values()) == sorted(share.values())
    assert record["sha256"] == {
        "fitted": file_digest(FITTED),
        "posterior": file_digest(POSTERIOR),
        "evidence": file_digest(EVIDENCE),
        "scenario": record["sha256"]["scenario"],
    }
    assert record["seed"] == 3 and record["runs"] == 6 and record["uncertainty"] == ["shocks", "parameters", "evidence"]
    assert record["git_commit"] is None or len(record["git_commit"]) == 40
    assert load_forecast(out)[0].data == record  # read back as written, its hash matching


def test_score_refuses_a_changed_forecast_file(made, tmp_path):
    _, out = made
    changed = tmp_path / "changed.yaml"
    changed.write_text(out.read_text().replace("runs: 6", "runs: 7"))
    facts = tmp_path / "facts.yaml"
    facts.write_text("facts:\n  outside-csto-armenia-2027-12: true\n")
    code, _, err = cli_in_process("score", changed, facts)
    assert code == 2 and "does not match its file_sha256" in err and len(err.strip().splitlines()) == 1
    code, printed, _ = cli_in_process("score", out, facts)
    assert code == 0 and "1 facts scored" in printed


def test_a_round_trip_on_synthetic_facts_gives_the_expected_scores(tmp_path):
    synthetic(tmp_path / "f.json", {"a": 0.8, "b": 0.3})
    facts = tmp_path / "facts.yaml"
    facts.write_text("source: a test\nfacts:\n  a: true\n  b: false\n  share: 0.3\n")
    frame = score_forecast(tmp_path / "f.json", facts).set_index("id")
    assert frame["brier"].mean() == pytest.approx((0.2**2 + 0.3**2) / 2)  # (1 - 0.8)^2 and, b false, 0.3^2
    assert frame.at["b", "log_score"] == pytest.approx(-math.log(0.7))
    assert frame.at["share", "crps"] == pytest.approx(0.0)  # every quantile on the observed share


@pytest.mark.parametrize(
    "facts, said",
    [
        ("facts:\n  c: true\n", "no question 'c'"),
        ("facts:\n  a: 0.4\n", "write true or false"),
        ("facts:\n  share: true\n", "write the observed share"),
        ("facts: {}\n", "facts"),
    ],
)
def test_facts_naming_unknown_or_mistyped_questions_are_refused(tmp_path, facts, said):
    synthetic(tmp_path / "f.yaml", {"a": 0.8})
    (tmp_path / "facts.yaml").write_text(facts)
    with pytest.raises(InputError, match=said):
        score_forecast(tmp_path / "f.yaml", tmp_path / "facts.yaml")


def test_a_forecast_file_is_never_replaced_without_force(made, tmp_path):
    _, out = made
    before = out.read_text()
    code, _, err = cli_in_process("forecast", "baseline", "--out", out, "--runs", 2)
    assert code == 2 and "never replaced" in err and out.read_text() == before
    other = tmp_path / "notes.yaml"
    other.write_text("mine: true\n")
    code, _, err = cli_in_process("forecast", "baseline", "--out", other, "--runs", 2, "--force")
    assert code == 2 and "not a forecast file" in err and other.read_text() == "mine: true\n"


@pytest.mark.parametrize("name", ["forecast_2026_2030.yaml", "forecast_2026_2030_stated_priors.yaml"])
def test_the_shipped_forecasts_are_intact_and_name_their_commit(name: str):
    """forecasts/ holds pre-registered forecasts, one per fit: each one's own hash still matches, and it names its
    commit."""
    from sim.experiments.forecast import load_forecast

    doc, asked = load_forecast(ROOT / "forecasts" / name)
    assert doc.data["git_commit"] and doc.data["runs"] >= 1000
    assert {str(q.date) for q in asked.values()} >= {"2027-12", "2030-12"}
