"""`alliance-sim batch`: run an experiment in chunks on a process pool or a Dask cluster.

Finished chunks stream to Parquet as they complete, so a batch of any size runs in the memory
of a few chunks, and `--resume` after a crash runs only the chunks whose files are not as the batch's
record says (missing, damaged or changed):

    DIR/trajectories/chunk-NNNNNN.parquet   every month of every run (skipped with store: outcomes)
    DIR/outcomes.parquet/chunk-NNNNNN.parquet  per run and state: final shares, dominant partner, ...
    DIR/points.csv                          each point's scenario and parameter values
    DIR/manifest.json                       what was run, with what, and how to reproduce or resume
    DIR/failures.csv                        points that raised (the batch goes on without them)
    DIR/chunks.jsonl                        each finished chunk's files: rows, bytes and SHA-256

A pool worker writes the files of the chunk it simulated; a Dask worker sends them back to the
client, which writes them as they come in, so a cluster's workers need not see DIR. Chunks are packed
from consecutive runs of one scenario; run r's numbers do not depend on the chunking or the executor.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from sim.inputs.documents import InputError
from sim.inputs.extras import require

#: Bytes on disk per trajectory row and per outcome row (measured on the baseline, lz4 Parquet).
TRAJECTORY_ROW_BYTES, OUTCOME_ROW_BYTES = 18, 45
#: Memory of one planned chunk (its description, before it runs).
PLANNED_CHUNK_BYTES = 2000


def run_batch(
    path: Path,
    out: Path,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    force: bool = False,
) -> BatchOutcome:
    """Run the experiment into `out`: how it ended, with the runs done and the points that failed (listed in
    failures.csv)."""
    from sim.inputs.experiment import load_experiment

    experiment = load_experiment(path)
    out = Path(out)
    if scheduler and executor != "dask":
        raise InputError(f"scheduler {scheduler}: a scheduler needs the dask executor", ("scheduler", "executor"))
    if executor == "dask":
        require("dask")
    workers = workers or os.cpu_count() or 1
    inputs = [experiment.path, *(s.path for s in experiment.scenarios)]
    with _locked(out, inputs):
        return _run_locked(experiment, out, executor, scheduler, workers, resume, force)


def _run_locked(
    experiment, out: Path, executor: str, scheduler, workers: int, resume: bool, force: bool
) -> BatchOutcome:
    """The batch, once this process holds the folder's lock."""
    from sim.outputs.destination import check_target

    previous = _previous_manifest(out, experiment) if resume else None
    if previous is None:
        check_target(out, force, inputs=[experiment.path, *(s.path for s in experiment.scenarios)])
        _check_space(out, _estimate_total(experiment))  # before the plan, whose size grows with the runs
    _check_memory(experiment, workers if executor == "local" else 1)
    layout = _layout(experiment)
    plan = plan_chunks(experiment)
    todo = plan if previous is None else _unfinished(out, plan, layout)
    estimate = _estimate_bytes(experiment, todo)
    _check_space(out, estimate)
    print(_describe(experiment, plan, todo, estimate, executor, scheduler, workers, out), flush=True)

    with _executor(executor, scheduler, workers) as run_all:
        if previous is None:
            _empty(out)
        failures = Failures(
            out / "failures.csv", experiment, keep_chunks={c.index for c in plan} - {c.index for c in todo}
        )
        _prepare_folder(out, experiment)
        failures.write()
        manifest = _manifest(experiment, out, plan, executor, workers, previous)
        _write_json(manifest, out / "manifest.json")
        started = time.perf_counter()
        status = "stopped by an error"
        try:
            _run(run_all, todo, layout, out, experiment, failures)
            status = "complete" if not failures.rows else "complete with failures"
        except KeyboardInterrupt:
            status = "interrupted"
            done = _recorded(out, plan)
            print(
                f"interrupted: {done} of {len(plan)} chunks are finished in {out}; "
                f"run the same command with --resume to finish",
                file=sys.stderr,
            )
            return BatchOutcome(out, status, 0, round(time.perf_counter() - started, 2), failures.points_failed)
        finally:
            elapsed = time.perf_counter() - started
            manifest.update(
                status=status,
                failed_points=failures.points_failed,
                seconds=round(elapsed, 2),
                finished_chunks=_recorded(out, plan),
            )
            _write_json(manifest, out / "manifest.json")
    runs = sum(c.size for c in todo)
    print(f"wrote {out}: {runs:,} runs in {elapsed:.1f} s ({runs / max(elapsed, 1e-9):,.0f} runs/s)")
    if failures.rows:
        print(f"{failures.points_failed} points failed; see {out / 'failures.csv'}", file=sys.stderr)
    return BatchOutcome(out, status, runs, round(elapsed, 2), failures.points_failed)


