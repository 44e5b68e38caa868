"""Batches beyond one process: `alliance-sim batch` storing outcomes only, on the local process pool and on a
Dask cluster started as users start one (`dask scheduler` and `dask worker` processes on loopback).

With --hidden (as root, with unshare(1)), each Dask worker runs in its own mount namespace with an empty tmpfs
over the batch's folder, so it cannot see where the client writes: the workers send each chunk's files back and
the client writes them. Memory is sampled every 50 ms over the client and its processes and, for Dask, over the
scheduler and the workers too; CPU time is theirs added up. Prints a Markdown table.

Usage: python benchmarks/bench_scale.py [--sizes 10000 100000] [--workers 2] [--hidden] [--folder DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
DASK = Path(sys.executable).with_name("dask")


def watch(process: subprocess.Popen, others: list[int]) -> dict[str, float]:
    """Sample the client (and its descendants) and the `others` processes (and theirs) while the client runs:
    peak summed resident memory, the client's own peak, the largest process's, and CPU seconds as last seen."""
    peak, client, largest, cpu = 0, 0, 0, {}
    roots = [psutil.Process(pid) for pid in [process.pid, *others]]
    before = 0.0  # what the cluster had spent before this batch
    for root in roots[1:]:
        for member in [root, *root.children(recursive=True)]:
            times = member.cpu_times()
            before += times.user + times.system
    while process.poll() is None:
        sizes = []
        for root in roots:
            try:
                members = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for member in members:
                try:
                    with member.oneshot():
                        sizes.append(member.memory_info().rss)
                        times = member.cpu_times()
                        cpu[member.pid] = times.user + times.system
                    if member.pid == process.pid:
                        client = max(client, sizes[-1])
                except psutil.Error:
                    continue
        peak, largest = max(peak, sum(sizes)), max([largest, *sizes])
        time.sleep(0.05)
    return {"peak": peak, "client": client, "largest": largest, "cpu": sum(cpu.values()) - before}


@contextmanager
def cluster(workers: int, hidden: Path | None):
    """A scheduler and `workers` single-threaded workers on loopback; with `hidden`, each worker sees an empty
    tmpfs there. Yields the scheduler's address and the processes' ids."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    started = [
        subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)
    ]
    worker = [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard", "--local-directory", "/tmp"]
    for _ in range(workers):
        if hidden is None:
            started.append(subprocess.Popen(worker, **quiet))
        else:
            hide = 'mount -t tmpfs none "$1" && shift && exec "$@"'
            started.append(subprocess.Popen(["unshare", "-m", "sh", "-c", hide, "sh", str(hidden), *worker], **quiet))
    try:
        from dask.distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)
            if hidden is not None:
                seen = client.run(os.listdir, str(hidden))
                assert all(found == [] for found in seen.values()), "the workers can see the batch's folder"
        yield address, [p.pid for p in started]
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=30)


def batch(runs: int, folder: Path, workers: int, address: str | None, others: list[int]) -> dict[str, float]:
    experiment = folder / f"outcomes_{runs}.yaml"
    experiment.write_text(f"name: outcomes_{runs}\nscenario: {BASELINE}\nruns: {runs}\nseed: 0\nstore: outcomes\n")
    out = folder / f"outcomes_{runs}"
    command = [sys.executable, "-m", "sim", "batch", str(experiment), "--out", str(out), "--force"]
    command += ["--executor", "dask", "--scheduler", address] if address else ["--workers", str(workers)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found = watch(process, others)
    _, error = process.communicate()
    found["wall"] = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"batch failed: {error}")
    found["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hidden", action="store_true", help="Dask workers cannot see the folder (root, unshare)")
    parser.add_argument("--no-local", action="store_true", help="only the Dask cluster")
    parser.add_argument("--folder", type=Path, help="where batches write (default: a temporary folder)")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", file=sys.stderr)
    rows = [
        "| where | runs | wall time | per run | CPU time | peak memory (sum) | client | largest process | on disk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(where: str, size: int, found: dict[str, float]) -> None:
        rows.append(
            f"| {where} | {size:,} | {found['wall']:.1f} s | {found['wall'] / size * 1e3:.3f} ms "
            f"| {found['cpu']:.1f} s "
            f"| {found['peak'] / 2**20:,.0f} MiB | {found['client'] / 2**20:,.0f} MiB "
            f"| {found['largest'] / 2**20:,.0f} MiB | {found['bytes'] / 1e6:.1f} MB |"
        )
        print(f"{where} {size:,}: {found['wall']:.1f} s, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)

    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        folder = Path(tmp)
        if not args.no_local:
            for size in args.sizes:
                row(f"local pool, {args.workers} workers", size, batch(size, folder, args.workers, None, []))
        with cluster(args.workers, folder if args.hidden else None) as (address, pids):
            where = f"Dask, scheduler + {args.workers} workers" + (" that cannot see the folder" if args.hidden else "")
            for size in args.sizes:
                row(where, size, batch(size, folder, args.workers, address, pids))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
