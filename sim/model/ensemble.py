"""The fast driver: many runs (or parameter points) at once through the same phases of the month.

Run i of a batch draws its shocks from its own stream, `run_seed(seed, i)`, so it gives the
same numbers however the batch is chunked, and the same as the Mesa model given that seed.
Runs go through the months a block of BLOCK_RUNS at a time, so that a block's world stays in the
processor's cache whatever the batch, and the blocks go on THREADS threads at once; what a simulation
writes is allocated once and filled in place.
A batch may mix runs with and without evidence draws and count only its leading runs in the event log,
so that other runs can ride along in it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from queue import SimpleQueue
from threading import Lock
from typing import Any

import numpy as np

from sim.model import dynamics
from sim.model.events import LoggedEvent, decision_records, scheduled
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup, apply_change

#: Runs stepped through the months together: their world (about 10 kB a run) stays in cache.
BLOCK_RUNS = 512


def usable_cores() -> int:
    """The cores this process may run on, or ALLIANCE_SIM_THREADS if that is a whole number of at least 1."""
    chosen = os.environ.get("ALLIANCE_SIM_THREADS", "").strip()
    if chosen.isdecimal() and int(chosen) >= 1:
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if chosen:
        warnings.warn(
            f"ALLIANCE_SIM_THREADS={chosen!r} is not a whole number of at least 1 (set it to 1, 2, ... or unset it):"
            f" using {cores}, one thread per core",
            stacklevel=2,
        )
    return cores


#: Threads a simulation steps its blocks on, one block at a time each (the compiled phases and numpy's fills
#: release the GIL). A batch's workers use one each.
THREADS = usable_cores()
#: Fewest runs a thread is given: below that, starting one costs more than it saves.
THREAD_RUNS = 32
#: Run seeds remembered: a run's seed is asked for its shocks, its parameter draw, its evidence draw and its row
#: of draws.parquet, and hashing it costs about 20 microseconds.
REMEMBERED_SEEDS = 1 << 16


@lru_cache(maxsize=REMEMBERED_SEEDS)
def run_seed(seed: int, run: int) -> int:
    """Seed of run `run`: child `run` of SeedSequence(seed), as spawn() would give, as an integer."""
    child = np.random.SeedSequence(seed, spawn_key=(run,))
    return int(child.generate_state(1, np.uint64)[0])


def run_seeds(seed: int, run_ids: np.ndarray) -> np.ndarray:
    """`run_seed` of each run id, as an array."""
    return np.array([run_seed(seed, int(r)) for r in run_ids], dtype=np.uint64)


def shocks(seed: int, runs: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Standard-normal draws into `out` (R, months, S, P): run i's months drawn in order from its own stream.
    A run id that comes again (parameter points sharing their replicates' streams) is drawn once and copied."""
    drawn: dict[int, int] = {}
    for row, run in enumerate(runs.tolist()):
        if run in drawn:
            out[row] = out[drawn[run]]
        else:
            np.random.default_rng(run_seed(seed, run)).standard_normal(out=out[row])
            drawn[run] = row
    return out


def simulate(
    setup: Setup,
    runs: int | np.ndarray,
    seed: int,
    params: dict[str, Any] | None = None,
    progress: Callable[[int], object] | None = None,
    log: list[LoggedEvent] | None = None,
    evidence_draws: bool | np.ndarray = False,
    logged: int | None = None,
    kept: list[int] | None = None,
    into: dict[str, np.ndarray] | None = None,
    threads: int | None = None,
) -> Trajectories:
    """Simulate the scenario for the given run ids (or 0..runs-1) and return every month's arrays (or only
    those of the months `kept`, indexes 0..months in order, for a caller that reads no others), recorded into
    `into` if given: one array (runs, months kept, S, P) per series, rows of a larger array the caller holds.

    `params` values may be floats or arrays with one value per run (a parameter design).
    `progress`, if given, is called with the number of months just done (over the whole batch); `log`, if
    given, receives one record per event, scheduled or emergent (appeals, bloc freezes): in how many runs
    it happened and, for an appeal, the mean share of the need answered; with `logged`, it counts only the
    first `logged` runs (a batch carrying other runs beside its own). With `evidence_draws` (for every run, or
    a flag per run), a run starts from its own draw of the evidence-derived levels (`Setup.initial`).
    The blocks of runs are stepped on `threads` threads (THREADS by default); a run gives the same numbers
    whatever the threads.
    """
    scenario = setup.scenario
    run_ids = np.arange(runs) if np.isscalar(runs) else np.asarray(runs)
    R = len(run_ids)
    params = params or setup.params
    world = _initial(setup, run_ids, seed, params, evidence_draws)
    T, S, P = scenario.months, len(scenario.states), len(scenario.powers)
    if log is not None and kept is not None:
        raise ValueError("the event log reads every month: simulate with kept=None")
    slots = {month: slot for slot, month in enumerate(range(T + 1) if kept is None else kept)}
    record = into if into is not None else {name: np.empty((R, len(slots), S, P)) for name in SERIES}
    participation = np.empty((R, len(slots), *world.participation.shape[1:]), dtype=np.int8)
    appeals = np.zeros((R, T, S), dtype=np.bool_), np.zeros((R, T, S), dtype=np.int64), np.zeros((R, T, S))
    rates, net = dynamics.rates(params, R), setup.ties.net()
    instruments = np.ascontiguousarray(scenario.instruments, dtype=np.float64)
    threads = threads or THREADS
    blocks = _blocks(R, threads)
    workers = min(threads, len(blocks))
    rooms: SimpleQueue[np.ndarray] = SimpleQueue()
    for _ in range(workers):
        rooms.put(np.empty((blocks[0].stop, T, S, P)))  # the first block is the longest
    months = _Months(R, progress)

    def step(rows: slice) -> None:
        """Every month for the runs `rows`, recorded into their rows of `record`."""
        block = world.take(rows)
        start = block.copy()
        room = rooms.get()  # a buffer for the shocks, reused from block to block
        draws = shocks(seed, run_ids[rows], room[: len(block.alignment)])
        made, patron, answered = (array[rows] for array in appeals)
        context = dynamics.Month(
            block, block.allocation, block.outreach, net, rates[rows], instruments, 0, draws, made, patron, answered
        )  # the powers judge last month's choices: each run's are read before they are written
        actors = {phase.actors: dynamics.everyone(context, phase.actors) for phase in dynamics.MONTH}
        if 0 in slots:
            _record(record, participation, block, rows, slots[0])
        for month in range(1, T + 1):
            for change in setup.events.get(month, ()):
                apply_change(block, change, start)
            context = context._replace(t=month - 1)
            for phase in dynamics.MONTH:
                phase.act(context, actors[phase.actors])
            if month in slots:
                _record(record, participation, block, rows, slots[month])
            months.done(len(block.alignment))
        rooms.put(room)

    if workers <= 1:
        for rows in blocks:
            step(rows)
    else:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="runs")
        try:
            for finished in [pool.submit(step, rows) for rows in blocks]:
                finished.result()
        finally:  # an interrupted simulation starts no further block
            pool.shutdown(cancel_futures=True)
    if log is not None:
        n = R if logged is None else logged
        made, patron, answered = appeals
        _log(setup, log, n, (made[:n], patron[:n], answered[:n]), participation[:n])
    dates = scenario.dates
    return Trajectories(
        scenario.name,
        [dates[month] for month in slots],
        list(scenario.states),
        list(scenario.powers),
        runs=run_ids,
        participation=participation,
        **record,
    )


