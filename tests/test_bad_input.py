"""Bad input gets one clear line naming the file and place, exit status 2, and nothing written."""

from __future__ import annotations

import pytest
from conftest import BASELINE, cli

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


def test_explain_unknown_state():
    result = cli("explain", "Kazakstan")
    assert result.returncode == 2
    assert "did you mean 'Kazakhstan'" in result.stderr
