"""`alliance-sim run`: simulate a scenario with either driver and write its results folder.

The ensemble engine runs in chunks of runs that stream to the trajectories file, so a large run
needs the memory of one chunk; run i gives the same numbers whatever the chunking. The summary
uses every run; the plots use the first PLOT_RUNS runs (each has its own random stream, so they
are a sample like any other) and say how many.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.experiments.posterior import Posterior
from sim.experiments.uncertainty import SOURCES, load_posterior, run_parameters, simulate_uncertain, spread_by_source
from sim.inputs.evidence import load_evidence
from sim.inputs.limits import ROW_BYTES, Cost, cell_bytes, chunk_runs, simulation_seconds
from sim.inputs.packaged import EVIDENCE, POSTERIOR
from sim.inputs.scenario import Scenario, load_scenario
from sim.model.ensemble import run_seed
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup, prepare
from sim.outputs.destination import check_target, default_folder, staged
from sim.outputs.plots import write_plots
from sim.outputs.results import file_digest, key_numbers, manifest, summary_of, write_json, write_table

#: Most runs the plots are drawn from.
PLOT_RUNS = 2000
#: Runs per source used to say how much of the final spread each source of uncertainty contributes.
SPREAD_RUNS = 100
EVENT_COLUMNS = ["date", "label", "source", "answered"]


def run_scenario(
    path: Path,
    runs: int = 200,
    seed: int = 0,
    out: Path | None = None,
    engine: str = "ensemble",
    fmt: str = "parquet",
    force: bool = False,
    sources: tuple[str, ...] = SOURCES,
    series: tuple[str, ...] = SERIES,
) -> Path:
    """Simulate `runs` runs of the scenario and write results into `out` (default results/<slug of its name>).

    `sources` are the uncertainties each run carries: monthly shocks, its own parameter point from the
    calibration posterior, its own draw of the evidence-derived starting levels. `series` are the series
    the trajectories file keeps (alignment always)."""
    series = ("alignment", *(name for name in SERIES[1:] if name in series))
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(path, evidence)
    label = None if out else scenario.name  # a default folder must not hold another scenario's results
    out = Path(out) if out else default_folder(scenario.name)
    check_target(out, force, inputs=[path], label=label)
    cost = run_cost(scenario, runs, engine, fmt, len(series))
    cost.check(out, f"{runs:,} runs of {scenario.name}", "use fewer --runs")
    setup = prepare(scenario, evidence)
    posterior = load_posterior() if "parameters" in sources else None
    with staged(out) as stage:  # made before simulating: an unwritable folder is found at once
        trajectories = stage / f"trajectories.{fmt}"
        if engine == "mesa":
            traj, log = simulate_mesa(setup, runs, seed, sources, posterior)
            with TrajectoryFile(trajectories, series) as file:
                file.append(traj)
            table, sample = summary_of(traj.alignment[:, 0], traj.alignment[:, -1], traj), traj
        else:
            table, sample, log = _stream(setup, runs, seed, trajectories, sources, posterior, series)
        spread = spread_by_source(setup, min(runs, SPREAD_RUNS), seed, posterior if "parameters" in sources else None)
        write_table(table, stage / "summary.csv")
        write_table(log, stage / "events.csv")
        write_table(spread, stage / "uncertainty.csv")
        write_json(
            manifest(
                scenario,
                EVIDENCE,
                seed=seed,
                runs=runs,
                engine=engine,
                run_seeds="run i uses SeedSequence(seed).spawn()[i]",
                uncertainty=list(sources),
                series=list(series),
                posterior=None
                if posterior is None
                else {
                    "file": str(POSTERIOR),
                    "sha256": file_digest(POSTERIOR),
                    "points": len(posterior.weights),
                    "effective_size": round(posterior.effective_size, 1),
                },
                plots=f"drawn from runs 0 to {len(sample.runs) - 1}",
                reproduce=f"alliance-sim run {path} --runs {runs} --seed {seed} --engine {engine} --format {fmt}"
                f" --uncertainty {','.join(sources) or 'none'} --series {','.join(series)}",
            ),
            stage / "manifest.json",
        )
        write_plots(sample, stage / "plots", log)
    return out


def key_table(out: Path) -> str:
    """The terminal's key numbers of a results folder (see `sim.outputs.results.key_numbers`)."""
    spread = out / "uncertainty.csv"
    return key_numbers(pd.read_csv(out / "summary.csv"), pd.read_csv(spread) if spread.is_file() else None)