class _Months:
    """The months a batch has done, counted in run-months from every thread: `progress` is told of each month done
    over the whole batch."""

    def __init__(self, runs: int, progress: Callable[[int], object] | None) -> None:
        self.runs, self.progress, self.run_months, self.lock = runs, progress, 0, Lock()

    def done(self, runs: int) -> None:
        if self.progress is None:
            return
        with self.lock:
            before, self.run_months = self.run_months, self.run_months + runs
            whole = self.run_months // self.runs - before // self.runs
            if whole:
                self.progress(whole)


def _blocks(runs: int, threads: int) -> list[slice]:
    """The runs in blocks of equal size, at most BLOCK_RUNS each: as many as a multiple of `threads` (each
    thread an equal share) where every thread gets THREAD_RUNS runs or more."""
    count = -(-runs // BLOCK_RUNS)
    if count == 0:
        return []
    if threads > 1 and runs >= threads * THREAD_RUNS:
        count = -(-count // threads) * threads
    size = -(-runs // count)
    return [slice(first, min(first + size, runs)) for first in range(0, runs, size)]


def _initial(
    setup: Setup, run_ids: np.ndarray, seed: int, params: dict[str, Any], evidence_draws: bool | np.ndarray
) -> dynamics.World:
    """The settled start of every run: from its own draw of the evidence where `evidence_draws` says so, else
    from the derived levels. A batch mixing both starts each kind apart, as it would alone."""
    drawn = np.broadcast_to(np.asarray(evidence_draws, dtype=bool), run_ids.shape)
    if not drawn.any():
        return setup.initial(len(run_ids), params)
    if drawn.all():
        return setup.initial(len(run_ids), params, run_seeds(seed, run_ids))
    parts = [
        (rows, setup.initial(int(rows.sum()), _rows(params, rows), seeds))
        for rows, seeds in ((drawn, run_seeds(seed, run_ids[drawn])), (~drawn, None))
    ]
    world = dynamics.World(*(np.empty((len(run_ids), *array.shape[1:]), array.dtype) for array in parts[0][1]))
    for rows, part in parts:
        for whole, array in zip(world, part, strict=True):
            whole[rows] = array
    return world


def _rows(params: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    """The parameters of some runs: a value per run restricted to those runs, a shared value kept."""
    return {name: value[rows] if np.ndim(value) else value for name, value in params.items()}


def _record(
    record: dict[str, np.ndarray], participation: np.ndarray, world: dynamics.World, rows: slice, slot: int
) -> None:
    for name, array in record.items():
        array[rows, slot] = getattr(world, name)
    participation[rows, slot] = world.participation


def _log(
    setup: Setup,
    log: list[LoggedEvent],
    runs: int,
    appeals: tuple[np.ndarray, np.ndarray, np.ndarray],
    participation: np.ndarray,
) -> None:
    """Each month's scheduled events, then the events the agents' decisions made in it."""
    scenario = setup.scenario
    made, patron, answered = appeals
    for month in range(1, scenario.months + 1):
        for change in setup.events.get(month, ()):
            log.append(scheduled(setup, change, change.date, runs))
        t = month - 1
        decided = [dynamics.Appeal(s, made[:, t, s], patron[:, t, s], answered[:, t, s]) for s in range(made.shape[2])]
        log += decision_records(setup, scenario.date(month), decided, participation[:, t], participation[:, month])
