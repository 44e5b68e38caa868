"""Writing a run's results folder: trajectories, summary, event log, manifest, plots.

Commands write through `sim.destination.staged`, so an interrupted or failed run never leaves a
half-written results folder.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .destination import TOOL
from .trajectories import Trajectories, hedging_index


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet or CSV by the path's suffix."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False, compression="snappy")
    else:
        frame.to_csv(path, index=False)
    return path


def summary_of(start: np.ndarray, final: np.ndarray, traj: Trajectories) -> pd.DataFrame:
    """Per state and power at the last month: alignment median, 5-95% band, mean, P(dominant).

    `start` and `final` are every run's first and last month (R,S,P); `traj` gives the labels.
    """
    low, median, high = np.quantile(final, [0.05, 0.5, 0.95], axis=0)
    dominant = final.argmax(axis=-1)
    hedging = np.median(hedging_index(final), axis=0)  # (S,)
    rows = []
    for s, state in enumerate(traj.states):
        for p, power in enumerate(traj.powers):
            rows.append(
                {
                    "state": state,
                    "power": power,
                    "date": traj.dates[-1],
                    "start": float(start[:, s, p].mean()),
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
        "tool": TOOL,
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
