"""The pages show the model as it stands: the README's and docs' pictures and numbers were regenerated after the
last change of the model's code or inputs (docs/regenerate.py stamps them with those files' hashes)."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT


def test_the_pages_were_regenerated_after_the_last_change_of_the_model():
    check = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "regenerate.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_check_names_what_changed(tmp_path, monkeypatch):
    """A stamp that does not match names the changed files and the command that mends it."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import regenerate
    finally:
        sys.path.remove(str(ROOT / "docs"))
    monkeypatch.setattr(regenerate, "STAMP", tmp_path / "stamp.json")
    (tmp_path / "stamp.json").write_text('{"calibration/fitted.yaml": "0"}')
    changed = regenerate.stale()
    assert "calibration/fitted.yaml" in changed and "scenarios/baseline.yaml" in changed
