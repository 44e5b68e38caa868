"""Simulating a scenario's runs with either driver: held in memory, or streamed chunk by chunk to a file.

The ensemble engine runs in chunks of runs; written to a folder, each chunk streams to the trajectories
file, so a large run needs the memory of one chunk; run i gives the same numbers whatever the chunking.
The summary uses every run; the plots use the first PLOT_RUNS runs (each has its own random stream, so
they are a sample like any other) and say how many.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pandas.api.types import union_categoricals

from sim.experiments.posterior import Posterior
from sim.experiments.progress import Progress, progress
from sim.experiments.uncertainty import (
    SOURCES,
    Group,
    draws_table,
    run_parameters,
    simulate_groups,
    spread_groups,
    spread_table,
)
from sim.inputs.limits import WRITE_OVERHEAD, chunk_runs
from sim.model.ensemble import run_seed
from sim.model.events import MODEL, OCCURRENCE_COLUMNS, LoggedEvent, combined, event_table, occurrence_table
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup
from sim.outputs.results import summary_of, write_table
from sim.outputs.switches import Tally

#: Most runs the plots are drawn from.
PLOT_RUNS = 2000
#: Runs per source used to say how much of the final spread each source of uncertainty contributes.
SPREAD_RUNS = 100


@dataclass
class Simulation:
    """A simulated scenario: every run's summary, event log and events run by run (events_by_run), the runs
    held in memory (every run, or the first PLOT_RUNS when the trajectories streamed to a file), and the final
    month of the runs that uncertainty.csv measures, where they were simulated with the scenario's runs."""

    setup: Setup
    runs: int
    seed: int
    sources: tuple[str, ...]
    posterior: Posterior | None
    summary: pd.DataFrame
    events: pd.DataFrame
    events_by_run: pd.DataFrame
    held: Trajectories
    tally: Tally
    spread_finals: dict[str, np.ndarray] = field(default_factory=dict)

    def draws(self) -> pd.DataFrame:
        """Each run's seed, parameter values and evidence-derived starting levels (draws.parquet)."""
        return draws_table(self.setup, self.runs, self.seed, self.sources, self.posterior)

    def spread(self) -> pd.DataFrame:
        """How much of the final spread each source of uncertainty contributes (uncertainty.csv): from the runs
        simulated with the scenario's, else from one batch of them now."""
        finals = dict(self.spread_finals)
        missing = {name: group for name, group in spread_runs(self.runs, self.sources).items() if name not in finals}
        if missing:
            last = [self.setup.scenario.months]
            simulated = simulate_groups(self.setup, list(missing.values()), self.seed, self.posterior, kept=last)
            finals.update(final_months(missing, simulated))
        finals.setdefault("all", self.held.alignment[: min(self.runs, SPREAD_RUNS), -1])
        return spread_table(self.setup, finals)


def final_months(names: Iterable[str], simulated: Iterable[Trajectories]) -> dict[str, np.ndarray]:
    """Each named group's final month of alignment (runs, S, P), copied out of its batch."""
    return {name: traj.alignment[:, -1].copy() for name, traj in zip(names, simulated, strict=True)}


def spread_runs(runs: int, sources: tuple[str, ...]) -> dict[str, Group]:
    """The runs uncertainty.csv measures that the scenario's own runs are not: each source alone, and every
    source unless the scenario's runs carry them all (their first runs are then those runs)."""
    groups = spread_groups(min(runs, SPREAD_RUNS))
    if set(sources) == set(SOURCES):
        del groups["all"]
    return groups


