"""Bad input gets one clear line naming the file and place, exit status 2, and nothing written."""

from __future__ import annotations

import pytest
from helpers import BASELINE, cli

from sim.inputs.documents import InputError
from sim.inputs.evidence import load_evidence
from sim.inputs.experiment import load_experiment
from sim.inputs.scenario import load_scenario
from sim.inputs.sources import load_sources
from sim.inputs.targets import load_targets

GOOD = BASELINE.read_text()


def scenario(tmp_path, text: str, name: str = "bad.yaml"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


CASES = {
    "misspelt state": (
        GOOD.replace("target: Tajikistan\n", "target: Tajikstan\n", 1),
        ["Tajikstan", "did you mean 'Tajikistan'", "events[", "].target"],
    ),
    "misspelt power": (
        GOOD.replace("powers: [Russia, US, China, Turkey]", "powers: [Rusia, US, China, Turkey]"),
        ["Rusia", "did you mean 'Russia'", "powers[0]"],
    ),
    "unknown key": (
        GOOD.replace("start: 2021-01", "start: 2021-01\nstrat: 2021-01"),
        ["unknown key 'strat'", "did you mean 'start'"],
    ),
    "malformed date": (GOOD.replace("date: 2022-09", "date: 2022-13", 1), ["2022-13", "YYYY-MM", "date"]),
    "value out of range": (GOOD.replace("value: 0.45", "value: 45"), ["45", "out of range", "value"]),
    "parameter out of range": (
        GOOD.replace("powers: [", "parameters: {adjustment_rate: 3}\npowers: ["),
        ["adjustment_rate", "outside"],
    ),
    "broken yaml": ("name: x\nstart: [2021-01\n", ["not valid YAML"]),
    "empty file": ("", ["empty"]),
    "not a mapping": ("- just\n- a list\n", ["expected a YAML mapping"]),
    "not yaml at all": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", ["cannot read it as text"]),
    "python tag": (
        "name: !!python/object/apply:os.system ['touch /tmp/owned']\nstart: 2021-01\nend: 2022-01\n",
        ["not valid YAML"],
    ),
    "event before start": (GOOD.replace("date: 2021-05", "date: 2020-05", 1), ["outside the run"]),
    "unknown source document": (
        GOOD.replace("source: 001_5e764275289dc6a3.txt", "source: 001_nosuchdoc.txt", 1),
        ["unknown source document", "001_nosuchdoc.txt"],
    ),
    "unknown evidence": (
        GOOD.replace("evidence: [invasion-absorbs-forces]", "evidence: [invasion-absorbs-force]"),
        ["no evidence entry", "did you mean"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.slow
def test_bad_scenario(tmp_path, case):
    text, expected = CASES[case]
    path = scenario(tmp_path, text)
    out = tmp_path / "out"
    result = cli("run", path, "--runs", 2, "--out", out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    for fragment in expected:
        assert fragment in lines[0], (fragment, lines[0])
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]  # no staging folder left behind


@pytest.mark.slow
def test_missing_file(tmp_path):
    result = cli("run", tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "no such scenario file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("runs", ["-3", "0", "many"])
def test_bad_run_count(tmp_path, runs):
    result = cli("run", BASELINE, "--runs", runs, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "--runs" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_explain_unknown_state():
    result = cli("explain", "Kazakstan")
    assert result.returncode == 2
    assert "did you mean 'Kazakhstan'" in result.stderr


# The schema's errors, read directly from each kind of file: the line and place of the mistake, in words.

HEAD = "name: s\nstart: 2021-01\nend: 2021-06\n"
EVENT = (
    "  - {date: 2021-03, target: Georgia, power: US, attribute: credibility, operation: multiply, value: 0.9, "
    "source: x}\n"
)
ENTRY = "entries:\n  - id: a\n    document: structural\n    source: s\n    claim: c\n    kind: level\n"
TARGET = "targets:\n  - id: t\n    claim: c\n    source: structural\n    evidence: [invasion]\n    states: Armenia\n"
SOURCE = "sources:\n  - file: a.txt\n    title: t\n    outlet: o\n    date: 2022-08\n    language: en\n"
SCHEMA_CASES = {
    "scenario: strategy key": (
        "scenario",
        HEAD + "strategies:\n  China:\n    budgt: 1\n",
        ":6: strategies.China.budgt: unknown strategy key 'budgt' (did you mean 'budget'?)",
    ),
    "scenario: policy": (
        "scenario",
        HEAD + "strategies:\n  China:\n    policy: lazy\n",
        ":6: strategies.China.policy: unknown policy 'lazy' (choose from: adaptive, scripted)",
    ),
    "scenario: budget out of range": (
        "scenario",
        HEAD + "strategies:\n  China:\n    budget: 9\n",
        ":6: strategies.China.budget: 9 is outside 0.0..5.0",
    ),
    "scenario: share as text": (
        "scenario",
        HEAD + "strategies:\n  China:\n    instruments: {economic: lots}\n",
        ":6: strategies.China.instruments.economic: expected a number from 0 to 1, got 'lots'",
    ),
    "scenario: parameter as text": (
        "scenario",
        HEAD + "parameters:\n  peer_weight: high\n",
        ":5: parameters.peer_weight: expected a number from 0 to 1, got 'high'",
    ),
    "scenario: misspelt parameter": (
        "scenario",
        HEAD + "parameters:\n  peer_weigth: 0.1\n",
        ":5: parameters.peer_weigth: unknown parameter 'peer_weigth' (did you mean 'peer_weight'?)",
    ),
    "scenario: misspelt attribute": (
        "scenario",
        HEAD + "events:\n" + EVENT.replace("credibility", "credibilty"),
        ":5: events[0].attribute: unknown attribute 'credibilty' (did you mean 'credibility'?)",
    ),
    "scenario: event without date": (
        "scenario",
        HEAD + "events:\n" + EVENT.replace("date: 2021-03, ", ""),
        ":5: events[0]: missing 'date:'",
    ),
    "scenario: dated initial change": (
        "scenario",
        HEAD + "initial:\n" + EVENT,
        ":5: initial[0].date: unknown key 'date'",
    ),
    "scenario: change not a mapping": (
        "scenario",
        HEAD + "events:\n  - 5\n",
        ":5: events[0]: expected a change: a mapping with target, attribute, operation, value, source, got a number",
    ),
    "scenario extending another: its own line and index": (
        "scenario",
        "name: s\nextends: baseline\nevents:\n"
        + EVENT.replace("2021-03", "2024-03")
        + EVENT.replace("2021-03, target: Georgia, power: US", "2024-04, target: Georgia, power: Rusia"),
        ":5: events[1].power: unknown power 'Rusia' (did you mean 'Russia'?)",
    ),
    "scenario: misspelt state in a list": (
        "scenario",
        HEAD + "states: [Georgia, Armnia]\n",
        ":4: states[1]: unknown state 'Armnia' (did you mean 'Armenia'?)",
    ),
    "scenario: name too long": ("scenario", HEAD.replace("name: s", "name: " + "x" * 300), ":1: name: 300 characters"),
    "experiment: runs as a fraction": (
        "experiment",
        f"name: e\nscenario: {BASELINE}\nruns: 2.5\n",
        ":3: runs: expected a whole number of at least 1, got 2.5",
    ),
    "experiment: range of three": (
        "experiment",
        f"name: e\nscenario: {BASELINE}\nruns: 2\n"
        "sample: {method: lhs, n: 4, ranges: {shock_scale: [0, 0.1, 0.2]}}\n",
        ":4: sample.ranges.shock_scale: expected [low, high], got 3 of them",
    ),
    "evidence: confidence out of range": (
        "evidence",
        ENTRY + "    attribute: capability\n    power: Russia\n    value: 0.5\n    confidence: 2\n",
        ":10: entries[0].confidence: 2 is outside 0.0..1.0",
    ),
    "evidence: unknown field": (
        "evidence",
        ENTRY + "    attribute: capability\n    power: Russia\n    confidence: 1\n    colour: red\n",
        ":10: entries[0].colour: unknown field 'colour' (did you mean",
    ),
    "evidence: missing confidence": (
        "evidence",
        ENTRY + "    attribute: capability\n    power: Russia\n",
        ":2: entries[0]: missing 'confidence:'",
    ),
    "targets: from as a date": (
        "targets",
        TARGET + "    kind: change\n    power: Russia\n    from: 2021-1\n    to: 2021-05\n    direction: up\n",
        ":9: targets[0].from: '2021-1' is not a month",
    ),
    "targets: misspelt from": (
        "targets",
        TARGET + "    kind: level\n    power: Russia\n    form: 2021-01\n",
        ":9: targets[0].form: unknown field 'form' (did you mean 'from'?)",
    ),
    "sources: missing sha256": ("sources", SOURCE, ":2: sources[0]: missing 'sha256:'; each document needs"),
}


LOADERS = {
    "scenario": load_scenario,
    "experiment": load_experiment,
    "evidence": load_evidence,
    "targets": load_targets,
    "sources": load_sources,
}


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_schema_errors_name_line_place_and_fix(tmp_path, case):
    kind, text, expected = SCHEMA_CASES[case]
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        LOADERS[kind](path)
    message = str(caught.value)
    assert message.startswith(f"{path}{expected}") and "\n" not in message, message
