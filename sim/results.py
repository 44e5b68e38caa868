"""Writing a run's results folder: trajectories, summary, event log, manifest, plots.

Everything is written into a temporary folder beside the target and renamed into place at
the end, so an interrupted or failed run never leaves a half-written results folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import InputError
from .trajectories import Trajectories, hedging_index


def check_target(out: Path, force: bool) -> None:
    """Refuse to overwrite a non-empty folder unless forced (checked before any work)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"{out}: folder is not empty; pass --force to replace it or choose another --out")


@contextmanager
def staged(out: Path):
    """Yield a temporary folder; on success it replaces `out`, on failure it is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    stage.chmod(0o755)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        stage.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        stage.rename(out)


@contextmanager
def replacing(path: Path):
    """Yield a hidden temporary path beside `path`; on success it is renamed over `path`, so readers
    never see a half-written file; on failure it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        temporary.chmod(0o644)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet or CSV by the path's suffix."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False, compression="snappy")
    else:
        frame.to_csv(path, index=False)
    return path


def summary(traj: Trajectories) -> pd.DataFrame:
    """Per state and power at the last month: alignment median, 5-95% band, mean, P(dominant)."""
    final = traj.alignment[:, -1]  # (R,S,P)
    low, median, high = np.quantile(final, [0.05, 0.5, 0.95], axis=0)
    dominant = traj.dominant[:, -1]
    hedging = np.median(hedging_index(final), axis=0)  # (S,)
    rows = []
    for s, state in enumerate(traj.states):
        start = traj.alignment[:, 0, s]
        for p, power in enumerate(traj.powers):
            rows.append(
                {
                    "state": state,
                    "power": power,
                    "date": traj.dates[-1],
                    "start": float(start[:, p].mean()),
                    "median": median[s, p],
                    "p05": low[s, p],
                    "p95": high[s, p],
                    "mean": float(final[:, s, p].mean()),
                    "p_dominant": float((dominant[:, s] == p).mean()),
                    "hedging_median": float(hedging[s]),
                }
            )
    return pd.DataFrame(rows)


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("alliance-sim", "mesa", "numpy", "pandas", "pyarrow", "matplotlib", "pyyaml"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def manifest(scenario, evidence_path: Path, **details) -> dict:
    """What was run and how to run it again."""
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "scenario_file": str(scenario.path),
        "scenario_sha256": file_digest(scenario.path),
        "evidence_sha256": file_digest(evidence_path),
        "start": scenario.date(0),
        "end": scenario.date(scenario.months),
        "states": scenario.states,
        "powers": scenario.powers,
        "parameters": scenario.parameters,
        **details,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_json(data: dict, path: Path) -> Path:
    path.write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    return path


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, tuple, set)):
        return list(value)
    return str(value)