def run_cost(scenario: Scenario, runs: int, engine: str, fmt: str, kept: int = len(SERIES)) -> Cost:
    """Peak memory (a chunk, or every run for the Mesa driver, plus the final month of every run), disk and time."""
    T, S, P = scenario.months, len(scenario.states), len(scenario.powers)
    per_run = cell_bytes(T, S, P)
    held = runs if engine == "mesa" else min(runs, max(chunk_runs(T, S, P), PLOT_RUNS))
    memory = 3.0 * held * per_run + 4 * runs * S * P * 8 + 300e6  # + the interpreter and libraries
    disk = runs * (T + 1) * S * P * ROW_BYTES[fmt] * (1 + kept) / (1 + len(SERIES))
    return Cost(memory, disk, simulation_seconds(runs, T, engine) * (1 if engine == "mesa" else 2))


def _stream(
    setup: Setup,
    runs: int,
    seed: int,
    path: Path,
    sources: tuple[str, ...],
    posterior: Posterior | None,
    series: tuple[str, ...] = SERIES,
) -> tuple[pd.DataFrame, Trajectories, pd.DataFrame]:
    """Simulate chunk by chunk, appending each to the trajectories file; return the summary, the runs kept
    for the plots and the event log (for appeals, the share answered over all runs)."""
    scenario = setup.scenario
    size = chunk_runs(scenario.months, len(scenario.states), len(scenario.powers))
    starts, finals, kept, logs = [], [], [], []
    with (
        tqdm(
            total=scenario.months * runs,
            desc=f"{scenario.name}: {runs} runs",
            unit="run-month",
            disable=None,
            leave=False,
        ) as bar,
        TrajectoryFile(path, series) as file,
    ):
        for first in range(0, runs, size):
            ids = np.arange(first, min(first + size, runs))
            events: list[dict] = []
            traj = simulate_uncertain(setup, ids, seed, sources, posterior, _per_run(bar, len(ids)), events)
            file.append(traj)
            starts.append(traj.alignment[:, 0].copy())
            finals.append(traj.alignment[:, -1].copy())
            logs.append((len(ids), _events(events)))
            if first < PLOT_RUNS:
                kept.append(_first(traj, PLOT_RUNS - first))
    sample = _join(kept)
    return summary_of(np.concatenate(starts), np.concatenate(finals), sample), sample, _combine(logs)


def _per_run(bar: tqdm, runs: int):
    return lambda months: bar.update(months * runs)


