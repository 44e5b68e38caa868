"""One chunk of a batch: simulate a slice of consecutive runs as Parquet files, and write them.

Workers simulate (`simulate_chunk`, which returns the files' bytes); whoever can see the batch's folder
writes them (`write_chunk`): a pool worker itself (`run_chunk`), the client for a Dask worker, which need not
see the folder. A chunk's files go to a hidden temporary name and are renamed when complete; the outcomes
file is written last, so its presence marks the chunk finished. Every file of a batch shares one Arrow schema
(categorical labels included), so the folders read back with `pandas.read_parquet` as one frame.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.points import simulate_runs
from sim.inputs.documents import error_line
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup
from sim.outputs.destination import replacing
from sim.outputs.folders import RECORD, read_record

if TYPE_CHECKING:
    from sim.inputs.evidence import Evidence

#: The per-run outcomes dataset: a folder of Parquet files, read whole with pandas.read_parquet.
OUTCOMES = "outcomes.parquet"

#: The outcome files record when this power's share first falls below THRESHOLD.
WATCHED, THRESHOLD = "Russia", 0.3
#: Runs converted and written at a time (one Parquet row group, about a million rows for the
#: baseline), so a chunk's tables never take more memory than its simulated arrays.
BLOCK_RUNS = 200

OUTCOME_COLUMNS = {
    "share_<power>": "the state's final alignment share with each power (NaN if the scenario lacks it)",
    "dominant": "the power with the largest final share",
    "hedging": "mean over the months of the state's hedging index (0 = one patron, 1 = even)",
    "first_below_step": f"first month (steps from the start, 0 = already at the start) the {WATCHED} share is "
    f"below {THRESHOLD}; NaN if never",
    "first_below_date": "the same month as YYYY-MM",
}


@dataclass(frozen=True)
class Layout:
    """Labels shared by every file of a batch, so that categorical columns agree across chunks."""

    scenarios: list[str]
    dates: list[str]
    states: list[str]
    powers: list[str]
    store: str  # "trajectories" or "outcomes"

    def trajectory_schema(self) -> pa.Schema:
        return pa.schema(
            [
                ("point", pa.int64()),
                ("run", pa.int64()),
                ("scenario", _dictionary(pa.int16())),
                ("step", pa.int32()),
                ("date", _dictionary(pa.int16())),
                ("state", _dictionary(pa.int8())),
                ("power", _dictionary(pa.int8())),
                ("alignment", pa.float64()),
            ]
            + [(name, pa.float32()) for name in SERIES[1:]]
        )

    def outcome_schema(self) -> pa.Schema:
        return pa.schema(
            [
                ("point", pa.int64()),
                ("run", pa.int64()),
                ("scenario", _dictionary(pa.int16())),
                ("state", _dictionary(pa.int8())),
            ]
            + [(f"share_{power}", pa.float64()) for power in self.powers]
            + [
                ("dominant", _dictionary(pa.int8())),
                ("hedging", pa.float64()),
                ("first_below_step", pa.float64()),
                ("first_below_date", _dictionary(pa.int16())),
            ]
        )


@dataclass(frozen=True)
class Chunk:
    """Runs first_run..stop_run-1 of one scenario, with the varied parameters of the points they belong to."""

    index: int
    setup: Setup  # prepared once by the client, so workers need neither the scenario files nor the evidence
    first_run: int
    stop_run: int
    runs_per_point: int
    seed: int
    values: dict[str, np.ndarray]  # varied parameter -> value at each point from first_point on

    @property
    def size(self) -> int:
        return self.stop_run - self.first_run

    @property
    def first_point(self) -> int:
        return self.first_run // self.runs_per_point

    @property
    def name(self) -> str:
        return f"chunk-{self.index:06d}.parquet"


def finished(out: Path, chunk: Chunk, store: str) -> bool:
    """Whether a chunk's files are all in place."""
    done = (out / OUTCOMES / chunk.name).exists()
    return done and (store == "outcomes" or (out / "trajectories" / chunk.name).exists())


def verified(out: Path, plan: list[Chunk], layout: Layout) -> tuple[set[int], list[str]]:
    """The chunks of `plan` whose files are as the batch's record says (a regular file of the recorded size and
    SHA-256, whose Parquet footer reads with the batch's schema and the recorded rows), and a note for each
    recorded chunk that is not: it runs again."""
    record = read_record(out)
    schemas = {OUTCOMES: layout.outcome_schema(), "trajectories": layout.trajectory_schema()}
    wanted = [OUTCOMES] + (["trajectories"] if layout.store == "trajectories" else [])
    good, notes = set(), []
    for chunk in plan:
        files = record.get(chunk.index)
        if files is None:
            continue
        expected = {f"{dataset}/{chunk.name}": schemas[dataset] for dataset in wanted}
        problems = [_damage(out / name, files.get(name), schema) for name, schema in expected.items()]
        problem = next((p for p in problems if p), None)
        if problem is None:
            good.add(chunk.index)
        else:
            notes.append(f"{problem}; chunk {chunk.index} runs again")
    return good, notes


