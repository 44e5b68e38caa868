"""Cost of `alliance-sim run scenarios/baseline.yaml --runs N` end to end: wall time, peak memory, bytes on disk.

Each size runs in a fresh process measured by /usr/bin/time (peak resident memory of the whole command),
so figures are what a user sees. The machine's load average is printed beside them, since other work on
the same cores slows every figure.

Usage: python benchmarks/bench_run.py [--runs 1000 10000] [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one command, from GNU time."""
    timed = ["/usr/bin/time", "-f", "%e %M", *command]
    result = subprocess.run(timed, check=True, capture_output=True, text=True, cwd=ROOT)
    seconds, kib = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


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
        seconds, mib = measure(command)
        size = folder_bytes(out)
        print(
            f"run {args.scenario} --runs {runs:>6}: {seconds:6.1f} s, peak {mib:6.0f} MiB, trajectories "
            f"{size['trajectories'] / 1e6:7.1f} MB ({size['trajectories'] / runs / 1e3:.1f} kB per run), "
            f"folder {size['total'] / 1e6:7.1f} MB; load {os.getloadavg()[0]:.2f}"
        )
    if not args.out:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
