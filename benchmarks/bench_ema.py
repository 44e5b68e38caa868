"""EMA Workbench over `sim.ema.model`: `perform_experiments` with EMA's SequentialEvaluator against
`sim.ema.BatchEvaluator`, interleaved in one process.

    python benchmarks/bench_ema.py --experiments 160 --runs 10 --rounds 2
"""

from __future__ import annotations

import argparse
import time

import ema_workbench

import sim.ema


def timed(model, evaluator, experiments: int) -> tuple[float, float]:
    """Wall and CPU seconds of one `perform_experiments` call."""
    wall, cpu = time.perf_counter(), time.process_time()
    ema_workbench.perform_experiments(model, experiments, evaluator=evaluator, uncertainty_sampling_kwargs={"rng": 1})
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=160)
    parser.add_argument("--runs", type=int, default=10, help="runs per experiment")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    model = sim.ema.model(runs=args.runs, outcomes=["kazakhstan_china_2030", "armenia_russia_2030"])
    timed(model, sim.ema.BatchEvaluator(model), 4)  # load the compiled engine once, outside the timings
    for round_ in range(args.rounds):
        for name, evaluator in (
            ("SequentialEvaluator", ema_workbench.SequentialEvaluator(model)),
            ("BatchEvaluator", sim.ema.BatchEvaluator(model)),
        ):
            wall, cpu = timed(model, evaluator, args.experiments)
            print(f"round {round_ + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU ({args.experiments} experiments)")


if __name__ == "__main__":
    main()
