"""Shared fixtures: a short scenario for fast tests, and results folders built once per session and shared.

`pytest -m "not slow"` is the quick loop (under 90 s; the browser tests count as slow); plain `pytest` runs every
test, and `make test` (as CI runs it) runs the same tests in two parts: those without a browser on every core,
then the browser tests alone. Helpers shared by the tests (paths, the command line run two ways) live in helpers.py.

A session's results folders are read-only: a test that changes one copies it first
(`shutil.copytree(folder, tmp_path / ...)`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import BASELINE, cli_in_process


@pytest.fixture(scope="session")
def short_scenario(tmp_path_factory) -> Path:
    """The baseline cut at 2023-12 (all its events, fewer months)."""
    path = tmp_path_factory.mktemp("scenarios") / "short.yaml"
    path.write_text(f"name: short\ndescription: baseline to 2023\nextends: {BASELINE}\nend: 2023-12\n")
    return path


@pytest.fixture(scope="session")
def five_month_run(tmp_path_factory):
    """`alliance-sim run` of a five-month scenario with no events (2021-01 to 2021-06, seed 0), by name and number
    of runs: `five_month_run("a", runs=3)` is its results folder, built on first use and shared by the session.
    Read-only: a test that changes it works on a copy (`shutil.copytree(five_month_run(), tmp_path / "r")`)."""
    built: dict[tuple[str, int], Path] = {}

    def folder(name: str = "short", runs: int = 2) -> Path:
        if (name, runs) not in built:
            root = tmp_path_factory.mktemp("five-months")
            path = root / "s.yaml"
            path.write_text(f"name: {json.dumps(name)}\nstart: 2021-01\nend: 2021-06\n")
            code, _, err = cli_in_process("run", path, "--runs", runs, "--out", root / name)
            assert code == 0, err
            built[name, runs] = root / name
        return built[name, runs]

    return folder
