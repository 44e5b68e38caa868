"""Time of `alliance-sim compare` on baseline and no-invasion folders of N runs each, and of its stages.

Usage: python benchmarks/bench_compare.py [--runs 1000] [--repeat 3]
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
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / name for name in ("baseline", "no_invasion")]
        for folder in folders:
            scenario = ROOT / "scenarios" / f"{folder.name}.yaml"
            run = ["run", str(scenario), "--runs", str(args.runs), "--seed", "1", "--out", str(folder)]
            subprocess.run([sys.executable, "-m", "sim", *run], check=True, capture_output=True, cwd=ROOT)
        times = []
        for i in range(args.repeat):
            command = [sys.executable, "-m", "sim", "compare", *map(str, folders), "--out", str(Path(tmp) / f"cmp{i}")]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
        stages = _stages(folders)
    print(
        f"alliance-sim compare baseline no_invasion, {args.runs} runs each: median {statistics.median(times):.2f} s, "
        f"best {min(times):.2f} s over {args.repeat} runs; stages: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in stages.items())
    )


def _stages(folders: list[Path]) -> dict[str, float]:
    """Reading, statistics and figures timed apart, in this process."""
    from sim.compare_plots import write_comparison_plots
    from sim.comparison import difference_band, dominant_probabilities
    from sim.folders import load_outcomes, paired

    stages = {}
    start = time.perf_counter()
    outcomes = load_outcomes([str(f) for f in folders])
    stages["read"] = time.perf_counter() - start
    start = time.perf_counter()
    pairing = [paired(outcomes[0], outcomes[1])]
    bands = [difference_band(outcomes[0].traj, outcomes[1].traj, pairing[0])]
    horizons = ["2025-12", outcomes[0].traj.dates[-1]]
    dominant_probabilities(outcomes, horizons)
    stages["statistics"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_comparison_plots(outcomes, bands, pairing, horizons, Path(tmp))
        stages["figures"] = time.perf_counter() - start
    return stages


if __name__ == "__main__":
    main()
