"""Per-run cost of each driver, and throughput and peak memory of `alliance-sim batch`, on the baseline.

Measures, in one process and interleaved round by round, the Mesa model built and stepped through the
whole scenario, and the ensemble's simulate() over 1,000 and 10,000 runs at once (on one thread, as the Mesa
model runs, and on one thread per core, as the commands run) and over a single run;
CPU time (user + system) and wall time, the median over the rounds after an uncounted warm-up round. Then the
first call of a fresh process with an empty compile cache (what the first run after an install pays), Mesa's
batch_run, and `alliance-sim batch` run end to end as a subprocess for each size given (trajectories stored when
the disk has room, else outcomes only). Prints a Markdown table.

Usage: python benchmarks/bench_batch.py [--rounds 3] [--warm-up 1] [--mesa-runs 3] [--sizes 10000 100000]
       [--keep-free-gb 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # as the commands run (sim/cli/__init__.py)

from bench_run import watch  # noqa: E402

from sim.model.ensemble import THREADS  # noqa: E402  (the threads a simulation uses by default)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: Bytes per stored trajectory row (lz4 Parquet), to decide before writing whether the disk has room.
ROW_BYTES = 18
#: Ensemble batch sizes measured against the Mesa model.
ENSEMBLE_RUNS = (1_000, 10_000)
LABELS = {"mesa": "Mesa driver: build AllianceModel + 119 steps", "ensemble": "ensemble simulate(), one thread"}


def clocks() -> tuple[float, float]:
    """CPU seconds of this process (user + system) and wall seconds, now."""
    return time.process_time(), time.perf_counter()


def mesa_driver(scenario, runs: int, first: int) -> tuple[float, float]:
    """CPU and wall seconds per run: building an AllianceModel and stepping it to the scenario's end."""
    from sim.model.ensemble import run_seed
    from sim.model.model import AllianceModel

    cpu, wall = clocks()
    for run in range(first, first + runs):
        model = AllianceModel(scenario, rng=run_seed(0, run))
        while model.steps < scenario.months:
            model.step()
    now_cpu, now_wall = clocks()
    return (now_cpu - cpu) / runs, (now_wall - wall) / runs


def ensemble(setup, runs: int, repeat: int = 1, threads: int = 1) -> tuple[float, float]:
    """CPU and wall seconds per run of simulate() over `runs` runs at once on `threads` threads (set-up excluded),
    best of `repeat`."""
    from sim.model.ensemble import simulate

    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        cpu, wall = clocks()
        simulate(setup, runs, 0, threads=threads)
        now_cpu, now_wall = clocks()
        best = min(best, ((now_cpu - cpu) / runs, (now_wall - wall) / runs))
    return best


def interleaved(rounds: int, mesa_runs: int, warm_up: int = 1) -> dict[str, list[tuple[float, float]]]:
    """Each round: the Mesa driver, then the ensemble at each size and for one run; CPU and wall per run. The first
    `warm_up` rounds are not counted: on a virtual machine, memory the host has not yet backed costs 2-3 ms per MB
    at first touch (0.4 ms after), which a fresh process's first 10,000-run call pays."""
    from sim.inputs.scenario import load_scenario
    from sim.model.ensemble import simulate
    from sim.model.world import prepare

    scenario = load_scenario(BASELINE)
    setup = prepare(scenario)
    simulate(setup, 2, 0)  # compiled (or loaded from the cache) before timing
    found: dict[str, list[tuple[float, float]]] = {}
    for round_ in range(-warm_up, rounds):
        counted = found if round_ >= 0 else {}
        counted.setdefault("mesa", []).append(mesa_driver(scenario, mesa_runs, (round_ + warm_up) * mesa_runs))
        for runs in ENSEMBLE_RUNS:
            counted.setdefault(f"ensemble {runs}", []).append(ensemble(setup, runs))
            counted.setdefault(f"threaded {runs}", []).append(ensemble(setup, runs, threads=THREADS))
        counted.setdefault("ensemble 1", []).append(ensemble(setup, 1, repeat=20))
        what = f"round {round_ + 1}" if round_ >= 0 else "warm-up round (not counted)"
        print(f"{what}: load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return found


def fresh_process() -> tuple[float, float]:
    """CPU and wall seconds of a fresh process that imports the engine, sets up the baseline and simulates one
    run with an empty compile cache: what the first call after an install costs."""
    code = (
        "from sim.inputs.scenario import load_scenario; from sim.model.world import prepare; "
        f"from sim.model.ensemble import simulate; simulate(prepare(load_scenario({str(BASELINE)!r})), 1, 0)"
    )
    before, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - wall
    if out.returncode != 0:
        raise SystemExit(f"fresh process failed: {out.stderr}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


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
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the drivers")
    parser.add_argument("--mesa-runs", type=int, default=3, help="Mesa runs per round")
    parser.add_argument("--warm-up", type=int, default=1, help="rounds run first and not counted (default 1)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument(
        "--keep-free-gb", type=float, default=10.0, help="store trajectories only if this much stays free"
    )
    parser.add_argument("--folder", type=Path, help="where batches write (default: a temporary folder)")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", file=sys.stderr)
    found = interleaved(args.rounds, args.mesa_runs, args.warm_up)
    median = {name: tuple(statistics.median(x[i] for x in values) for i in (0, 1)) for name, values in found.items()}
    mesa_cpu = median["mesa"][0]
    rows = [
        "| measurement | runs | CPU per run (median) | wall per run (median) | CPU per run, each round |"
        " cheaper than Mesa (CPU, each round) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, values in found.items():
        runs = args.mesa_runs if name == "mesa" else int(name.split()[1])
        label = LABELS.get(name.split()[0], f"ensemble simulate() on {THREADS} threads")
        rounds = ", ".join(f"{cpu * 1e3:.3f}" for cpu, _ in values)
        ratios = (
            ""
            if name == "mesa"
            else ", ".join(f"{m[0] / v[0]:,.0f}x" for m, v in zip(found["mesa"], values, strict=True))
        )
        cpu, wall = median[name]
        rows.append(f"| {label} | {runs:,} | {cpu * 1e3:.3f} ms | {wall * 1e3:.3f} ms | {rounds} ms | {ratios} |")
    per_10k = median["ensemble 10000"][0] / median["ensemble 1000"][0]
    rows.append(f"| per-run CPU at 10,000 runs / at 1,000 | | {per_10k:.2f} | | | |")
    cpu, wall = fresh_process()
    rows.append(
        f"| fresh process: imports, set-up, compiling, 1 run (empty cache) | 1 | {cpu:.2f} s | {wall:.2f} s | | |"
    )
    rows.append(
        f"| mesa.batch_run (1 process) | {args.mesa_runs:,} | | {mesa_batch_run(args.mesa_runs) * 1e3:.1f} ms | | |"
    )
    print(f"Mesa CPU per run (median): {mesa_cpu * 1e3:.1f} ms", file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        for size in args.sizes:
            got = batch(size, Path(tmp), args.keep_free_gb * 1e9)
            rows.append(
                f"| `alliance-sim batch` ({got['store']}, {os.cpu_count()} workers) | {size:,} "
                f"| {got['cpu'] / size * 1e3:.3f} ms | {got['wall'] / size * 1e3:.3f} ms | wall {got['wall']:.1f} s, "
                f"peak {got['peak'] / 2**20:,.0f} MiB (largest {got['largest'] / 2**20:,.0f}), "
                f"{got['bytes'] / 1e9:.2f} GB | |"
            )
            print(f"batch {size:,}: done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
