"""`sim.simulate_points` against `alliance-sim sensitivity` on the same 160-point design (Morris, 16
trajectories over the 9 fitted parameters, 10 runs a point), in one process, interleaved: wall seconds of
each, and their ratio. `sensitivity` also analyses and plots; `simulate_points` only simulates.

Usage: python benchmarks/bench_points.py [--repeats 3] [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

import sim
from sim.experiments.calibration import FITTED
from sim.experiments.sensitivity import analyse

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"sensitivity": [], "simulate_points": []}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            out = Path(folder) / f"sensitivity-{repeat}"
            started = time.perf_counter()
            analyse(BASELINE, "morris", 16, args.runs, 0, out, list(FITTED))
            timings["sensitivity"].append(time.perf_counter() - started)
            design = pd.read_csv(out / "samples.csv")[list(FITTED)]
            started = time.perf_counter()
            table = sim.simulate_points(design, runs=args.runs, seed=0, scenario=BASELINE)
            timings["simulate_points"].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in timings.items()}
    print(f"{len(design)} points x {args.runs} runs ({len(table):,} rows returned), median of {args.repeats}:")
    print("| what | wall seconds (median) | all |")
    print("|---|---:|---|")
    for name, values in timings.items():
        print(f"| {name} | {median[name]:.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    print(f"simulate_points / sensitivity = {median['simulate_points'] / median['sensitivity']:.2f}")


if __name__ == "__main__":
    main()