def simulate_runs(
    setup: Setup,
    runs: int,
    seed: int,
    engine: str,
    sources: tuple[str, ...],
    posterior: Posterior | None,
    keep: int,
    sink: Callable[[Trajectories], None] | None = None,
    spread: bool = False,
) -> Simulation:
    """Simulate `runs` runs with either driver, passing the trajectories to `sink` chunk by chunk and holding
    the first `keep` runs (at least SPREAD_RUNS; the Mesa driver holds every run). With `spread`, the ensemble
    simulates the runs uncertainty.csv measures in the batch of the last chunk."""
    tally = Tally()
    finals: dict[str, np.ndarray] = {}
    if engine == "mesa":
        held, log, by_run = simulate_mesa(setup, runs, seed, sources, posterior)
        if sink is not None:
            sink(held)
        tally.add(held)
        summary = summary_of(held.alignment[:, 0], held.alignment[:, -1], held)
    else:
        extra = spread_runs(runs, sources) if spread else {}
        summary, held, log, by_run = _ensemble(setup, runs, seed, sources, posterior, keep, sink, tally, extra, finals)
    return Simulation(setup, runs, seed, sources, posterior, summary, log, by_run, held, tally, finals)


def _ensemble(
    setup: Setup,
    runs: int,
    seed: int,
    sources: tuple[str, ...],
    posterior: Posterior | None,
    keep: int,
    sink: Callable[[Trajectories], None] | None,
    tally: Tally,
    extra: dict[str, Group],
    extra_finals: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, Trajectories, pd.DataFrame, pd.DataFrame]:
    """Simulate chunk by chunk, adding each chunk to `tally`; return the summary, the first `keep` runs, the
    event log (for appeals, the share answered over all runs) and the events run by run. A chunk within the
    first `keep` runs is recorded straight into the held arrays, never copied. The `extra` groups ride in the last
    chunk's batch (in a batch of their own, recording only the final month, if the chunk has no room for them)
    and leave their final month in `extra_finals`."""
    scenario = setup.scenario
    S, P = len(scenario.states), len(scenario.powers)
    size = chunk_runs(scenario.months, S, P)
    last = (runs - 1) // size * size
    riders = list(extra.values())
    ridden = sum(len(group.runs) for group in riders)
    # The riders are simulated but never written: a third of a written run's memory each.
    aboard = runs - last + ridden / WRITE_OVERHEAD <= size
    count = min(runs, keep)
    held = {name: np.empty((count, scenario.months + 1, S, P)) for name in SERIES}
    starts, finals, logs, by_run = [], [], [], []
    with progress(scenario.months * (runs + ridden), f"{scenario.name}: {runs} runs", "run-month") as bar:
        for first in range(0, runs, size):
            ids = np.arange(first, min(first + size, runs))
            groups = [Group(ids, sources), *(riders if aboard and first == last else [])]
            within = ids[-1] < count and len(groups) == 1
            into = {name: array[first : first + len(ids)] for name, array in held.items()} if within else None
            events: list[LoggedEvent] = []
            done = simulate_groups(
                setup, groups, seed, posterior, _per_run(bar, sum(len(g.runs) for g in groups)), events, into=into
            )
            traj = done[0]
            if len(done) > 1:
                extra_finals.update(final_months(extra, done[1:]))
            if sink is not None:
                sink(traj)
            tally.add(traj)
            starts.append(traj.alignment[:, 0].copy())
            finals.append(traj.alignment[:, -1].copy())
            logs.append(events)
            by_run.append(occurrence_table(events, ids))
            if not within and first < count:
                for name, array in held.items():
                    array[first:] = getattr(traj, name)[: count - first]
        if riders and not aboard:
            done = simulate_groups(setup, riders, seed, posterior, _per_run(bar, ridden), kept=[scenario.months])
            extra_finals.update(final_months(extra, done))
    kept = Trajectories(scenario.name, traj.dates, traj.states, traj.powers, runs=np.arange(count), **held)
    summary = summary_of(np.concatenate(starts), np.concatenate(finals), kept)
    return summary, kept, _events(logs), _stacked(by_run)


def _per_run(bar: Progress, runs: int) -> Callable[[int], object]:
    return lambda months: bar.update(months * runs)


