"""`alliance-sim run`: simulate a scenario with either driver and write its results folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .ensemble import run_seed, simulate
from .evidence import EVIDENCE, load_evidence
from .plots import write_plots
from .results import check_target, manifest, staged, summary, write_json, write_table
from .scenario import load_scenario
from .trajectories import SERIES, Trajectories
from .world import Setup, prepare


def run_scenario(
    path: Path,
    runs: int = 200,
    seed: int = 0,
    out: Path | None = None,
    engine: str = "ensemble",
    fmt: str = "parquet",
    force: bool = False,
) -> Path:
    """Simulate `runs` runs of the scenario and write results into `out` (default results/<name>)."""
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(path, evidence)
    out = Path(out) if out else Path("results") / scenario.name
    check_target(out, force)
    setup = prepare(scenario, evidence)
    if engine == "mesa":
        traj, log = simulate_mesa(setup, runs, seed)
    else:
        events: list[dict] = []
        with tqdm(
            total=scenario.months, desc=f"{scenario.name}: {runs} runs", unit="month", disable=None, leave=False
        ) as bar:
            traj = simulate(setup, runs, seed, progress=bar.update, log=events)
        log = pd.DataFrame(events, columns=["date", "label", "source", "answered"])
    with staged(out) as stage:
        write_table(traj.to_frame(), stage / f"trajectories.{fmt}")
        write_table(summary(traj), stage / "summary.csv")
        write_table(log, stage / "events.csv")
        write_json(
            manifest(
                scenario,
                EVIDENCE,
                seed=seed,
                runs=runs,
                engine=engine,
                run_seeds="run i uses SeedSequence(seed).spawn()[i]",
                reproduce=f"alliance-sim run {path} --runs {runs} --seed {seed} --engine {engine} --format {fmt}",
            ),
            stage / "manifest.json",
        )
        write_plots(traj, stage / "plots")
    return out


def simulate_mesa(setup: Setup, runs: int, seed: int) -> tuple[Trajectories, pd.DataFrame]:
    """One AllianceModel per run, each seeded with its run's stream: the reference driver."""
    from .model import AllianceModel

    parts, logs = [], []
    for run in tqdm(range(runs), desc=f"{setup.scenario.name}: Mesa runs", unit="run", disable=None, leave=False):
        model = AllianceModel(setup.scenario, rng=run_seed(seed, run), evidence=setup.evidence)
        while model.steps < setup.scenario.months:
            model.step()
        parts.append(model.trajectories(run))
        logs.append(pd.DataFrame([vars(e) for e in model.event_log]).assign(run=run))
    arrays = {name: np.concatenate([getattr(t, name) for t in parts]) for name in SERIES}
    first = parts[0]
    traj = Trajectories(first.scenario, first.dates, first.states, first.powers, runs=np.arange(runs), **arrays)
    log = pd.concat(logs).groupby(["date", "label", "source"], sort=False, as_index=False)["answered"].mean()
    return traj, log
