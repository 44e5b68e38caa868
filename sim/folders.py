"""Reading results folders back (from `alliance-sim run`, or one point of `alliance-sim batch`) for comparison.

A run folder holds ``manifest.json`` and ``trajectories.parquet`` (or ``.csv``). A batch folder holds
``manifest.json``, ``points.csv`` and a ``trajectories/`` Parquet dataset with a ``point`` column; one
of its points is named ``DIR:point=N`` and read as a scenario of its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import InputError
from .trajectories import SERIES, Trajectories

#: Only what a comparison needs: skipping the other series keeps a 1000-run folder quick to read.
COLUMNS = ["run", "step", "date", "state", "power", "alignment"]
POINT = re.compile(r"^(?P<folder>.+):point=(?P<point>\d+)$")


@dataclass
class Outcome:
    """One scenario's simulated alignment and the manifest saying how it was made."""

    spec: str  # the folder as the user named it, e.g. 'results/baseline' or 'sweep:point=3'
    folder: Path
    manifest: dict
    traj: Trajectories
    point: int | None = None
    point_values: dict = field(default_factory=dict)  # a batch point's parameter values

    @property
    def name(self) -> str:
        return self.traj.scenario

    @property
    def description(self) -> str:
        return str(self.manifest.get("description") or "").strip()

    @property
    def seed(self) -> int | None:
        return self.manifest.get("seed")

    @property
    def runs(self) -> int:
        return len(self.traj.runs)


def folder_of(spec: str) -> Path:
    """The folder a comparison argument names ('DIR' or 'DIR:point=N')."""
    match = POINT.match(spec)
    return Path(match["folder"] if match else spec)


def load_outcome(spec: str) -> Outcome:
    """Read one results folder (or batch point); InputError naming the folder if it is not one."""
    match = POINT.match(spec)
    folder = folder_of(spec)
    point = int(match["point"]) if match else None
    manifest = read_manifest(folder)
    batch = manifest.get("kind") == "batch" or (folder / "trajectories").is_dir()
    if batch and point is None:
        raise InputError(f"{folder}: is a batch folder; name one of its points as {folder}:point=N (see points.csv)")
    if point is not None and not batch:
        raise InputError(f"{spec}: ':point=' selects a point of a batch folder, but {folder} is a run folder")
    values = {}
    if batch:
        values = _point_row(folder, point)
        frame = _batch_point(folder, point)
        # The manifest as it applies to this point: its scenario, file and number of runs.
        manifest = {
            **manifest,
            "scenario": f"{values.pop('scenario', folder.name)} point {point}",
            "scenario_file": values.pop("scenario_file", "?"),
            "runs": int(frame["run"].nunique()),
            "engine": "ensemble (alliance-sim batch)",
        }
    else:
        frame = _run_frame(folder)
    _check_values(spec, frame)
    traj = Trajectories.from_frame(frame, scenario=str(manifest.get("scenario") or folder.name))
    if np.isnan(traj.alignment).any():
        raise InputError(f"{spec}: trajectories are incomplete (rows missing for some run, month, state or power)")
    manifest.setdefault("start", traj.dates[0])
    manifest.setdefault("end", traj.dates[-1])
    return Outcome(spec, folder, manifest, traj, point, values)


def stored_rows(spec: str) -> int:
    """Trajectory rows a comparison argument will read, from file metadata (nothing is loaded)."""
    import pyarrow.parquet as pq

    from .limits import ROW_BYTES

    folder = folder_of(spec)
    try:
        if (folder / "trajectories.parquet").is_file():
            return pq.ParquetFile(folder / "trajectories.parquet").metadata.num_rows
        if (folder / "trajectories.csv").is_file():
            return (folder / "trajectories.csv").stat().st_size // ROW_BYTES["csv"]
        if (folder / "trajectories").is_dir():  # a batch: one point's share of the dataset
            rows = sum(pq.ParquetFile(p).metadata.num_rows for p in (folder / "trajectories").glob("*.parquet"))
            points = read_manifest(folder).get("points")
            return rows // points if isinstance(points, int) and points > 0 else rows
    except (OSError, ValueError):
        return 0  # unreadable: reading it reports the problem
    return 0


def _check_values(spec: str, frame: pd.DataFrame) -> None:
    """Refuse damaged trajectories before building arrays or plots from them: one row per run, month,
    state and power, and every alignment a share between 0 and 1."""
    counts = [frame[column].nunique() for column in ("run", "step", "state", "power")]
    if int(np.prod(counts, dtype=float)) != len(frame):
        raise InputError(
            f"{spec}: trajectories are incomplete or repeated ({len(frame):,} rows for {counts[0]:,} runs x "
            f"{counts[1]:,} months x {counts[2]} states x {counts[3]} powers); re-run the scenario"
        )
    alignment = frame["alignment"].to_numpy(dtype=float)
    bad = ~(np.isfinite(alignment) & (alignment >= -1e-9) & (alignment <= 1 + 1e-9))
    if bad.any():
        raise InputError(
            f"{spec}: {int(bad.sum()):,} alignment values are not shares between 0 and 1 "
            f"(e.g. {alignment[bad][0]:.6g}); the trajectories file is damaged; re-run the scenario"
        )