@dataclass(frozen=True)
class BatchOutcome:
    """How a batch ended: `status` is "complete", "complete with failures" or "interrupted" (as its manifest
    says), with the runs this call made (0 when interrupted: the manifest counts the finished chunks), its
    seconds and the points that failed."""

    out: Path
    status: str
    runs: int
    seconds: float
    failed_points: int

    @property
    def exit_code(self) -> int:
        """The command's exit status: 0 complete, 1 some points failed, 130 interrupted."""
        return {"complete": 0, "complete with failures": 1}.get(self.status, 130)


def _unfinished(out: Path, plan: list, layout) -> list:
    """The chunks a resumed batch runs: those whose files are not as its record says (each said on stderr).
    A file in its datasets that no chunk writes is refused: the datasets would read it as results."""
    from sim.experiments.chunks import foreign, verified

    strays = foreign(out, plan)
    if strays:
        raise InputError(
            f"{strays[0]}: not written by this batch"
            + (f" (nor {len(strays) - 1} more)" if len(strays) > 1 else "")
            + "; move it out of the folder, its dataset would read it as results, then resume"
        )
    good, notes = verified(out, plan, layout)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    return [c for c in plan if c.index not in good]


def _recorded(out: Path, plan: list) -> int:
    """Chunks of the plan the batch's record lists as finished."""
    from sim.outputs.folders import read_record

    return len(set(read_record(out)) & {c.index for c in plan})


