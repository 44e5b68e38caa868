"""Where one run's CPU time goes in the ensemble, part by part, and what its random draws and exponentials
cost on their own: the floor for an engine that keeps today's numbers.

Simulates the baseline with `simulate()` on one thread, as the ensemble is measured against the Mesa model,
with each part of the month timed in place: the powers' decisions, the appeals, the bloc reviews, the world's
motion (utility, realignment, slow variables), drawing the shocks, recording the month. Then, alone: creating a
run's random generator, filling its standard normals (the shocks phase is these two), and the two exponentials
per state, power and month that the realignment takes (the logit and the log-normal shock), in a compiled loop.
Each figure is the best of the rounds, in microseconds per run. Prints a Markdown table.

Usage: python benchmarks/bench_month.py [--runs 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager

import sim.cli  # noqa: F401  (before numpy: the commands' memory settings, huge pages off and freed heap reused)

# isort: split

import numba
import numpy as np

from sim.inputs.packaged import BASELINE
from sim.inputs.scenario import load_scenario
from sim.model import dynamics, ensemble
from sim.model.world import prepare

#: What the realignment computes with `np.exp` per state, power and month.
EXPONENTIALS = 2


@contextmanager
def timed(spent: dict[str, float]):
    """The engine with each phase of the month, the shocks and the recording timed into `spent` (seconds)."""

    def clocked(name: str, act: Callable) -> Callable:
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return act(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

        return call

    phases, record, shocks = dynamics.MONTH, ensemble._record, ensemble.shocks
    dynamics.MONTH = tuple(dynamics.Phase(p.actors, clocked(p.act.__name__, p.act)) for p in phases)
    ensemble._record, ensemble.shocks = clocked("record", record), clocked("shocks", shocks)
    try:
        yield spent
    finally:
        dynamics.MONTH, ensemble._record, ensemble.shocks = phases, record, shocks


@numba.njit(nogil=True)
def exponentials(values: np.ndarray, out: np.ndarray) -> None:
    for i in range(values.shape[0]):
        out[i] = np.exp(values[i])


def parts(setup, runs: int) -> tuple[dict[str, float], float]:
    """Seconds per run of each timed part, and CPU seconds per run of the whole simulation."""
    spent: dict[str, float] = {}
    with timed(spent):
        cpu = time.process_time()
        ensemble.simulate(setup, runs, 0, threads=1)
        cpu = time.process_time() - cpu
    return {name: seconds / runs for name, seconds in spent.items()}, cpu / runs


def floors(setup, runs: int) -> dict[str, float]:
    """Seconds per run of a run's generator, its normals, and the realignment's exponentials, each alone."""
    scenario = setup.scenario
    shape = (scenario.months, len(scenario.states), len(scenario.powers))
    seeds = [ensemble.run_seed(0, run) for run in range(runs)]
    room = np.empty(shape)
    start = time.perf_counter()
    generators = [np.random.default_rng(seed) for seed in seeds]
    made = time.perf_counter() - start
    start = time.perf_counter()
    for generator in generators:
        generator.standard_normal(out=room)
    filled = time.perf_counter() - start
    values = np.random.default_rng(0).standard_normal(runs * room.size * EXPONENTIALS) * 0.1
    out = np.empty_like(values)
    exponentials(values[:8], out[:8])  # compiled before timing
    start = time.perf_counter()
    exponentials(values, out)
    return {"generator": made / runs, "normals": filled / runs, "exponentials": (time.perf_counter() - start) / runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs simulated at once (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best of each part is kept (default 5)")
    args = parser.parse_args()
    if args.runs < 1 or args.rounds < 1:
        parser.error("--runs and --rounds must be at least 1")

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", file=sys.stderr)
    setup = prepare(load_scenario(BASELINE))
    ensemble.simulate(setup, 2, 0)  # compiled (or loaded from the cache), and the memory touched, before timing
    parts(setup, args.runs)
    rounds = [parts(setup, args.runs) for _ in range(args.rounds)]
    found = [{**timed_parts, "whole": cpu} for timed_parts, cpu in rounds]
    found += [floors(setup, args.runs) for _ in range(args.rounds)]  # after, not to move the simulations' memory
    best = {name: min(round_[name] for round_ in found if name in round_) for name in set().union(*found)}
    whole = best["whole"]
    names = {
        "decide": "the powers decide (`decide`)",
        "appeal": "the states appeal (`appeal`)",
        "review": "the states review their blocs (`review`)",
        "move": "the world moves (`move`: utility, realignment, slow variables)",
        "shocks": "drawing the shocks (`ensemble.shocks`)",
        "record": "recording the month (`ensemble._record`)",
        "generator": "alone: a run's generator, `default_rng(run_seed)`",
        "normals": "alone: a run's standard normals, one per state, power and month",
        "exponentials": f"alone: {EXPONENTIALS} exponentials per state, power and month, compiled",
    }
    rows = [f"| part ({args.runs:,} runs, one thread) | microseconds per run | share of the whole |", "|---|---:|---:|"]
    for name, label in names.items():
        rows.append(f"| {label} | {best[name] * 1e6:.1f} | {best[name] / whole:.0%} |")
    timed_parts = sum(best[name] for name in ("decide", "appeal", "review", "move", "shocks", "record"))
    rows.append(f"| the rest (events, blocks, progress, the interpreter) | {(whole - timed_parts) * 1e6:.1f} | |")
    rows.append(f"| whole simulation, CPU | {whole * 1e6:.1f} | 100% |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
