"""The fast driver: many runs (or parameter points) at once through the same phases of the month.

Run i of a batch draws its shocks from its own stream, `run_seed(seed, i)`, so it gives the
same numbers however the batch is chunked, and the same as the Mesa model given that seed.
Everything a simulation writes is allocated once before the first month and filled in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.model import dynamics
from sim.model.events import LoggedEvent, decision_records
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup, apply_change


def run_seed(seed: int, run: int) -> int:
    """Seed of run `run`: child `run` of SeedSequence(seed), as spawn() would give, as an integer."""
    child = np.random.SeedSequence(seed, spawn_key=(run,))
    return int(child.generate_state(1, np.uint64)[0])


def shocks(seed: int, runs: np.ndarray, months: int, shape: tuple[int, int]) -> np.ndarray:
    """Standard-normal draws (R, months, S, P): run i's months drawn in order from its own stream, in place."""
    draws = np.empty((len(runs), months, *shape))
    for row, run in enumerate(runs):
        np.random.default_rng(run_seed(seed, int(run))).standard_normal(out=draws[row])
    return draws


def simulate(
    setup: Setup,
    runs: int | np.ndarray,
    seed: int,
    params: dict[str, Any] | None = None,
    progress: Callable[[int], object] | None = None,
    log: list[LoggedEvent] | None = None,
    evidence_draws: bool = False,
) -> Trajectories:
    """Simulate the scenario for the given run ids (or 0..runs-1) and return every month's arrays.

    `params` values may be floats or arrays with one value per run (a parameter design).
    `progress`, if given, is called with the number of months just done; `log`, if given,
    receives one record per event, scheduled or emergent (appeals, bloc freezes): in how many runs it
    happened and, for an appeal, the mean share of the need answered. With `evidence_draws`, each run
    starts from its own draw of the evidence-derived levels (`Setup.initial`).
    """
    scenario = setup.scenario
    run_ids = np.arange(runs) if np.isscalar(runs) else np.asarray(runs)
    R = len(run_ids)
    params = params or setup.params
    evidence_seeds = np.array([run_seed(seed, int(r)) for r in run_ids], dtype=np.uint64) if evidence_draws else None
    world = setup.initial(R, params, evidence_seeds)
    start = world.copy()
    T, S, P = scenario.months, len(scenario.states), len(scenario.powers)
    record = {name: np.empty((R, T + 1, S, P)) for name in SERIES}
    participation = np.empty((R, T + 1, *world.participation.shape[1:]), dtype=np.int8)
    context = dynamics.Month(
        world,
        world.allocation,  # the powers judge last month's choices: each run's are read before they are written
        world.outreach,
        setup.ties.net(),
        dynamics.rates(params, R),
        np.ascontiguousarray(scenario.instruments, dtype=np.float64),
        0,
        shocks(seed, run_ids, T, (S, P)),
        np.zeros((R, T, S), dtype=np.bool_),
        np.zeros((R, T, S), dtype=np.int64),
        np.zeros((R, T, S)),
    )
    actors = {phase.actors: dynamics.everyone(context, phase.actors) for phase in dynamics.MONTH}
    _record(record, participation, world, 0)
    for month in range(1, T + 1):
        for change in setup.events.get(month, ()):
            apply_change(world, change, start)
            if log is not None:
                log.append(LoggedEvent(change.date, change.label, change.source, runs=R))
        context = context._replace(t=month - 1)
        for phase in dynamics.MONTH:
            phase.act(context, actors[phase.actors])
        _record(record, participation, world, month)
        if log is not None:
            before, after = participation[:, month - 1], participation[:, month]
            log += decision_records(setup, scenario.date(month), dynamics.appeals_of(context), before, after)
        if progress is not None:
            progress(1)
    return Trajectories(
        scenario.name,
        scenario.dates,
        list(scenario.states),
        list(scenario.powers),
        runs=run_ids,
        participation=participation,
        **record,
    )


def _record(record: dict[str, np.ndarray], participation: np.ndarray, world: dynamics.World, month: int) -> None:
    for name, array in record.items():
        array[:, month] = getattr(world, name)
    participation[:, month] = world.participation
