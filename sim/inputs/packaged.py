"""The data that ships with alliance-sim: scenarios, evidence, targets, the fit and its sources.

The repository keeps them in its top-level `scenarios/` and `calibration/` folders; the build maps
those into the package as `sim.scenarios` and `sim.calibration`, so a checkout and an installed
wheel read the same files, from any working directory.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def _folder(package: str) -> Path:
    """The package's data folder on disk (alliance-sim is installed unzipped, so it is a real folder)."""
    folder = files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(f"{package} is not a folder on disk ({folder!r}); install alliance-sim unzipped")
    return folder


SCENARIOS = _folder("sim.scenarios")
CALIBRATION = _folder("sim.calibration")
BASELINE = SCENARIOS / "baseline.yaml"
#: The baseline with the exogenous shocks after the documents written in: `validate --hindcast` scores it beside it.
CONDITIONAL = SCENARIOS / "hindcast_2023_2025.yaml"
EVIDENCE = CALIBRATION / "evidence.yaml"
TARGETS = CALIBRATION / "targets.yaml"
HINDCAST = CALIBRATION / "hindcast.yaml"
FITTED = CALIBRATION / "fitted.yaml"
POSTERIOR = CALIBRATION / "posterior.csv"
SOURCES = CALIBRATION / "sources.yaml"
#: Running from a checkout (the data folders beside pyproject.toml) rather than an installed package, whose
#: files no command writes into.
IN_CHECKOUT = (CALIBRATION.parent / "pyproject.toml").is_file()


def reference(path: Path | str) -> str:
    """How a manifest names a file so that the name works from any folder on a machine with the same version:
    a shipped scenario by its name ("baseline"), shipped calibration data as "calibration/<file>", another file
    by its path relative to the working folder if it lies under it, else by its absolute path."""
    where = Path(path).resolve()
    if where.parent == SCENARIOS.resolve() and where.suffix == ".yaml":
        return where.stem
    if where.parent == CALIBRATION.resolve():
        return f"calibration/{where.name}"
    cwd = Path.cwd().resolve()
    return os.path.relpath(where, cwd) if where.is_relative_to(cwd) else str(where)
