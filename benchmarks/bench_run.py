"""End-to-end time of `alliance-sim run scenarios/baseline.yaml --runs N` (plots included).

Usage: python benchmarks/bench_run.py [--runs 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            out = Path(tmp) / f"run{i}"
            command = [
                sys.executable,
                "-m",
                "sim",
                "run",
                str(ROOT / "scenarios" / "baseline.yaml"),
                "--runs",
                str(args.runs),
                "--seed",
                str(i),
                "--out",
                str(out),
            ]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"alliance-sim run baseline --runs {args.runs}: median {statistics.median(times):.2f} s, "
        f"best {min(times):.2f} s over {args.repeat} runs; results folder {size / 1e6:.0f} MB"
    )


if __name__ == "__main__":
    main()
