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
import pyarrow as pa

from sim.inputs.documents import InputError, read_text, regular_file
from sim.model.trajectories import Trajectories
from sim.outputs.destination import MAX_JSON_BYTES
from sim.outputs.results import read_table

#: Only what a comparison needs: skipping the other series keeps a 1000-run folder quick to read. The blocks
#: need no dates (a month is its step); the survey reads them once.
COLUMNS = ["run", "step", "date", "state", "power", "alignment"]
BLOCK_COLUMNS = [c for c in COLUMNS if c != "date"]
#: Rows read at a time, and runs per block handed to the statistics: memory stays flat in the run count.
READ_ROWS, BLOCK_RUNS = 1 << 20, 500
#: Largest trajectories file read (a million runs of the baseline in CSV is about 500 GB).
MAX_TRAJECTORY_BYTES = 1 << 40
POINT = re.compile(r"^(?P<folder>.+):point=(?P<point>\d+)$")
#: A batch's record of its finished chunks, one JSON line each: {"chunk": i, "files": {path: {rows, bytes, sha256}}}
#: with paths relative to the batch folder. Only files it lists are the batch's results.
RECORD = "chunks.jsonl"
#: Largest record read back (a line is about 300 bytes: a million chunks).
MAX_RECORD_BYTES = 400_000_000


@dataclass
class Outcome:
    """One scenario's results folder: what it holds (labels, run ids) and the manifest saying how it was made.
    The trajectories stay on disk; `blocks` streams them a few runs at a time."""

    spec: str  # the folder as the user named it, e.g. 'results/baseline' or 'sweep:point=3'
    folder: Path
    manifest: dict
    name: str
    dates: list[str]
    states: list[str]
    powers: list[str]
    run_ids: np.ndarray
    point: int | None = None
    point_values: dict = field(default_factory=dict)  # a batch point's parameter values

    @property
    def description(self) -> str:
        return str(self.manifest.get("description") or "").strip()

    @property
    def seed(self) -> int | None:
        return self.manifest.get("seed")

    @property
    def runs(self) -> int:
        return len(self.run_ids)


def folder_of(spec: str) -> Path:
    """The folder a comparison argument names ('DIR' or 'DIR:point=N')."""
    match = POINT.match(spec)
    return Path(match["folder"] if match else spec)


def load_outcome(spec: str) -> Outcome:
    """Check one results folder (or batch point) by reading it through once, keeping only its labels and run
    ids; InputError naming the folder if it is not one, or if its trajectories are incomplete or damaged."""
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
        if not (folder / "trajectories").is_dir():
            raise InputError(
                f"{folder}: the batch kept only per-run outcomes (store: outcomes); "
                "re-run it with 'store: trajectories' to compare its points"
            )
    outcome = Outcome(spec, folder, manifest, "", [], [], [], np.zeros(0, dtype=np.int64), point, values)
    dates, states, powers, runs = _survey(outcome)
    if batch:
        # The manifest as it applies to this point: its scenario, file and number of runs.
        manifest = {
            **manifest,
            "scenario": f"{values.pop('scenario', folder.name)} point {point}",
            "scenario_file": values.pop("scenario_file", "?"),
            "runs": len(runs),
            "engine": "ensemble (alliance-sim batch)",
        }
    manifest.setdefault("start", dates[0])
    manifest.setdefault("end", dates[-1])
    name = str(manifest.get("scenario") or folder.name)
    return Outcome(spec, folder, manifest, name, dates, states, powers, runs, point, values)


