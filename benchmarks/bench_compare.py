"""Cost of `alliance-sim compare` on a baseline and a no-invasion folder of N runs each: wall time, peak memory,
bytes written. Run at two sizes, it shows whether memory grows with the run count.

The folders are made first with `alliance-sim run` (same seed, so the runs are paired), then compared in a
fresh process, sampled with its figure workers every 50 ms.

Usage: python benchmarks/bench_compare.py [--runs 1000 10000] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_run import ROOT, folder_bytes, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--out", type=Path, help="keep the folders here (default: a temporary folder)")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="bench_compare_"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for runs in args.runs:
        folders = [base / f"{name}_{runs}" for name in ("baseline", "no_invasion")]
        for folder in folders:
            if not (folder / "manifest.json").is_file():
                scenario = ROOT / "scenarios" / f"{folder.name.rsplit('_', 1)[0]}.yaml"
                run = ["run", str(scenario), "--runs", str(runs), "--seed", "1", "--out", str(folder), "--force"]
                subprocess.run([sys.executable, "-m", "sim", *run], check=True, capture_output=True, cwd=ROOT)
        out = base / f"compare_{runs}"
        command = [sys.executable, "-m", "sim", "compare", *map(str, folders), "--out", str(out), "--force"]
        seconds, mib, largest = measure(command)
        print(
            f"compare 2 x {runs:>6} runs: {seconds:6.1f} s, peak {mib:6.0f} MiB ({largest:.0f} largest), "
            f"written {folder_bytes(out)['total'] / 1e6:.1f} MB; load {os.getloadavg()[0]:.2f}"
        )
    if not args.out:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