class TrajectoryFile:
    """The trajectories file, appended chunk by chunk in a background thread so that writing one chunk
    overlaps simulating the next (at most one chunk waits). Parquet: one row group per chunk, zstd, floats
    in single precision split by byte so they compress, with `metadata` as the file's key-value metadata; CSV: the
    header once."""

    def __init__(self, path: Path, series: tuple[str, ...], metadata: dict[str, str] | None = None) -> None:
        self.path, self.series, self.metadata = path, series, metadata or {}
        self._writer: pq.ParquetWriter | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trajectories")
        self._pending: Future[None] | None = None

    def append(self, traj: Trajectories) -> None:
        self._wait()
        self._pending = self._thread.submit(self._write, traj)

    def __enter__(self) -> TrajectoryFile:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._wait()
        finally:
            self._thread.shutdown()
            if self._writer is not None:
                self._writer.close()

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _write(self, traj: Trajectories) -> None:
        table = traj.to_table(self.series, single=True)
        if self.path.suffix == ".csv":
            write_table(table.to_pandas(), self.path, mode="a", header=not self.path.exists())
            return
        self._writer = self._writer or pq.ParquetWriter(
            self.path,
            table.schema.with_metadata({**(table.schema.metadata or {}), **self.metadata}),
            compression="zstd",
            use_dictionary=["date", "state", "power"],
            use_byte_stream_split=list(self.series),
            write_statistics=["run", "step"],
        )
        self._writer.write_table(table)


def first_runs(traj: Trajectories, count: int) -> Trajectories:
    """The first `count` runs (all of them if there are fewer)."""
    arrays = {name: getattr(traj, name)[:count] for name in SERIES}
    return Trajectories(traj.scenario, traj.dates, traj.states, traj.powers, runs=traj.runs[:count], **arrays)


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' events run by run as one table (the chunks come in run order), their categories united."""
    if len(parts) == 1:
        return parts[0]
    columns: dict[str, object] = {"run": np.concatenate([part["run"].to_numpy() for part in parts])}
    for column in OCCURRENCE_COLUMNS[1:]:
        columns[column] = union_categoricals([part[column] for part in parts], sort_categories=True)
    return pd.DataFrame(columns)


def _events(logs: list[list[LoggedEvent]]) -> pd.DataFrame:
    """The events table of the chunks' logs (`combined`), in one order whatever the engine or chunking: by month,
    the scenario's events first (in file order), then what the agents did that month, by label."""
    log = event_table(combined(logs))
    if log.empty:
        return log
    emergent = log["source"] == MODEL
    key = pd.DataFrame(
        {"date": log["date"], "emergent": emergent, "label": log["label"].where(emergent, ""), "at": range(len(log))}
    )
    order = key.sort_values(["date", "emergent", "label", "at"], kind="stable").index
    return log.loc[order].reset_index(drop=True)


def simulate_mesa(
    setup: Setup, runs: int, seed: int, sources: tuple[str, ...] = SOURCES, posterior: Posterior | None = None
) -> tuple[Trajectories, pd.DataFrame, pd.DataFrame]:
    """One AllianceModel per run, each seeded with its run's stream and given its run's parameters and
    evidence draw: the reference driver, the same numbers as the ensemble (and the same event log and events
    run by run)."""
    from sim.model.model import AllianceModel

    parts, logs, by_run = [], [], []
    params = run_parameters(setup, np.arange(runs), seed, sources, posterior)
    with progress(runs, f"{setup.scenario.name}: Mesa runs", "run") as bar:
        for run in range(runs):
            own = {name: float(np.asarray(value)[run]) if np.ndim(value) else value for name, value in params.items()}
            model = AllianceModel(
                setup.scenario,
                rng=run_seed(seed, run),
                evidence=setup.evidence,
                evidence_draws="evidence" in sources,
                **own,
            )
            while model.steps < setup.scenario.months:
                model.step()
            parts.append(model.trajectories(run))
            logs.append(model.event_log)
            by_run.append(occurrence_table(model.event_log, np.array([run])))
            bar.update()
    arrays = {name: np.concatenate([getattr(t, name) for t in parts]) for name in (*SERIES, "participation")}
    first = parts[0]
    traj = Trajectories(first.scenario, first.dates, first.states, first.powers, runs=np.arange(runs), **arrays)
    return traj, _events(logs), _stacked(by_run)
