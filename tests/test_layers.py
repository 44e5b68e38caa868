"""The package keeps its layers: cli > api > viz > experiments > outputs > model > inputs, and no cycles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import ROOT

from sim.inputs.limits import ARRAYS_PER_CELL
from sim.model.trajectories import SERIES


def test_import_linter_contracts_are_kept():
    """The contracts in pyproject.toml ([tool.importlinter]): layers only import downward, and the modules
    of a layer import each other without cycles."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "2 kept, 0 broken" in out.stdout


def test_cost_estimates_count_every_stored_series():
    """limits (inputs layer) cannot import the model's series names: it states their number, kept in step here."""
    assert ARRAYS_PER_CELL == len(SERIES) + 1
