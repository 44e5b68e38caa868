"""Per-run cost of each driver, and throughput and peak memory of `alliance-sim batch`, on the baseline.

Measures the Mesa model stepped through the whole scenario, Mesa's batch_run, the ensemble's
simulate() over 1000 runs, and `alliance-sim batch` run end to end as a subprocess for each
size given (trajectories stored when the disk has room, else outcomes only). Prints a Markdown table.

Usage: python benchmarks/bench_batch.py [--mesa-runs 5] [--sizes 10000 100000] [--keep-free-gb 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_run import watch

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: Bytes per stored trajectory row (lz4 Parquet), to decide before writing whether the disk has room.
ROW_BYTES = 18


def mesa_driver(runs: int) -> tuple[float, float]:
    """Seconds per run: building an AllianceModel and stepping it to the scenario's end; stepping alone."""
    from sim.inputs.scenario import load_scenario
    from sim.model.ensemble import run_seed
    from sim.model.model import AllianceModel

    scenario = load_scenario(BASELINE)
    total = stepping = 0.0
    for run in range(runs):
        start = time.perf_counter()
        model = AllianceModel(scenario, rng=run_seed(0, run))
        built = time.perf_counter()
        while model.steps < scenario.months:
            model.step()
        total += time.perf_counter() - start
        stepping += time.perf_counter() - built
    return total / runs, stepping / runs


def mesa_batch_run(runs: int) -> float:
    """Seconds per run through mesa.batch_run (one process, data collected at the end)."""
    import mesa

    from sim.inputs.scenario import load_scenario
    from sim.model.ensemble import run_seed
    from sim.model.model import AllianceModel

    months = load_scenario(BASELINE).months
    start = time.perf_counter()
    mesa.batch_run(
        AllianceModel,
        parameters={"scenario_file": [str(BASELINE)]},
        rng=[run_seed(0, r) for r in range(runs)],
        max_steps=months,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    return (time.perf_counter() - start) / runs


def ensemble(runs: int) -> float:
    """Seconds per run of simulate() over `runs` runs at once (setup excluded, best of 3)."""
    from sim.inputs.scenario import load_scenario
    from sim.model.ensemble import simulate
    from sim.model.world import prepare

    setup = prepare(load_scenario(BASELINE))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        simulate(setup, runs, 0)
        best = min(best, time.perf_counter() - start)
    return best / runs


def batch(runs: int, folder: Path, keep_free: float) -> dict:
    """Run `alliance-sim batch` as a subprocess; wall and CPU time, peak memory (sum over its processes), disk."""
    from sim.inputs.scenario import load_scenario

    scenario = load_scenario(BASELINE)
    rows = runs * (scenario.months + 1) * len(scenario.states) * len(scenario.powers)
    fits = rows * ROW_BYTES < shutil.disk_usage(folder).free - keep_free
    store = "trajectories" if fits else "outcomes"
    experiment = folder / f"mc_{runs}.yaml"
    experiment.write_text(f"name: mc_{runs}\nscenario: {BASELINE}\nruns: {runs}\nseed: 0\nstore: {store}\n")
    out = folder / f"mc_{runs}"
    command = [sys.executable, "-m", "sim", "batch", str(experiment), "--out", str(out)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, largest, cpu = watch(process)
    _, error = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"batch failed: {error}")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out)
    return {
        "runs": runs,
        "store": store,
        "wall": wall,
        "cpu": cpu,
        "peak": peak,
        "largest": largest,
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesa-runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--keep-free-gb", type=float, default=10.0, help="store trajectories only if this much stays free"
    )
    parser.add_argument("--folder", type=Path, help="where batches write (default: a temporary folder)")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", file=sys.stderr)
    built_and_stepped, stepped = mesa_driver(args.mesa_runs)
    per_run = {
        "Mesa driver: build AllianceModel + 119 steps": built_and_stepped,
        "Mesa driver: 119 steps only": stepped,
        "mesa.batch_run (1 process)": mesa_batch_run(args.mesa_runs),
        "ensemble simulate(), 1000 runs at once": ensemble(1000),
    }
    rows = [
        "| measurement | runs | wall time | per run | CPU time | peak memory (sum) | largest process | on disk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, seconds in per_run.items():
        runs = 1000 if name.startswith("ensemble") else args.mesa_runs
        speedup = f" ({built_and_stepped / seconds:,.0f}x / {stepped / seconds:,.0f}x cheaper)" if runs == 1000 else ""
        rows.append(f"| {name} | {runs:,} | {seconds * runs:.2f} s | {seconds * 1e3:.3f} ms{speedup} | | | | |")
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        for size in args.sizes:
            found = batch(size, Path(tmp), args.keep_free_gb * 1e9)
            rows.append(
                f"| `alliance-sim batch` ({found['store']}, {os.cpu_count()} workers) | {size:,} "
                f"| {found['wall']:.1f} s "
                f"| {found['wall'] / size * 1e3:.3f} ms | {found['cpu']:.1f} s | {found['peak'] / 2**20:,.0f} MiB "
                f"| {found['largest'] / 2**20:,.0f} MiB | {found['bytes'] / 1e9:.2f} GB |"
            )
            print(f"batch {size:,}: done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