def foreign(out: Path, plan: list[Chunk]) -> list[Path]:
    """Entries in the batch's datasets that no chunk of the plan writes (hidden ones, which readers skip, aside)."""
    names = {chunk.name for chunk in plan}
    found = []
    for dataset in ("trajectories", OUTCOMES):
        if (out / dataset).is_dir():
            found += [p for p in sorted((out / dataset).iterdir()) if p.name not in names and p.name[0] not in "._"]
    return found


def record(out: Path, chunk: Chunk, files: dict[str, dict[str, Any]]) -> None:
    """Add a finished chunk's files (rows, bytes, SHA-256) to the batch's record, one line appended."""
    line = json.dumps({"chunk": chunk.index, "files": files}, sort_keys=True) + "\n"
    with open(out / RECORD, "a", encoding="utf-8") as stream:
        stream.write(line)


def _damage(path: Path, entry: object, schema: pa.Schema) -> str | None:
    """What is wrong with a chunk file against its record entry, or None if nothing is."""
    if not isinstance(entry, dict):
        return f"{path}: not in the batch's record"
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return f"{path}: not a regular file"
        if info.st_size != entry.get("bytes"):
            return f"{path}: {info.st_size:,} bytes where the record says {entry.get('bytes')}"
        if _digest(path) != entry.get("sha256"):
            return f"{path}: its SHA-256 differs from the record"
        file = pq.ParquetFile(path)
        if not file.schema_arrow.equals(schema) or file.metadata.num_rows != entry.get("rows"):
            return f"{path}: not the batch's schema or rows"
    except FileNotFoundError:
        return f"{path}: missing"
    except (OSError, pa.ArrowException) as exc:
        return f"{path}: unreadable ({exc.__class__.__name__})"
    return None


