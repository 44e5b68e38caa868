"""`alliance-sim batch`: the arguments of an experiment run (the batch itself is sim.experiments.batch)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.arguments import positive_int
from sim.experiments.batch import run_batch


def register(subparsers) -> None:
    batch = subparsers.add_parser(
        "batch",
        help="run an experiment (replicates, grids, LHS/Sobol/Morris designs) streaming results to Parquet",
        description="Run every point of an experiment file, writing each finished chunk of runs to DIR.",
        epilog="DIR gets trajectories/ and outcomes.parquet/ (Parquet datasets: read each with pandas.read_parquet), "
        "points.csv, manifest.json and, if points raise, failures.csv. Dask workers send each chunk's files back "
        "and this process writes them, so the workers of a remote --scheduler need not see DIR.",
    )
    batch.add_argument("experiment", type=Path, help="experiment YAML, e.g. experiments/baseline_mc.yaml")
    batch.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    batch.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local: a process pool on this machine (default); dask: a Dask cluster",
    )
    batch.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler to connect to, e.g. tcp://10.0.0.5:8786 (default: start a local cluster)",
    )
    batch.add_argument(
        "--workers",
        type=positive_int,
        help="worker processes (default: one per CPU); 1 runs the chunks in this process",
    )
    batch.add_argument(
        "--resume", action="store_true", help="continue an interrupted batch in DIR: run only missing chunks"
    )
    batch.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    batch.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    return run_batch(
        args.experiment,
        args.out,
        executor=args.executor,
        scheduler=args.scheduler,
        workers=args.workers,
        resume=args.resume,
        force=args.force,
    ).exit_code
