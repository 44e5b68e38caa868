"""Frozen forecasts: a scenario's runs turned into dated questions with probabilities and quantiles, written
once with everything that made them, and scored later against the facts.

`make_forecast` simulates the runs `run` shows (each with its own monthly shocks, posterior parameter draw and
evidence draw) and asks, per state: which power is its dominant partner at DOMINANT_AT (one probability per
power), whether its CSTO standing is frozen or left at DOMINANT_AT (for the states in the CSTO at the start),
and the FORECAST_QUANTILES of its share with each power at each of SHARES_AT. The file records the model
version, the git commit, the SHA-256 of the fit, the posterior, the evidence and the scenario, the seed, the
runs and the date made, and its own SHA-256 (`file_sha256`) over its canonical content: the JSON of every other
key, keys sorted, no spaces, UTF-8. `score_forecast` refuses a file whose content does not match it.

A facts file says what happened, by question id: true or false for a probability question, the observed share
for a quantile question. A probability question scores Brier and log score (`validation.brier`, `log_score`,
on the probability given to what happened: p if true, 1 - p if false); a quantile question scores CRPS,
approximated by twice the mean pinball (quantile) loss over the forecast's quantile levels.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import yaml

from sim.experiments.uncertainty import SOURCES, posterior_for, simulate_uncertain
from sim.experiments.validation import brier, log_score
from sim.inputs.documents import Document, InputError, load_yaml, month_index, parse_month, suggest
from sim.inputs.evidence import load_evidence
from sim.inputs.geography import BLOCS
from sim.inputs.limits import Cost, cell_bytes, chunk_runs, simulation_seconds
from sim.inputs.packaged import CALIBRATION, EVIDENCE, FITTED, IN_CHECKOUT, POSTERIOR
from sim.inputs.scenario import load_scenario
from sim.inputs.vocabulary import FORECAST_QUANTILES
from sim.model.dynamics import FROZEN, LEFT, MEMBER
from sim.model.world import prepare
from sim.outputs.destination import TOOL, check_name, replacing, slug
from sim.outputs.results import file_digest
from sim.outputs.writer import Invocation

#: The month of the dominant-partner and bloc-standing questions, and the months of the share quantiles.
DOMINANT_AT = "2027-12"
SHARES_AT = ("2026-12", "2030-12")
#: The bloc whose standing the forecast asks about.
BLOC = "CSTO"
#: Version of the forecast file's layout.
FORMAT = 1
#: Decimals kept of a probability or a quantile: enough to score, and every value reads back as written.
DECIMALS = 4
#: First line of a YAML forecast file.
HEADER = "# A frozen forecast made by `alliance-sim forecast`; score it with `alliance-sim score FILE FACTS.yaml`."
SUFFIXES = (".yaml", ".yml", ".json")


def make_forecast(
    scenario_path: Path | str, out: Path, runs: int = 1000, seed: int = 0, force: bool = False
) -> tuple[dict[str, Any], Path]:
    """Simulate the scenario's runs with every source of uncertainty and write the forecast file `out` (YAML or
    JSON by its suffix) atomically, never over an existing file unless `force` and it is a forecast file."""
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(scenario_path, evidence)
    out = Path(out)
    _check_out(out, force, [scenario.path, FITTED, POSTERIOR, EVIDENCE])
    last = max(DOMINANT_AT, *SHARES_AT)
    if scenario.date(scenario.months) < last:
        raise InputError(
            f"{scenario.path}: ends at {scenario.date(scenario.months)}; a forecast asks about {last}: "
            f"extend its `end:` to {last} or later"
        )
    months = [
        month_index(cast("tuple[int, int]", parse_month(date)), scenario.start) for date in (DOMINANT_AT, *SHARES_AT)
    ]
    S, P = len(scenario.states), len(scenario.powers)
    chunk = chunk_runs(scenario.months, S, P)
    memory = chunk * cell_bytes(scenario.months, S, P) + runs * len(months) * S * P * 8 + 300e6
    cost = Cost(memory, 1e6, simulation_seconds(runs, scenario.months))
    cost.check(out.parent, f"forecasting with {runs:,} runs", "use fewer runs", ("runs",))
    setup, posterior = prepare(scenario, evidence), posterior_for(scenario, SOURCES)
    shares, standing = [], []
    for start in range(0, runs, chunk):
        traj = simulate_uncertain(setup, np.arange(start, min(runs, start + chunk)), seed, SOURCES, posterior)
        shares.append(traj.alignment[:, months])  # (R, 3, S, P)
        standing.append(cast(np.ndarray, traj.participation)[:, [0, months[0]], BLOCS.index(BLOC)])  # (R, 2, S)
    record = {
        "tool": TOOL,
        "kind": "forecast",
        "format": FORMAT,
        "made": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_version": _version(),
        "git_commit": git_commit(),
        "scenario": scenario.name,
        "scenario_file": _shown(scenario.path),
        "seed": seed,
        "runs": runs,
        "uncertainty": list(SOURCES),
        "reproduce": Invocation(
            "forecast", (_shown(scenario.path),), {"out": out, "runs": runs, "seed": seed}
        ).command_line(),
        "sha256": {
            name: file_digest(path)
            for name, path in (("fitted", FITTED), ("posterior", POSTERIOR), ("evidence", EVIDENCE))
        }
        | {"scenario": file_digest(scenario.path)},
        "questions": questions(np.concatenate(shares), np.concatenate(standing), scenario.states, scenario.powers),
    }
    record["file_sha256"] = content_digest(record)
    write_forecast(record, out)
    return record, out


def questions(shares: np.ndarray, standing: np.ndarray, states: list[str], powers: list[str]) -> list[dict[str, Any]]:
    """The forecast's questions from the runs: `shares` (R, 3, S, P) at DOMINANT_AT and SHARES_AT, `standing`
    (R, 2, S) in BLOC at the start and at DOMINANT_AT."""
    asked = []
    dominant = shares[:, 0].argmax(axis=-1)  # (R, S)
    outside = (standing[:, 1] == FROZEN) | (standing[:, 1] == LEFT)
    for s, state in enumerate(states):
        for p, power in enumerate(powers):
            asked.append(
                _probability(
                    f"dominant-{slug(state)}-{slug(power)}-{DOMINANT_AT}",
                    f"{state}'s dominant partner at {DOMINANT_AT} is {power}",
                    DOMINANT_AT,
                    (dominant[:, s] == p).mean(),
                )
            )
        if (standing[:, 0, s] == MEMBER).any():
            asked.append(
                _probability(
                    f"outside-{slug(BLOC)}-{slug(state)}-{DOMINANT_AT}",
                    f"{state}'s {BLOC} standing at {DOMINANT_AT} is frozen or left",
                    DOMINANT_AT,
                    outside[:, s].mean(),
                )
            )
    for k, date in enumerate(SHARES_AT, start=1):
        for s, state in enumerate(states):
            for p, power in enumerate(powers):
                levels = np.quantile(shares[:, k, s, p], list(FORECAST_QUANTILES.values()))
                asked.append(
                    {
                        "id": f"share-{slug(state)}-{slug(power)}-{date}",
                        "question": f"{state}'s alignment share with {power} at {date}",
                        "date": date,
                        "kind": "quantiles",
                        "quantiles": {
                            key: round(float(q), DECIMALS) for key, q in zip(FORECAST_QUANTILES, levels, strict=True)
                        },
                    }
                )
    return asked


def _probability(qid: str, question: str, date: str, p: float) -> dict[str, Any]:
    """A probability question as the file writes it."""
    return {
        "id": qid,
        "question": question,
        "date": date,
        "kind": "probability",
        "probability": round(float(p), DECIMALS),
    }


def content_digest(record: dict[str, Any]) -> str:
    """SHA-256 of a forecast's canonical content: the JSON of every key but `file_sha256`, keys sorted, compact."""
    body = {key: value for key, value in record.items() if key != "file_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_forecast(record: dict[str, Any], out: Path) -> Path:
    """Write a forecast file as YAML or JSON (by its suffix) beside `out` and rename it into place."""
    if out.suffix == ".json":
        text = json.dumps(record, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = f"{HEADER}\n" + yaml.safe_dump(record, sort_keys=False, width=110, allow_unicode=True)
    with replacing(out) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return out


def git_commit() -> str | None:
    """The checkout's commit (git rev-parse HEAD), or None outside a checkout or without git."""
    if not IN_CHECKOUT:
        return None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=CALIBRATION.parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else None


def _shown(path: Path) -> str:
    """A path as the file records it: relative to the checkout when inside it, so the file names no machine."""
    root, where = CALIBRATION.parent.resolve(), Path(path).resolve()
    return str(where.relative_to(root)) if IN_CHECKOUT and where.is_relative_to(root) else str(path)


def _version() -> str | None:
    """alliance-sim's installed version, or None if it is not installed."""
    try:
        return metadata.version("alliance-sim")
    except metadata.PackageNotFoundError:
        return None


def _check_out(out: Path, force: bool, inputs: list[Path]) -> None:
    """Refuse, before any work, a forecast file that must not be written: another suffix than SUFFIXES, an input,
    a folder or link, or an existing file (without `force`, or with it when the file is not a forecast)."""
    check_name(out)
    if out.suffix not in SUFFIXES:
        raise InputError(f"{out}: a forecast file ends in .yaml or .json; choose another output file", ("out",))
    if any(out.resolve() == Path(given).resolve() for given in inputs):
        raise InputError(f"{out}: is an input of this command; choose another output file", ("out",))
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise InputError(f"{out}: not a plain file; choose another output file", ("out",))
    if out.exists() and not force:
        raise InputError(
            f"{out}: exists; a frozen forecast is never replaced: choose another output file (or force)",
            ("out", "force"),
        )
    if out.exists():
        try:
            data = load_yaml(out, "forecast").data
        except InputError:
            data = {}
        if data.get("tool") != TOOL or data.get("kind") != "forecast":
            raise InputError(
                f"{out}: not a forecast file of alliance-sim; even force will not replace it; "
                "choose another output file",
                ("out",),
            )


# --- scoring ---------------------------------------------------------------------------------------------


def load_forecast(path: Path | str) -> tuple[Document, dict[str, Any]]:
    """A forecast file checked: its structure (one line naming file, place and fix) and its SHA-256, which must
    match its content; returns the document and its questions by id."""
    from sim.inputs.problems import check
    from sim.inputs.schema import ForecastFile

    doc = load_yaml(path, "forecast")
    forecast = check(doc, ForecastFile)
    if content_digest(doc.data) != forecast.file_sha256:
        raise InputError(
            f"{doc.path}: its content does not match its file_sha256: it was changed after 'alliance-sim forecast' "
            "made it; a frozen forecast is scored only as made (score the committed file, or make a new forecast)"
        )
    asked = {}
    for i, question in enumerate(forecast.questions):
        if question.id in asked:
            raise doc.error(("questions", i, "id"), f"question id '{question.id}' is given twice; a forecast asks once")
        asked[question.id] = question
    return doc, asked


def load_facts(path: Path | str, forecast: Path, asked: dict[str, Any]) -> tuple[dict[str, bool | float], str | None]:
    """A facts file checked against the forecast's questions: each id one of them, true/false for a probability
    question, a share for a quantile question. Returns the facts by id and their `source:`."""
    from sim.inputs.problems import check
    from sim.inputs.schema import FactsFile

    doc = load_yaml(path, "facts")
    facts = check(doc, FactsFile)
    for qid, outcome in facts.facts.items():
        if qid not in asked:
            raise doc.error(
                ("facts", qid), f"no question '{qid}' in {forecast}{suggest(qid, list(asked))}; use its questions' ids"
            )
        wanted = asked[qid].kind
        if wanted == "probability" and not isinstance(outcome, bool):
            raise doc.error(("facts", qid), f"'{qid}' is a probability question: write true or false")
        if wanted == "quantiles" and (isinstance(outcome, bool) or not 0.0 <= outcome <= 1.0):
            raise doc.error(("facts", qid), f"'{qid}' asks for a share: write the observed share, from 0 to 1")
    return dict(facts.facts), facts.source


def pinball_crps(quantiles: dict[str, float], observed: float) -> float:
    """CRPS approximated from quantiles: twice the mean pinball loss over the forecast's quantile levels (the exact
    CRPS integrates twice the pinball loss over every level from 0 to 1)."""
    losses = [
        max(level * (observed - quantiles[key]), (level - 1.0) * (observed - quantiles[key]))
        for key, level in FORECAST_QUANTILES.items()
    ]
    return 2.0 * float(np.mean(losses))


def score_forecast(forecast_path: Path | str, facts_path: Path | str) -> pd.DataFrame:
    """One row per fact: question, kind, the forecast (its probability, or its median), the outcome, and its
    Brier and log score (probability questions) or approximate CRPS (quantile questions)."""
    doc, asked = load_forecast(forecast_path)
    facts, _ = load_facts(facts_path, doc.path, asked)
    rows = []
    for qid, outcome in facts.items():
        question = asked[qid]
        row = {"id": qid, "question": question.question, "kind": question.kind, "outcome": outcome}
        if question.kind == "probability":
            given = question.probability if outcome else 1.0 - question.probability
            row |= {
                "forecast": question.probability,
                "brier": float(brier(given)),
                "log_score": float(log_score(given)),
            }
        else:
            row |= {"forecast": question.quantiles["p50"], "crps": pinball_crps(question.quantiles, outcome)}
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", "question", "kind", "forecast", "outcome", "brier", "log_score", "crps"])


def score_lines(frame: pd.DataFrame, forecast_path: Path | str) -> list[str]:
    """What `score` prints: each fact's score, then the means per kind."""
    lines = [f"{forecast_path}: {len(frame)} facts scored"]
    for row in frame.itertuples():
        if row.kind == "probability":
            outcome = "true" if row.outcome else "false"
            what = f"p {row.forecast:.3f}, {outcome}: Brier {row.brier:.3f}, log score {row.log_score:.3f}"
        else:
            what = f"median {row.forecast:.3f}, observed {row.outcome:.3f}: CRPS {row.crps:.3f}"
        lines.append(f"  {row.id:<44} {what}")
    chances = frame[frame["kind"] == "probability"]
    if len(chances):
        lines.append(
            f"  probability questions: {len(chances)}, mean Brier {chances['brier'].mean():.3f} (a coin 0.25), "
            f"mean log score {chances['log_score'].mean():.3f} (a coin 0.693)"
        )
    shares = frame[frame["kind"] == "quantiles"]
    if len(shares):
        lines.append(
            f"  quantile questions: {len(shares)}, mean CRPS {shares['crps'].mean():.3f} "
            "(approximate: twice the mean pinball loss over the 5 quantiles)"
        )
    return lines