def blocks(outcome: Outcome, runs: int | None = None, states: list[str] | None = None, powers: list[str] | None = None):
    """Yield (run ids, alignment shaped (runs, months, states, powers)) for consecutive runs of the folder,
    `runs` at a time (so two folders of the same runs give matching blocks), states and powers in the given order
    (default the folder's own). Memory stays that of one block whatever the number of runs. Rows of one run must
    be together (in any order within the run), as every writer of trajectories puts them."""
    runs = runs or BLOCK_RUNS
    states, powers = states or outcome.states, powers or outcome.powers
    shape = (len(outcome.dates), len(states), len(powers))
    size = runs * int(np.prod(shape))  # rows of a block: each run has one row per month, state and power
    pending: list[dict] = []
    held, seen = 0, []
    for batch in _batches(outcome, BLOCK_COLUMNS):
        pending.append(_codes(batch, states, powers, outcome.spec))
        held += len(pending[-1]["run"])
        if held < size:
            continue
        part = {k: np.concatenate([b[k] for b in pending]) for k in pending[0]}
        pending, start = [], 0  # the batches are in `part` now: let them go
        while held - start >= size:
            block = _block({k: v[start : start + size] for k, v in part.items()}, shape, outcome.spec)
            seen.append(block[0])  # the run ids only: the values go on
            yield block
            start += size
        pending, held = [{k: v[start:].copy() for k, v in part.items()}], held - start  # copied: `part` can go
        del part
    if held:
        part = {k: np.concatenate([b[k] for b in pending]) for k in pending[0]}
        block = _block(part, shape, outcome.spec)
        seen.append(block[0])
        yield block
    _check_ids(outcome, seen)


def _check_ids(outcome: Outcome, seen: list[np.ndarray]) -> None:
    """The runs met reading the folder through are the runs it was surveyed to hold, each once."""
    ids = np.sort(np.concatenate(seen)) if seen else np.zeros(0, dtype=np.int64)
    if len(outcome.run_ids) and not np.array_equal(ids, outcome.run_ids):
        raise InputError(
            f"{outcome.spec}: the trajectories repeat or lack runs ({len(ids):,} met, {len(outcome.run_ids):,} "
            "expected); the file is damaged; re-run the scenario"
        )


def stored_rows(spec: str) -> int:
    """Trajectory rows a comparison argument will read, from file metadata (nothing is loaded)."""
    import pyarrow.parquet as pq

    from sim.inputs.limits import ROW_BYTES

    folder = folder_of(spec)
    try:
        if (folder / "trajectories.parquet").is_file():
            return pq.ParquetFile(folder / "trajectories.parquet").metadata.num_rows
        if (folder / "trajectories.csv").is_file():
            return (folder / "trajectories.csv").stat().st_size // ROW_BYTES["csv"]
        if (folder / "trajectories").is_dir():  # a batch: one point's share of the dataset
            rows = sum(pq.ParquetFile(p).metadata.num_rows for p in recorded_files(folder, "trajectories"))
            points = read_manifest(folder).get("points")
            return rows // points if isinstance(points, int) and points > 0 else rows
    except (OSError, ValueError):
        return 0  # unreadable: reading it reports the problem
    return 0


def read_record(folder: Path) -> dict[int, dict]:
    """Each recorded chunk's files (the last line for a chunk wins: a chunk run again is recorded again); {} if
    there is no record. A torn or foreign line is skipped: its chunk counts as not finished."""
    path = folder / RECORD
    if not path.exists():
        return {}
    found: dict[int, dict] = {}
    for line in read_text(path, "batch record", MAX_RECORD_BYTES, within=folder).splitlines():
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(entry, dict) and isinstance(entry.get("chunk"), int) and isinstance(entry.get("files"), dict):
            found[entry["chunk"]] = entry["files"]
    return found


def recorded_files(folder: Path, dataset: str) -> list[Path]:
    """The files of a batch's dataset (trajectories or outcomes.parquet) that its record lists, in chunk order;
    for a batch from before the record, every Parquet file there."""
    record = read_record(folder)
    if not record and not (folder / RECORD).exists():
        return sorted((folder / dataset).glob("*.parquet"))
    names = [name for _, files in sorted(record.items()) for name in files if Path(name).parent.name == dataset]
    return [folder / name for name in names if (folder / name).is_file()]


def load_outcomes(specs: list[str]) -> list[Outcome]:
    """Read every folder, check they describe the same states, powers and months, and give each a unique name."""
    for spec in specs:
        if specs.count(spec) > 1:
            raise InputError(f"{spec}: given twice; name each results folder once")
    outcomes = [load_outcome(spec) for spec in specs]
    first = outcomes[0]
    for other in outcomes[1:]:
        _check_fit(first, other)
    names = [o.name for o in outcomes]
    short = [Path(o.spec).name for o in outcomes]
    for outcome, folder in zip(outcomes, short, strict=True):
        if names.count(outcome.name) > 1:  # e.g. the same scenario run with two seeds: add the folder's name
            outcome.name = f"{outcome.name} ({folder if short.count(folder) == 1 else outcome.spec})"
    return outcomes