def plan_chunks(experiment) -> list:
    """Split each scenario's runs into chunks of at most chunk_runs consecutive runs."""
    from sim.experiments.chunks import Chunk, slim
    from sim.model.world import prepare

    found = []
    J, R = experiment.design_points, experiment.runs
    for s, scenario in enumerate(experiment.scenarios):
        setup = slim(prepare(scenario, experiment.evidence))
        for first in range(s * J * R, (s + 1) * J * R, experiment.chunk_runs):
            stop = min(first + experiment.chunk_runs, (s + 1) * J * R)
            rows = slice(first // R - s * J, (stop - 1) // R - s * J + 1)
            values = {name: v[rows] for name, v in experiment.values.items()}
            found.append(Chunk(len(found), setup, first, stop, R, experiment.seed, values))
    return found


class Failures:
    """failures.csv: one row per point and chunk that raised, rewritten (temp then rename) as failures come in."""

    COLUMNS = ["chunk", "point", "scenario", "runs", "seed", "parameters", "error"]

    def __init__(self, path: Path, experiment, keep_chunks: set[int]) -> None:
        import pandas as pd

        self.path, self.experiment = path, experiment
        self.points = experiment.points_frame().set_index("point")
        self.rows: list[dict[str, Any]] = []
        if path.exists():  # resuming: keep what finished chunks recorded, drop what will run again
            old = pd.read_csv(path, dtype={"parameters": str, "error": str}, keep_default_na=False)
            self.rows = [row for row in old.to_dict("records") if row["chunk"] in keep_chunks]

    @property
    def points_failed(self) -> int:
        """Points with a failure (a point split across two chunks has a row for each)."""
        return len({row["point"] for row in self.rows})

    def add(self, found: list[dict[str, Any]]) -> None:
        import json

        for row in found:
            point = self.points.loc[row["point"]]
            values = {name: float(point[name]) for name in self.experiment.values}
            self.rows.append(
                {**row, "scenario": point["scenario"], "seed": self.experiment.seed, "parameters": json.dumps(values)}
            )
        self.write()

    def write(self) -> None:
        import pandas as pd

        from sim.outputs.destination import replacing
        from sim.outputs.results import write_table

        if self.rows or self.path.exists():
            with replacing(self.path) as temporary:
                write_table(pd.DataFrame(self.rows, columns=self.COLUMNS), temporary)


def _run(run_all, todo: list, layout, out: Path, experiment, failures: Failures) -> None:
    """Hand every chunk to the executor; record failures and move the progress bar as chunks finish."""
    from sim.experiments.chunks import finished, one_line
    from sim.experiments.progress import progress

    with progress(sum(c.size for c in todo), experiment.name, "run", unit_scale=True, smoothing=0.05) as bar:

        def done(chunk, result) -> None:
            if isinstance(result, BaseException):
                error = one_line(result)
                points = range(chunk.first_point, (chunk.stop_run - 1) // chunk.runs_per_point + 1)
                found = [
                    {
                        "chunk": chunk.index,
                        "point": p,
                        "runs": f"{max(chunk.first_run, p * chunk.runs_per_point)}-"
                        f"{min(chunk.stop_run, (p + 1) * chunk.runs_per_point) - 1}",
                        "error": error,
                    }
                    for p in points
                ]
            elif not finished(out, chunk, experiment.store):
                raise InputError(f"{out}: {chunk.name} was finished but its file is not there; resume the batch")
            else:
                found = result
            if found:
                failures.add(found)
            bar.update(chunk.size)

        run_all(todo, layout, out, done)


@contextmanager
def _executor(kind: str, scheduler: str | None, workers: int):
    """Yield run_all(chunks, layout, out, done): runs every chunk, calling done(chunk, failures or exception)."""
    from sim.experiments.chunks import run_chunk, watch_parent

    if kind == "dask":
        with _dask_client(scheduler, workers) as client:
            yield lambda todo, layout, out, done: _run_dask(client, todo, layout, out, done)
    elif workers == 1:
        yield lambda todo, layout, out, done: _run_here(run_chunk, todo, layout, out, done)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.chunks"])
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=watch_parent, initargs=(os.getpid(),))
        try:
            yield lambda todo, layout, out, done: _run_pool(pool, run_chunk, todo, layout, out, done)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_here(task, todo, layout, out, done) -> None:
    for chunk in todo:
        try:
            result = task(chunk, layout, out)
        except Exception as exc:
            result = exc
        done(chunk, result)


def _run_pool(pool, task, todo, layout, out, done) -> None:
    from concurrent.futures import as_completed

    futures = {pool.submit(task, chunk, layout, out): chunk for chunk in todo}
    for future in as_completed(futures):
        done(futures.pop(future), future.exception() or future.result())


def _run_dask(client, todo, layout, out, done) -> None:
    """Workers simulate the chunks and send back their files; this process writes each as it comes in."""
    from dask.distributed import as_completed

    from sim.experiments.chunks import simulate_chunk, write_chunk

    futures = {client.submit(simulate_chunk, chunk, layout, pure=False): chunk for chunk in todo}
    for future in as_completed(futures):
        chunk = futures.pop(future)
        if future.status == "error":
            result = future.exception()
        else:
            found = future.result()
            try:
                write_chunk(out, chunk, found)
                result = found.failures
            except Exception as exc:
                result = exc
        future.release()
        done(chunk, result)


@contextmanager
def _dask_client(scheduler: str | None, workers: int):
    """A client of the given scheduler, or of a LocalCluster of single-threaded worker processes."""
    import logging

    from dask.distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
    except OSError as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {scheduler} ({exc}); check its address", ("scheduler",)
        ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _layout(experiment):
    from sim.experiments.chunks import Layout

    scenarios = experiment.scenarios
    return Layout(
        scenarios=[s.name for s in scenarios],
        dates=sorted({d for s in scenarios for d in s.dates}),
        states=list(dict.fromkeys(name for s in scenarios for name in s.states)),
        powers=list(dict.fromkeys(name for s in scenarios for name in s.powers)),
        store=experiment.store,
    )


def _rows_per_run(experiment) -> dict[str, tuple[int, int]]:
    """Trajectory rows and outcome rows one run of each scenario writes, by scenario name."""
    return {
        s.name: (
            (s.months + 1) * len(s.states) * len(s.powers) if experiment.store == "trajectories" else 0,
            len(s.states),
        )
        for s in experiment.scenarios
    }


def _estimate_bytes(experiment, todo: list) -> int:
    """Bytes the chunks will take on disk (before any is written), from the measured bytes per row."""
    rows = _rows_per_run(experiment)
    return sum(
        c.size
        * (rows[c.setup.scenario.name][0] * TRAJECTORY_ROW_BYTES + rows[c.setup.scenario.name][1] * OUTCOME_ROW_BYTES)
        for c in todo
    )


@contextmanager
def _locked(out: Path, inputs: list[Path]):
    """Claim the batch folder (an exclusive lock file inside it) while the batch runs: a second batch into the
    same folder stops at once with one line instead of interleaving its writes."""
    from sim.outputs.destination import check_target, claimed, is_manifest, read_json

    if out.exists() and (not out.is_dir() or out.is_symlink() or not is_manifest(read_json(out / "manifest.json"))):
        check_target(out, False, inputs)  # a folder that is not ours gets no lock file: refused here if not empty
    with claimed(out, "batch"):
        yield


def _empty(out: Path) -> None:
    """Remove a replaced batch's files, keeping the lock this process holds."""
    from sim.outputs.destination import LOCK

    for entry in out.iterdir():
        if entry.name == LOCK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _check_memory(experiment, processes: int) -> None:
    """Each worker holds one chunk's arrays and tables at a time."""
    from sim.inputs.limits import WRITE_OVERHEAD, Cost, cell_bytes

    longest = max(s.months for s in experiment.scenarios)
    widest = max(len(s.states) * len(s.powers) for s in experiment.scenarios)
    per_chunk = experiment.chunk_runs * cell_bytes(longest, widest, 1) * WRITE_OVERHEAD
    plan = -(-experiment.total_runs // experiment.chunk_runs) * PLANNED_CHUNK_BYTES
    Cost(memory=processes * (per_chunk + 300e6) + plan + 300e6, disk=0, seconds=0).check(
        None,
        f"batch {experiment.name} ({processes} worker(s), chunks of {experiment.chunk_runs:,} runs)",
        "set a smaller chunk_runs in the experiment or use fewer workers",
        ("workers",),
    )


def _estimate_total(experiment) -> int:
    """Bytes the whole batch will take on disk, from the measured bytes per row."""
    rows = _rows_per_run(experiment)
    per_scenario = experiment.design_points * experiment.runs
    return sum(
        per_scenario * (rows[s.name][0] * TRAJECTORY_ROW_BYTES + rows[s.name][1] * OUTCOME_ROW_BYTES)
        for s in experiment.scenarios
    )


def _check_space(out: Path, needed: int) -> None:
    existing = next(p for p in [out, *out.resolve().parents] if p.exists())
    free = shutil.disk_usage(existing).free
    if needed > free:
        raise InputError(
            f"{out}: the batch needs about {_size(needed)} but only {_size(free)} is free there; "
            "free some space, choose another output folder, or use 'store: outcomes' in the experiment",
            ("out",),
        )


def _describe(experiment, plan, todo, estimate, executor, scheduler, workers, out) -> str:
    J, S = experiment.design_points, len(experiment.scenarios)
    runs = sum(c.size for c in todo)
    rows = sum(c.size * _rows_per_run(experiment)[c.setup.scenario.name][0] for c in todo)
    where = (
        f"Dask at {scheduler}"
        if scheduler
        else "a local Dask cluster"
        if executor == "dask"
        else ("this process" if workers == 1 else "a local process pool")
    )
    lines = [
        f"batch {experiment.name}: {S} scenario(s) x {J:,} parameter point(s) = {experiment.points:,} points "
        f"x {experiment.runs:,} runs = {experiment.total_runs:,} runs",
        f"  design: {experiment.method}, seed {experiment.seed}",
        f"  {len(plan):,} chunks of up to {experiment.chunk_runs:,} runs; store {experiment.store}"
        + (f": about {rows:,} trajectory rows" if experiment.store == "trajectories" else ""),
    ]
    if len(todo) < len(plan):
        lines.append(
            f"  resuming: {len(plan) - len(todo):,} chunks already finished, {len(todo):,} to run ({runs:,} runs)"
        )
    lines.append(
        f"  about {_size(estimate)} to write into {out}, on {where}"
        + ("" if scheduler or workers == 1 else f" with {workers} workers")
    )
    return "\n".join(lines)


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000:
            return f"{count:.0f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


def _has_files(out: Path) -> bool:
    from sim.outputs.destination import LOCK

    return out.is_dir() and any(p.name != LOCK for p in out.iterdir())


def _previous_manifest(out: Path, experiment) -> dict[str, Any] | None:
    """The manifest of the batch to resume in `out` (None if `out` is empty); InputError if it cannot be resumed."""
    from sim.inputs.packaged import EVIDENCE, FITTED
    from sim.outputs.destination import read_json
    from sim.outputs.results import file_digest

    if not _has_files(out):
        return None
    path = out / "manifest.json"
    previous = read_json(path)
    if previous is None:
        raise InputError(
            f"{out}: holds no batch to resume (no readable manifest.json); choose another output folder", ("out",)
        )
    if not isinstance(previous, dict) or previous.get("kind") != "batch":
        raise InputError(f"{path}: not a batch's manifest; choose another output folder", ("out",))
    entries = previous.get("scenarios")
    if not isinstance(entries, list) or len(entries) != len(experiment.scenarios):
        entries = None
    elif not all(isinstance(e, dict) and {"sha256", "parameters"} <= set(e) for e in entries):
        entries = None
    if entries is None:
        raise InputError(f"{path}: does not list the experiment's scenarios; force a new start instead", ("force",))
    if previous.get("experiment_sha256") != experiment.sha256:
        raise InputError(
            f"{experiment.path}: changed since the batch in {out} started; resume with the file as it was, "
            "or force a new start instead of resuming",
            ("force",),
        )
    for entry, scenario in zip(entries, experiment.scenarios, strict=True):
        if file_digest(scenario.path) != entry["sha256"]:
            raise InputError(
                f"{scenario.path}: changed since the batch in {out} started; restore it, "
                "or force a new start instead of resuming",
                ("force",),
            )
        if scenario.parameters != entry["parameters"]:
            raise InputError(
                f"{scenario.path}: its parameters differ from those the batch in {out} started with "
                f"(was {FITTED.name} recalibrated?); restore them, or force a new start instead of resuming",
                ("force",),
            )
    if file_digest(EVIDENCE) != previous.get("evidence_sha256"):
        raise InputError(
            f"{EVIDENCE}: changed since the batch in {out} started; restore it, "
            "or force a new start instead of resuming",
            ("force",),
        )
    return previous


def _prepare_folder(out: Path, experiment) -> None:
    """Create the folders, drop half-written files of an interrupted run, write points.csv."""
    from sim.experiments.chunks import OUTCOMES
    from sim.outputs.destination import remove_stale, replacing
    from sim.outputs.results import write_table

    out.mkdir(parents=True, exist_ok=True)
    folders = ("trajectories", OUTCOMES) if experiment.store == "trajectories" else (OUTCOMES,)
    for folder in folders:
        (out / folder).mkdir(exist_ok=True)
    for folder in (out, *(out / f for f in folders)):  # the lock is ours: any staging of ours is a leftover
        remove_stale(folder, any_process=True)
    with replacing(out / "points.csv") as temporary:
        write_table(experiment.points_frame(), temporary)


def _manifest(
    experiment, out: Path, plan: list, executor: str, workers: int, previous: dict[str, Any] | None
) -> dict[str, Any]:
    from datetime import datetime

    from sim.experiments.chunks import OUTCOME_COLUMNS
    from sim.inputs.packaged import EVIDENCE
    from sim.outputs.folders import RECORD
    from sim.outputs.results import file_digest
    from sim.outputs.writer import Invocation, stamped

    now = datetime.now(UTC).isoformat(timespec="seconds")
    invocation = Invocation("batch", (str(experiment.path),), {"out": out})
    command = invocation.command_line()
    details = {
        "kind": "batch",
        "experiment": experiment.name,
        "description": experiment.description,
        "experiment_file": str(experiment.path.resolve()),
        "experiment_sha256": experiment.sha256,
        "scenarios": [
            {"name": s.name, "file": str(s.path.resolve()), "sha256": file_digest(s.path), "parameters": s.parameters}
            for s in experiment.scenarios
        ],
        "evidence_sha256": file_digest(EVIDENCE),
        "seed": experiment.seed,
        "runs_per_point": experiment.runs,
        "points": experiment.points,
        "runs": experiment.total_runs,
        "design": experiment.design(),
        "run_ids": "point p's replicate k is run p * runs_per_point + k; run r draws its shocks from "
        "SeedSequence(seed, spawn_key=(r,)), as `alliance-sim run` and the Mesa model with rng=run_seed(seed, r)",
        "store": experiment.store,
        "chunk_runs": experiment.chunk_runs,
        "chunks": len(plan),
        "files": {
            "trajectories/": "Parquet dataset: point, run, scenario, step, date, state, power, alignment, credibility, "
            "economic, security"
            if experiment.store == "trajectories"
            else "not stored (store: outcomes)",
            "outcomes.parquet/": "Parquet dataset: one row per run and state",
            "points.csv": "point, scenario, scenario_file and the varied parameters",
            "failures.csv": "points that raised: chunk, point, scenario, runs, seed, parameters, error",
            RECORD: "each finished chunk's files with their rows, bytes and SHA-256: what --resume trusts",
        },
        "outcome_columns": OUTCOME_COLUMNS,
        "resume": f"{command} --resume",
        "executor": executor,
        "workers": workers,
        "status": "running",
    }
    # Written in place, chunk by chunk, so that --resume keeps what an interrupted batch finished: the folder is
    # never staged whole, but its manifest is stamped as every other command's.
    return {**stamped(details, invocation), "created": previous["created"] if previous else now, "updated": now}


def _write_json(data: dict[str, Any], path: Path) -> None:
    from sim.outputs.destination import replacing
    from sim.outputs.results import write_json

    with replacing(path) as temporary:
        write_json(data, temporary)
