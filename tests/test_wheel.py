"""A normal install works anywhere: the wheel carries the scenarios, the evidence and the fit, and gives
the checkout's numbers from an unrelated working directory."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from helpers import BASELINE, ROOT, cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project built as a wheel (pip's isolated build, as `pip install .` does)."""
    folder = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (path,) = folder.glob("alliance_sim-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment holding only the wheel. Its dependencies are borrowed from the test
    environment through a path file (read as a plain path: the checkout's editable hook stays out), so the
    test needs no network; `pip install alliance_sim-*.whl` with its dependencies behaves the same."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    done = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def test_the_wheel_carries_the_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "scenarios/baseline.yaml",
        "calibration/evidence.yaml",
        "calibration/targets.yaml",
        "calibration/fitted.yaml",
        "calibration/posterior.csv",
        "calibration/sources.yaml",
        "calibration/hindcast.yaml",
    ):
        assert f"sim/{shipped}" in names, shipped


def test_installed_package_gives_the_checkouts_summary(installed, tmp_path):
    """`alliance-sim run baseline` from an unrelated folder, with the installed package: the summary is the
    checkout's, byte for byte, and the fitted parameters (not the built-in defaults) are in use."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    tool = installed / "bin" / "alliance-sim"
    where = subprocess.run(
        [installed / "bin" / "python", "-c", "import sim; print(sim.__file__)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
    )
    assert str(installed) in where.stdout, "the test must run the installed copy, not the checkout"
    ran = subprocess.run(
        [tool, "run", "baseline", "--runs", "30", "--seed", "4", "--out", "out"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    reference = cli("run", BASELINE, "--runs", "30", "--seed", "4", "--out", tmp_path / "checkout")
    assert reference.returncode == 0, reference.stderr[-3000:]
    assert (elsewhere / "out" / "summary.csv").read_bytes() == (tmp_path / "checkout" / "summary.csv").read_bytes()
    params = subprocess.run([tool, "params", "--format", "csv"], capture_output=True, text=True, cwd=elsewhere)
    here = cli("params", "--format", "csv")
    assert params.returncode == 0 and params.stdout == here.stdout


def test_a_missing_fit_is_an_error_not_a_fallback(installed, tmp_path):
    """Without calibration/fitted.yaml the installed package refuses to run instead of using unfitted values."""
    locate = subprocess.run(
        [installed / "bin" / "python", "-c", "from sim.inputs.packaged import FITTED; print(FITTED)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    fitted = Path(locate.stdout.strip())
    assert str(installed) in str(fitted)
    saved = fitted.read_bytes()
    fitted.unlink()
    try:
        ran = subprocess.run(
            [installed / "bin" / "alliance-sim", "params"], capture_output=True, text=True, cwd=tmp_path
        )
    finally:
        fitted.write_bytes(saved)
    assert ran.returncode == 2
    assert "fitted.yaml" in ran.stderr and "Traceback" not in ran.stderr