def paired(a: Outcome, b: Outcome) -> bool:
    """Run i of one folder can be set against run i of the other (common random numbers) when both
    used the same seed and the same runs: their shocks were then drawn from the same streams."""
    return a.seed is not None and a.seed == b.seed and np.array_equal(a.run_ids, b.run_ids)


def read_manifest(folder: Path) -> dict:
    """A results folder's manifest.json; InputError if the folder is missing or is not a results folder."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such results folder (give a folder written by 'alliance-sim run' or 'batch')")
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError(
            f"{folder}: not a results folder (no manifest.json); give a folder written by 'alliance-sim run'"
        )
    text = read_text(path, "manifest", MAX_JSON_BYTES, within=folder)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: cannot read the manifest ({exc.__class__.__name__}); re-run to rewrite it") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object describing the run; re-run to rewrite it")
    return data


def _survey(outcome: Outcome) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """Dates, states and powers (in written order) and every run id, read in one pass that also checks each run."""
    first = next(_batches(outcome), None)
    if first is None or not len(first["run"]):
        where = f"{outcome.folder}:point={outcome.point}" if outcome.point is not None else str(outcome.folder)
        raise InputError(f"{where}: no trajectory rows; re-run the scenario")
    states, powers = _names(first["state"]), _names(first["power"])
    runs_first = np.asarray(first["run"])
    other = np.flatnonzero(runs_first != runs_first[0])
    rows = int(other[0]) if len(other) else len(runs_first)  # a run's rows are together: the first run's lead
    steps = np.asarray(first["step"][:rows])
    dates_of = dict(zip(steps.tolist(), _values(first["date"][:rows]).tolist(), strict=True))
    if sorted(dates_of) != list(range(len(dates_of))):
        raise InputError(f"{outcome.spec}: months of run {runs_first[0]} are not 0 to {len(dates_of) - 1}; re-run")
    dates = [str(dates_of[t]) for t in range(len(dates_of))]
    ids = _ids_from_statistics(outcome, len(dates) * len(states) * len(powers))
    if ids is None:
        ids = np.unique(np.concatenate([_distinct(_values(b["run"])) for b in _batches(outcome, ["run"])]))
    return dates, states, powers, ids.astype(np.int64)


def _ids_from_statistics(outcome: Outcome, cells: int) -> np.ndarray | None:
    """A run file's run ids from its row groups' statistics (nothing read), when these cover every run without a
    gap and the rows number exactly one run's cells per id; None otherwise (the ids are then read). The blocks
    check that the ids they meet are these."""
    import pyarrow.parquet as pq

    path = outcome.folder / "trajectories.parquet"
    if outcome.point is not None or not path.is_file():
        return None
    metadata = pq.ParquetFile(path).metadata
    column = metadata.schema.names.index("run") if "run" in metadata.schema.names else None
    if column is None:
        return None
    low, high = [], []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            return None
        low.append(stats.min)
        high.append(stats.max)
    if not low:
        return None
    ids = np.arange(min(low), max(high) + 1)
    return ids if len(ids) * cells == metadata.num_rows else None


def _distinct(runs: np.ndarray) -> np.ndarray:
    """The run ids of rows grouped by run, each once (a run's rows are together, so no sort is needed)."""
    return runs[np.r_[True, runs[1:] != runs[:-1]]]


def _batches(outcome: Outcome, columns: list[str] = COLUMNS):
    """The needed columns a row group at a time (Arrow arrays), or a chunk of rows at a time for CSV. Row groups
    are read one by one without pre-buffering, so memory stays that of one row group whatever the file's size."""
    folder = outcome.folder
    if outcome.point is not None:
        files = recorded_files(folder, "trajectories")
    else:
        files = [p for p in (folder / "trajectories.parquet", folder / "trajectories.csv") if p.is_file()][:1]
        if not files:
            raise InputError(
                f"{folder}: no trajectories file (trajectories.parquet or trajectories.csv); re-run the scenario"
            )
    for path in files:
        regular_file(path, "trajectories", MAX_TRAJECTORY_BYTES, within=folder)
        try:
            if path.suffix == ".csv":
                labels = {c: "category" for c in ("date", "state", "power") if c in columns}
                for frame in pd.read_csv(path, usecols=columns, dtype=labels, chunksize=READ_ROWS):
                    yield {c: frame[c] for c in columns}
                continue
            yield from _row_groups(path, columns, outcome.point)
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise InputError(
                f"{path}: cannot read trajectories with columns {', '.join(COLUMNS)} ({first_line})"
            ) from None


def _row_groups(path: Path, columns: list[str], point: int | None):
    """A Parquet file's row groups as columns; for a batch point, only its rows (groups whose statistics exclude
    the point are skipped unread)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path, pre_buffer=False, buffer_size=READ_ROWS)
    for group in range(file.num_row_groups):
        if point is not None and not _may_hold(file.metadata.row_group(group), point):
            continue
        table = file.read_row_group(group, columns=columns + (["point"] if point is not None else []))
        if point is not None:
            table = table.filter(pc.equal(table["point"], point))
        if table.num_rows:
            yield {c: table[c].combine_chunks() for c in columns}


def _may_hold(group, point: int) -> bool:
    """Whether a row group's statistics of the 'point' column allow rows of `point` (True if unknown)."""
    names = [group.column(i).path_in_schema for i in range(group.num_columns)]
    if "point" not in names:
        return True
    stats = group.column(names.index("point")).statistics
    return stats is None or not stats.has_min_max or stats.min <= point <= stats.max


def _names(column) -> list[str]:
    """Labels of a column in written order: an Arrow dictionary's or a pandas category's, else first appearance."""
    if isinstance(column, pa.DictionaryArray):
        used = np.unique(column.indices.to_numpy(zero_copy_only=False))
        return [str(x) for x in np.asarray(column.dictionary.to_pylist(), dtype=object)[used]]
    return list(dict.fromkeys(_values(column).astype(str).tolist()))


def _values(column) -> np.ndarray:
    if isinstance(column, pa.DictionaryArray):
        return np.asarray(column.to_pandas())
    if isinstance(column, pa.Array):
        return column.to_numpy(zero_copy_only=False)
    return np.asarray(column)


def _positions(column, labels: list[str], spec: str, what: str) -> np.ndarray:
    """Each row's position in `labels` (through the dictionary or categories, never a string per row)."""
    if isinstance(column, pa.DictionaryArray):
        names, codes = column.dictionary.to_pylist(), column.indices.to_numpy(zero_copy_only=False)
    elif isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        names, codes = list(column.cat.categories.astype(str)), column.cat.codes.to_numpy()
    else:
        codes, uniques = pd.factorize(_values(column).astype(str))
        names = [str(u) for u in uniques]
    lookup = pd.Index(labels).get_indexer([str(n) for n in names])
    if np.array_equal(lookup, np.arange(len(lookup))):
        return codes  # the file's labels in the wanted order: the codes are the positions
    positions = lookup[codes]
    if (positions < 0).any():
        raise InputError(f"{spec}: {what} '{names[codes[positions < 0][0]]}' is not in the first run; re-run")
    return positions


def _codes(batch: dict, states: list[str], powers: list[str], spec: str) -> dict:
    """A batch as compact numpy columns: labels as positions, shares in single precision (as written by `run`)."""
    return {
        "run": np.asarray(_values(batch["run"]), dtype=np.int64),
        "step": np.asarray(_values(batch["step"]), dtype=np.int32),
        "state": _positions(batch["state"], states, spec, "state").astype(np.int16),
        "power": _positions(batch["power"], powers, spec, "power").astype(np.int16),
        "alignment": np.asarray(_values(batch["alignment"]), dtype=np.float32),
    }


def _block(rows: dict, shape: tuple[int, int, int], spec: str) -> tuple[np.ndarray, np.ndarray]:
    """Scatter a block's rows into (runs, months, states, powers), refusing a block with a cell missing or
    repeated, or a share outside [0, 1]."""
    T, S, P = shape
    cells = T * S * P
    run = rows["run"]
    if len(run) % cells:
        raise InputError(
            f"{spec}: trajectories are incomplete or repeated ({len(run):,} rows where runs of {T:,} months x {S} "
            f"states x {P} powers need a multiple of {cells:,}); re-run the scenario"
        )
    ids = run[::cells].copy()  # a copy: a view would keep the whole block's rows alive
    if not (run.reshape(-1, cells) == ids[:, None]).all() or len(np.unique(ids)) != len(ids):
        raise InputError(f"{spec}: the rows of a run are not together; the trajectories file is damaged; re-run")
    if rows["step"].min() < 0 or rows["step"].max() >= T:
        raise InputError(f"{spec}: months run outside 0 to {T - 1}; the trajectories file is damaged; re-run")
    within = (rows["step"] * S + rows["state"]) * P + rows["power"]  # each row's cell within its run
    ordered = bool((within.reshape(-1, cells) == np.arange(cells, dtype=within.dtype)).all())  # as written
    flat = None
    if not ordered:
        flat = np.repeat(np.arange(len(ids), dtype=np.int64) * cells, cells) + within
        if np.bincount(flat, minlength=len(run)).max() != 1:
            raise InputError(
                f"{spec}: trajectories are incomplete or repeated (a run lacks or repeats a month, state or power); "
                "re-run the scenario"
            )
    alignment = rows["alignment"]
    if not (alignment.min() >= -1e-6 and alignment.max() <= 1 + 1e-6):  # NaN fails both
        bad = ~(np.isfinite(alignment) & (alignment >= -1e-6) & (alignment <= 1 + 1e-6))
        raise InputError(
            f"{spec}: {int(bad.sum()):,} alignment values are not shares between 0 and 1 "
            f"(e.g. {alignment[bad][0]:.6g}); the trajectories file is damaged; re-run the scenario"
        )
    if ordered:
        return ids, alignment.reshape(len(ids), T, S, P)
    out = np.empty(len(run), dtype=alignment.dtype)
    out[flat] = alignment
    return ids, out.reshape(len(ids), T, S, P)


def _point_row(folder: Path, point: int) -> dict:
    """A batch point's row of points.csv: its scenario, scenario file and parameter values."""
    path = folder / "points.csv"
    points = read_table(
        path, f"{folder}: batch folder without points.csv; re-run or resume the batch", "resume the batch"
    )
    rows = points[points["point"] == point] if "point" in points else points.iloc[0:0]
    if rows.empty:
        raise InputError(f"{folder}:point={point}: no point {point} in {path} (points 0 to {len(points) - 1})")
    return {k: v for k, v in rows.iloc[0].items() if k != "point"}


def _check_fit(first: Outcome, other: Outcome) -> None:
    a, b = first, other
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


def event_log(outcome: Outcome) -> pd.DataFrame | None:
    """A run folder's events.csv (date, label, source, answered, runs), or None for a batch point or a folder
    without one."""
    log = run_table(outcome, "events.csv", {"date", "label"})
    return None if log is None else log.astype({"label": str})


def run_table(outcome: Outcome, name: str, columns: set[str]) -> pd.DataFrame | None:
    """A table of a run folder (events.csv, switches.csv, bloc_events.csv) with `columns`, months as text, or
    None for a batch point or a folder written before it had one."""
    path = outcome.folder / name
    if outcome.point is not None or not path.is_file():
        return None
    table = read_table(path, f"{outcome.folder}: no {name}", "re-run the scenario to rewrite it", columns)
    return table.astype({"date": str})


def plotted_runs(folder: Path, count: int) -> Trajectories:
    """The runs a run folder's plots are drawn from (the first `count`), read back from its trajectories file."""
    outcome = load_outcome(str(folder))
    (path,) = [p for p in (folder / "trajectories.parquet", folder / "trajectories.csv") if p.is_file()] or [None]
    if path is None:
        raise InputError(f"{folder}: no trajectories file; give a run folder written by 'alliance-sim run'")
    first = sorted(outcome.run_ids)[:count]
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path, filters=[("run", "in", [int(r) for r in first])])
    else:
        frame = pd.read_csv(path, dtype={"date": str})
        frame = frame[frame["run"].isin(first)]
    frame = frame.astype({"date": str, "state": str, "power": str})
    return Trajectories.from_frame(frame, outcome.name)
