"""Cost of `alliance-sim run scenarios/baseline.yaml --runs N` end to end: wall time, peak memory, bytes on disk.

Each size runs in a fresh process, sampled every 50 ms with its plot workers (peak of their summed resident
memory, and of the largest), so figures are what a user sees. The machine's load average is printed beside
them, since other work on the same cores slows every figure.

Usage: python benchmarks/bench_run.py [--runs 1000 10000] [--out DIR] [--keep]
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

import psutil

ROOT = Path(__file__).resolve().parent.parent


def measure(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds of one command, and the peak of its processes' summed resident memory and of its largest
    process, in MiB (the sum counts pages a forked worker shares with its parent twice: an upper bound)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, largest, _ = watch(process)
    seconds = time.perf_counter() - start
    if process.wait():
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, peak / 2**20, largest / 2**20


def watch(process: subprocess.Popen) -> tuple[int, int, float]:
    """Sample the process and all its descendants every 50 ms while it runs: peak of their summed
    resident memory, peak of the largest one, and their CPU seconds (user + system) as last seen."""
    peak, largest, cpu = 0, 0, {}
    root = psutil.Process(process.pid)
    while process.poll() is None:
        sizes = []
        for member in [root, *root.children(recursive=True)]:
            try:
                with member.oneshot():
                    sizes.append(member.memory_info().rss)
                    times = member.cpu_times()
                    cpu[member.pid] = times.user + times.system
            except psutil.Error:
                continue
        peak, largest = max(peak, sum(sizes)), max([largest, *sizes])
        time.sleep(0.05)
    return peak, largest, sum(cpu.values())


def folder_bytes(folder: Path) -> dict[str, int]:
    """Bytes of the trajectories file and of the whole folder."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    trajectories = sum(p.stat().st_size for p in files if p.name.startswith("trajectories"))
    return {"trajectories": trajectories, "total": sum(p.stat().st_size for p in files)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--out", type=Path, help="keep the results folders here (default: a temporary folder)")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="bench_run_"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for runs in args.runs:
        out = base / f"{args.scenario}_{runs}"
        scenario = ROOT / "scenarios" / f"{args.scenario}.yaml"
        command = [sys.executable, "-m", "sim", "run", str(scenario), "--runs", str(runs), "--out", str(out), "--force"]
        seconds, mib, largest = measure(command)
        size = folder_bytes(out)
        print(
            f"run {args.scenario} --runs {runs:>6}: {seconds:6.1f} s, peak {mib:6.0f} MiB ({largest:.0f} largest), "
            f"trajectories {size['trajectories'] / 1e6:7.1f} MB ({size['trajectories'] / runs / 1e3:.1f} kB per run), "
            f"folder {size['total'] / 1e6:7.1f} MB; load {os.getloadavg()[0]:.2f}"
        )
    if not args.out:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