def _digest(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


@dataclass(frozen=True)
class ChunkFiles:
    """A simulated chunk: each file's name in the batch folder, content and rows (the outcomes last), and the
    points that raised (each with its error)."""

    files: dict[str, tuple[bytes, int]]
    failures: list[dict[str, Any]]


def run_chunk(chunk: Chunk, layout: Layout, out: Path) -> list[dict[str, Any]]:
    """Simulate the chunk and write its files into `out` (where the batch's folder is visible); return the
    points that raised."""
    found = simulate_chunk(chunk, layout)
    write_chunk(out, chunk, found)
    return found.failures


def write_chunk(out: Path, chunk: Chunk, found: ChunkFiles) -> None:
    """Write a simulated chunk's files and add them to the batch's record. The record's line is written before
    the outcomes file is renamed into place, so a chunk whose files are all there is always recorded."""
    files: dict[str, dict[str, Any]] = {}
    for name, (content, rows) in found.files.items():
        with replacing(out / name) as temporary:
            temporary.write_bytes(content)
            files[name] = {"rows": rows, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            if name.startswith(OUTCOMES):
                record(out, chunk, files)


def simulate_chunk(chunk: Chunk, layout: Layout) -> ChunkFiles:
    """Simulate the chunk's runs and encode its files, in memory (what a worker sends back).

    All runs are simulated at once; if that raises, each point is retried alone so that only
    the points that fail are lost. Run r's numbers do not depend on which runs it is grouped with.
    """
    run_ids = np.arange(chunk.first_run, chunk.stop_run)
    points = run_ids // chunk.runs_per_point
    failures: list[dict[str, Any]] = []
    try:
        done = [_simulate(chunk, run_ids)]
    except Exception:
        done = []
        for point in np.unique(points):
            ids = run_ids[points == point]
            try:
                done.append(_simulate(chunk, ids))
            except Exception as exc:
                failures.append(
                    {"chunk": chunk.index, "point": int(point), "runs": f"{ids[0]}-{ids[-1]}", "error": one_line(exc)}
                )
    blocks = [block for traj in done for block in _blocks(traj, BLOCK_RUNS)]
    files = {}
    if layout.store == "trajectories":
        tables = (trajectory_table(b, b.runs // chunk.runs_per_point, layout) for b in blocks)
        files[f"trajectories/{chunk.name}"] = _encode(tables, layout.trajectory_schema())
    tables = (outcome_table(b, b.runs // chunk.runs_per_point, layout) for b in blocks)
    files[f"{OUTCOMES}/{chunk.name}"] = _encode(tables, layout.outcome_schema())
    return ChunkFiles(files, failures)


def watch_parent(parent: int, every: float = 0.5) -> None:
    """In a pool worker: end this process as soon as the batch process `parent` is gone (killed, even with
    SIGKILL), instead of running on as an orphan."""

    def watch() -> None:
        while True:
            time.sleep(every)
            if not _running(parent):
                os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (killed, not yet collected by its own parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def one_line(error: BaseException) -> str:
    """'Type: message' on one line, for failures.csv: line breaks become spaces, then as every error line."""
    return error_line(" ".join(f"{type(error).__name__}: {error}".split()))


def trajectory_table(traj: Trajectories, points: np.ndarray, layout: Layout) -> pa.Table:
    """The long form of :meth:`Trajectories.to_table` (labels from the layout) with each row's point and scenario."""
    table = traj.to_table(labels={"date": layout.dates, "state": layout.states, "power": layout.powers})
    rows_per_run = table.num_rows // len(traj.runs)
    scenario = np.full(table.num_rows, layout.scenarios.index(traj.scenario), dtype=np.int16)
    table = table.add_column(0, "point", pa.array(np.repeat(np.asarray(points, dtype=np.int64), rows_per_run)))
    table = table.add_column(2, "scenario", _labelled(scenario, layout.scenarios))
    return pa.Table.from_arrays(table.columns, schema=layout.trajectory_schema())


def outcome_table(traj: Trajectories, points: np.ndarray, layout: Layout) -> pa.Table:
    """One row per run and state: final shares, dominant partner, mean hedging, first month below threshold."""
    R, T, S, P = traj.alignment.shape
    final = traj.alignment[:, -1]
    shares = [
        final[:, :, traj.powers.index(power)].reshape(-1) if power in traj.powers else np.full(R * S, np.nan)
        for power in layout.powers
    ]
    power_codes = _codes(traj.powers, layout.powers, np.int8)
    below_step = np.full((R, S), np.nan)
    if WATCHED in traj.powers:
        below = traj.alignment[:, :, :, traj.powers.index(WATCHED)] < THRESHOLD
        below_step = np.where(below.any(axis=1), below.argmax(axis=1), np.nan)
    date_codes = _codes(traj.dates, layout.dates, np.int16)[np.nan_to_num(below_step, nan=0).astype(int)]
    columns = [
        np.repeat(np.asarray(points, dtype=np.int64), S),
        np.repeat(np.asarray(traj.runs, dtype=np.int64), S),
        _labelled(np.full(R * S, layout.scenarios.index(traj.scenario), dtype=np.int16), layout.scenarios),
        _labelled(np.tile(_codes(traj.states, layout.states, np.int8), R), layout.states),
        *shares,
        _labelled(power_codes[final.argmax(axis=-1)].reshape(-1), layout.powers),
        traj.hedging.mean(axis=1).reshape(-1),
        below_step.reshape(-1),
        _labelled(date_codes.reshape(-1), layout.dates, mask=np.isnan(below_step).reshape(-1)),
    ]
    return pa.Table.from_arrays(columns, schema=layout.outcome_schema())


def slim(setup: Setup) -> Setup:
    """The setup without what only explanations need (evidence, provenance): small to send to workers."""
    return replace(setup, evidence=cast("Evidence", None), provenance={})


def _simulate(chunk: Chunk, run_ids: np.ndarray) -> Trajectories:
    points = run_ids // chunk.runs_per_point - chunk.first_point
    # One thread: the batch's workers, each simulating its own chunk, are its parallelism.
    return simulate_runs(chunk.setup, chunk.setup.params, chunk.values, points, run_ids, chunk.seed, threads=1)


def _blocks(traj: Trajectories, size: int) -> Iterator[Trajectories]:
    """Consecutive slices of `size` runs (views, not copies)."""
    for start in range(0, len(traj.runs), size):
        rows = slice(start, start + size)
        arrays = {name: getattr(traj, name)[rows] for name in SERIES}
        yield Trajectories(traj.scenario, traj.dates, traj.states, traj.powers, runs=traj.runs[rows], **arrays)


def _encode(tables: Iterable[pa.Table], schema: pa.Schema) -> tuple[bytes, int]:
    """The tables as row groups of one Parquet file, in memory, and its rows. Labels are dictionary-encoded;
    run ids keep statistics."""
    labels = [field.name for field in schema if pa.types.is_dictionary(field.type)]
    rows = 0
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(
        sink, schema, compression="lz4", use_dictionary=labels, write_statistics=["point", "run"]
    ) as writer:
        for table in tables:
            writer.write_table(table)
            rows += table.num_rows
    return sink.getvalue().to_pybytes(), rows


def _dictionary(index: pa.DataType) -> pa.DataType:
    return pa.dictionary(index, pa.string())


def _codes(labels: list[str], universe: list[str], dtype: type[np.integer[Any]]) -> np.ndarray:
    return np.array([universe.index(label) for label in labels], dtype=dtype)


def _labelled(codes: np.ndarray, labels: list[str], mask: np.ndarray | None = None) -> pa.DictionaryArray:
    indices = pa.array(codes, mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(labels, pa.string()))