def _events(events: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(events)
    return frame.reindex(columns=EVENT_COLUMNS + [c for c in frame.columns if c not in EVENT_COLUMNS])


class TrajectoryFile:
    """The trajectories file, appended chunk by chunk in a background thread so that writing one chunk
    overlaps simulating the next (at most one chunk waits). Parquet: one row group per chunk, zstd, floats
    in single precision split by byte so they compress; CSV: the header once."""

    def __init__(self, path: Path, series: tuple[str, ...]) -> None:
        self.path, self.series = path, series
        self._writer: pq.ParquetWriter | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trajectories")
        self._pending: Future | None = None

    def append(self, traj: Trajectories) -> None:
        self._wait()
        self._pending = self._thread.submit(self._write, traj)

    def __enter__(self) -> TrajectoryFile:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._wait()
        finally:
            self._thread.shutdown()
            if self._writer is not None:
                self._writer.close()

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _write(self, traj: Trajectories) -> None:
        table = traj.to_table(self.series, single=True)
        if self.path.suffix == ".csv":
            table.to_pandas().to_csv(self.path, index=False, mode="a", header=not self.path.exists())
            return
        self._writer = self._writer or pq.ParquetWriter(
            self.path,
            table.schema,
            compression="zstd",
            use_dictionary=["date", "state", "power"],
            use_byte_stream_split=list(self.series),
            write_statistics=["run", "step"],
        )
        self._writer.write_table(table)


def _first(traj: Trajectories, count: int) -> Trajectories:
    arrays = {name: getattr(traj, name)[:count] for name in SERIES}
    return Trajectories(traj.scenario, traj.dates, traj.states, traj.powers, runs=traj.runs[:count], **arrays)


def _join(parts: list[Trajectories]) -> Trajectories:
    if len(parts) == 1:
        return parts[0]
    arrays = {name: np.concatenate([getattr(t, name) for t in parts]) for name in SERIES}
    first = parts[0]
    runs = np.concatenate([t.runs for t in parts])
    return Trajectories(first.scenario, first.dates, first.states, first.powers, runs=runs, **arrays)


def _combine(logs: list[tuple[int, pd.DataFrame]]) -> pd.DataFrame:
    """One row per event over all chunks: an appeal's answered share averaged over the chunks' runs, counts
    (such as how many runs an emergent event happened in) added up."""
    if len(logs) == 1:
        return _in_order(logs[0][1])
    log = pd.concat([frame.assign(_runs=n) for n, frame in logs], ignore_index=True)
    answered = log["answered"].astype(float)
    log["_weight"] = log["_runs"].where(answered.notna(), 0)
    log["answered"] = answered * log["_runs"]
    sums = log.groupby(["date", "label", "source"], sort=False, as_index=False, dropna=False).sum(numeric_only=True)
    sums["answered"] = (sums["answered"] / sums["_weight"]).where(sums["_weight"] > 0)
    columns = [c for c in logs[0][1].columns if c in sums]
    return _in_order(sums[columns].astype({"answered": object}).where(sums[columns].notna(), None))


def _in_order(log: pd.DataFrame) -> pd.DataFrame:
    """One order whatever the engine or chunking: by month, the scenario's events first (in file order),
    then what the agents did that month, by label."""
    if log.empty:
        return log
    emergent = log["source"] == "model"
    key = pd.DataFrame(
        {"date": log["date"], "emergent": emergent, "label": log["label"].where(emergent, ""), "at": range(len(log))}
    )
    order = key.sort_values(["date", "emergent", "label", "at"], kind="stable").index
    return log.loc[order].reset_index(drop=True)


def simulate_mesa(
    setup: Setup, runs: int, seed: int, sources: tuple[str, ...] = SOURCES, posterior: Posterior | None = None
) -> tuple[Trajectories, pd.DataFrame]:
    """One AllianceModel per run, each seeded with its run's stream and given its run's parameters and
    evidence draw: the reference driver, the same numbers as the ensemble."""
    from sim.model.model import AllianceModel

    parts, logs = [], []
    params = run_parameters(setup, np.arange(runs), seed, sources, posterior)
    for run in tqdm(range(runs), desc=f"{setup.scenario.name}: Mesa runs", unit="run", disable=None, leave=False):
        own = {name: float(np.asarray(value)[run]) if np.ndim(value) else value for name, value in params.items()}
        model = AllianceModel(
            setup.scenario,
            rng=run_seed(seed, run),
            evidence=setup.evidence,
            evidence_draws="evidence" in sources,
            **own,
        )
        while model.steps < setup.scenario.months:
            model.step()
        parts.append(model.trajectories(run))
        logs.append((1, _events(pd.DataFrame([vars(e) for e in model.event_log]))))
    arrays = {name: np.concatenate([getattr(t, name) for t in parts]) for name in SERIES}
    first = parts[0]
    traj = Trajectories(first.scenario, first.dates, first.states, first.powers, runs=np.arange(runs), **arrays)
    return traj, _combine(logs)
