"""Helpers the tests share: the repository's paths and the command line run two ways (as a user would, in a
child process, or in this process for many small cases). Fixtures live in conftest.py."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m sim ARGS` as a user would, capturing output."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT
    )


def cli_in_process(*argv) -> tuple[int, str, str]:
    """Run the CLI in this process (fast, for many small cases): exit status, stdout, stderr."""
    from sim.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()


CHROMIUM = "/usr/bin/chromium"


def need_chromium() -> None:
    """Skip a browser test on a machine without Debian's Chromium, but fail it in CI, which must run it."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
