"""Shared fixtures: the repository's paths and a short scenario for fast tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="session")
def short_scenario(tmp_path_factory) -> Path:
    """The baseline cut at 2023-12 (all its events, fewer months)."""
    path = tmp_path_factory.mktemp("scenarios") / "short.yaml"
    path.write_text(f"name: short\ndescription: baseline to 2023\nextends: {BASELINE}\nend: 2023-12\n")
    return path


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m sim ARGS` as a user would, capturing output."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT
    )


def cli_in_process(*argv) -> tuple[int, str, str]:
    """Run the CLI in this process (fast, for many small cases): exit status, stdout, stderr."""
    import contextlib
    import io

    from sim.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()