def load_outcomes(specs: list[str]) -> list[Outcome]:
    """Read every folder, check they describe the same states, powers and months, and give each a unique name."""
    for spec in specs:
        if specs.count(spec) > 1:
            raise InputError(f"{spec}: given twice; name each results folder once")
    outcomes = [load_outcome(spec) for spec in specs]
    first = outcomes[0]
    for other in outcomes[1:]:
        _check_fit(first, other)
        _align_axes(other.traj, first.traj.states, first.traj.powers)
    names = [o.name for o in outcomes]
    short = [Path(o.spec).name for o in outcomes]
    for outcome, folder in zip(outcomes, short, strict=True):
        if names.count(outcome.name) > 1:  # e.g. the same scenario run with two seeds: add the folder's name
            outcome.traj.scenario = f"{outcome.name} ({folder if short.count(folder) == 1 else outcome.spec})"
    return outcomes


def paired(a: Outcome, b: Outcome) -> bool:
    """Run i of one folder can be set against run i of the other (common random numbers) when both
    used the same seed and the same runs: their shocks were then drawn from the same streams."""
    return a.seed is not None and a.seed == b.seed and np.array_equal(a.traj.runs, b.traj.runs)


def read_manifest(folder: Path) -> dict:
    """A results folder's manifest.json; InputError if the folder is missing or is not a results folder."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such results folder (give a folder written by 'alliance-sim run' or 'batch')")
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError(
            f"{folder}: not a results folder (no manifest.json); give a folder written by 'alliance-sim run'"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the manifest ({exc.__class__.__name__}); re-run to rewrite it") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object describing the run; re-run to rewrite it")
    return data


def _run_frame(folder: Path) -> pd.DataFrame:
    for path in (folder / "trajectories.parquet", folder / "trajectories.csv"):
        if path.is_file():
            return _read(path)
    raise InputError(f"{folder}: no trajectories file (trajectories.parquet or trajectories.csv); re-run the scenario")


def _batch_point(folder: Path, point: int) -> pd.DataFrame:
    if not (folder / "trajectories").is_dir():
        raise InputError(
            f"{folder}: the batch kept only per-run outcomes (store: outcomes); "
            "re-run it with 'store: trajectories' to compare its points"
        )
    frame = _read(folder / "trajectories", filters=[("point", "==", point)])
    if frame.empty:
        raise InputError(
            f"{folder}:point={point}: the batch has no runs for point {point} (see {folder / 'points.csv'})"
        )
    return frame


def _read(path: Path, filters: list | None = None) -> pd.DataFrame:
    """Only the needed columns; a missing column or unreadable file becomes a one-line InputError."""
    try:
        if path.suffix == ".csv":
            labels = ("date", "state", "power")
            frame = pd.read_csv(path, usecols=COLUMNS, dtype=dict.fromkeys(labels, "category"))
            for column in labels:  # the written order of states and powers, not the alphabetical one
                frame[column] = frame[column].cat.reorder_categories(list(frame[column].unique()))
            return frame
        return pd.read_parquet(path, columns=COLUMNS, filters=filters)
    except (OSError, ValueError, KeyError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InputError(f"{path}: cannot read trajectories with columns {', '.join(COLUMNS)} ({first_line})") from None


def _point_row(folder: Path, point: int) -> dict:
    """A batch point's row of points.csv: its scenario, scenario file and parameter values."""
    path = folder / "points.csv"
    if not path.is_file():
        raise InputError(f"{folder}: batch folder without points.csv; re-run or resume the batch")
    try:
        points = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read it as CSV ({exc.__class__.__name__}); resume the batch") from None
    rows = points[points["point"] == point] if "point" in points else points.iloc[0:0]
    if rows.empty:
        raise InputError(f"{folder}:point={point}: no point {point} in {path} (points 0 to {len(points) - 1})")
    return {k: v for k, v in rows.iloc[0].items() if k != "point"}


def _check_fit(first: Outcome, other: Outcome) -> None:
    a, b = first.traj, other.traj
    for what, mine, theirs in (("states", b.states, a.states), ("powers", b.powers, a.powers)):
        if set(mine) != set(theirs):
            extra, lacking = [x for x in mine if x not in theirs], [x for x in theirs if x not in mine]
            differences = ([f"adds {', '.join(extra)}"] if extra else []) + (
                [f"lacks {', '.join(lacking)}"] if lacking else []
            )
            raise InputError(
                f"{other.spec}: its {what} differ from those of {first.spec}: it {' and '.join(differences)}; "
                f"compare scenarios with the same {what}"
            )
    if b.dates != a.dates:
        raise InputError(
            f"{other.spec}: covers {b.dates[0]} to {b.dates[-1]} but {first.spec} covers {a.dates[0]} to "
            f"{a.dates[-1]}; compare scenarios with the same start and end months"
        )


def _align_axes(traj: Trajectories, states: list[str], powers: list[str]) -> None:
    """Put a folder's states and powers in the first folder's order."""
    s = [traj.states.index(x) for x in states]
    p = [traj.powers.index(x) for x in powers]
    for name in SERIES:
        setattr(traj, name, getattr(traj, name)[:, :, s][..., p])
    traj.states, traj.powers = list(states), list(powers)
