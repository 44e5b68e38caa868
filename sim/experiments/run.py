"""Simulating a scenario with either driver: in memory, or streamed into a results folder.

The ensemble engine runs in chunks of runs; written to a folder, each chunk streams to the trajectories
file, so a large run needs the memory of one chunk; run i gives the same numbers whatever the chunking.
The summary uses every run; the plots use the first PLOT_RUNS runs (each has its own random stream, so
they are a sample like any other) and say how many.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.experiments.posterior import Posterior
from sim.experiments.uncertainty import (
    SOURCES,
    chosen_sources,
    posterior_for,
    posterior_record,
    run_parameters,
    simulate_uncertain,
    spread_by_source,
)
from sim.inputs.documents import InputError, kind_of, suggest
from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.limits import ROW_BYTES, Cost, cell_bytes, chunk_runs, simulation_seconds
from sim.inputs.packaged import EVIDENCE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Scenario, load_scenario
from sim.model.ensemble import run_seed
from sim.model.events import MODEL, LoggedEvent, event_table
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup, prepare
from sim.outputs.destination import check_target, default_folder, staged
from sim.outputs.plots import write_plots
from sim.outputs.results import manifest, summary_of, write_json, write_table

#: Most runs the plots are drawn from.
PLOT_RUNS = 2000
#: Runs per source used to say how much of the final spread each source of uncertainty contributes.
SPREAD_RUNS = 100
ENGINES = ("ensemble", "mesa")
#: Formats of the trajectories file.
FORMATS = ("parquet", "csv")


@dataclass
class Simulation:
    """A simulated scenario: every run's summary and event log, and the runs held in memory (every run, or
    the first PLOT_RUNS when the trajectories streamed to a file)."""

    setup: Setup
    runs: int
    seed: int
    sources: tuple[str, ...]
    posterior: Posterior | None
    summary: pd.DataFrame
    events: pd.DataFrame
    held: Trajectories

    def spread(self) -> pd.DataFrame:
        """How much of the final spread each source of uncertainty contributes (uncertainty.csv)."""
        return spread_by_source(self.setup, min(self.runs, SPREAD_RUNS), self.seed, self.posterior)


def with_overrides(scenario: Scenario, overrides: dict[str, float]) -> Scenario:
    """The scenario with `overrides` merged over its parameters (the fitted defaults and its own
    `parameters:`); InputError naming the known parameters for an unknown name, or the range for a bad value."""
    for name, value in overrides.items():
        if name not in BY_NAME:
            hint = suggest(name, BY_NAME)
            known = "" if hint.startswith(" (choose") else f"; the parameters are {', '.join(BY_NAME)}"
            raise InputError(f"parameter override '{name}': unknown parameter{hint}{known}")
        spec = BY_NAME[name]
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):  # numpy's numbers are Real
            raise InputError(
                f"parameter override {name}={value!r}: expected a number from {spec.low} to {spec.high}, "
                f"got {kind_of(value)}"
            )
        if not spec.low <= float(value) <= spec.high:  # NaN fails too
            raise InputError(
                f"parameter override {name}={value!r}: outside {spec.low}..{spec.high} ({spec.description})"
            )
    if not overrides:
        return scenario
    return replace(
        scenario,
        parameters={**scenario.parameters, **{k: float(v) for k, v in overrides.items()}},
        chosen=scenario.chosen | set(overrides),
    )


def simulate_scenario(
    scenario: Scenario | Path,
    runs: int = 200,
    seed: int = 0,
    engine: str = "ensemble",
    sources: tuple[str, ...] = SOURCES,
    overrides: dict[str, float] | None = None,
) -> Simulation:
    """Simulate `runs` runs and hold them all in memory (the same numbers as `run_scenario` writes)."""
    _check_request(runs, seed, engine, sources)
    evidence = load_evidence(EVIDENCE)
    loaded = _load(scenario, overrides or {}, evidence)
    cost = run_cost(loaded, runs, engine, in_memory=True)
    cost.check(None, f"{runs:,} runs of {loaded.name} in memory", "use fewer runs, or write them to a folder")
    setup, posterior = _setup(loaded, evidence, sources)
    return _simulate(setup, runs, seed, engine, sources, posterior, keep=runs)


def run_scenario(
    scenario: Scenario | Path,
    runs: int = 200,
    seed: int = 0,
    out: Path | None = None,
    engine: str = "ensemble",
    fmt: str = "parquet",
    force: bool = False,
    sources: tuple[str, ...] = SOURCES,
    series: tuple[str, ...] = SERIES,
    overrides: dict[str, float] | None = None,
) -> Path:
    """Simulate `runs` runs of the scenario and write results into `out` (default results/<slug of its name>).

    `sources` are the uncertainties each run carries: monthly shocks, its own parameter point from the
    calibration posterior, its own draw of the evidence-derived starting levels. `series` are the series
    the trajectories file keeps (alignment always). `overrides` fix parameters in every run."""
    _check_request(runs, seed, engine, sources)
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r}: choose {' or '.join(FORMATS)}")
    series = ("alignment", *(name for name in SERIES[1:] if name in chosen_series(series)))
    overrides = overrides or {}
    evidence = load_evidence(EVIDENCE)
    loaded = _load(scenario, overrides, evidence)
    label = None if out else loaded.name  # a default folder must not hold another scenario's results
    out = Path(out) if out else default_folder(loaded.name)
    check_target(out, force, inputs=[loaded.path], label=label)
    cost = run_cost(loaded, runs, engine, fmt, len(series))
    cost.check(out, f"{runs:,} runs of {loaded.name}", "use fewer --runs")
    setup, posterior = _setup(loaded, evidence, sources)
    with staged(out) as stage:  # made before simulating: an unwritable folder is found at once
        with TrajectoryFile(stage / f"trajectories.{fmt}", series) as file:
            done = _simulate(setup, runs, seed, engine, sources, posterior, keep=PLOT_RUNS, sink=file.append)
        write_table(done.summary, stage / "summary.csv")
        write_table(done.events, stage / "events.csv")
        write_table(done.spread(), stage / "uncertainty.csv")
        settings = "".join(f" --set {name}={float(value)!r}" for name, value in overrides.items())
        write_json(
            manifest(
                setup.scenario,
                EVIDENCE,
                seed=seed,
                runs=runs,
                engine=engine,
                run_seeds="run i uses SeedSequence(seed).spawn()[i]",
                uncertainty=list(sources),
                series=list(series),
                posterior=posterior_record(posterior),
                plots=f"drawn from runs 0 to {len(done.held.runs) - 1}",
                reproduce=f"alliance-sim run {loaded.path} --runs {runs} --seed {seed} --engine {engine} --format {fmt}"
                f" --uncertainty {','.join(sources) or 'none'} --series {','.join(series)}{settings}",
            ),
            stage / "manifest.json",
        )
        write_plots(done.held, stage / "plots", done.events)
    return out


def chosen_series(series: str | Iterable[str]) -> tuple[str, ...]:
    """The series a trajectories file keeps, named in a list or comma-separated text, checked: InputError for
    an unknown one. The command line's --series and the API's `series=` both read through here."""
    if isinstance(series, str):
        series = series.split(",")
    elif not isinstance(series, Iterable):
        raise InputError(f"series={series!r}: expected names of series, any of {', '.join(SERIES)}")
    chosen = tuple(dict.fromkeys(str(name).strip() for name in series if str(name).strip()))
    unknown = [name for name in chosen if name not in SERIES]
    if unknown or not chosen:
        shown = f"unknown series '{unknown[0]}'" if unknown else "no series named"
        raise InputError(f"{shown}: choose from {', '.join(SERIES)} (comma-separated)")
    return chosen


def run_cost(
    scenario: Scenario, runs: int, engine: str, fmt: str = "parquet", kept: int = len(SERIES), in_memory: bool = False
) -> Cost:
    """Peak memory (a chunk, or every run for the Mesa driver or in memory, plus the final month of every
    run), disk (none in memory) and time."""
    T, S, P = scenario.months, len(scenario.states), len(scenario.powers)
    per_run = cell_bytes(T, S, P)
    held = runs if engine == "mesa" or in_memory else min(runs, max(chunk_runs(T, S, P), PLOT_RUNS))
    memory = 3.0 * held * per_run + 4 * runs * S * P * 8 + 300e6  # + the interpreter and libraries
    disk = 0 if in_memory else runs * (T + 1) * S * P * ROW_BYTES[fmt] * (1 + kept) / (1 + len(SERIES))
    return Cost(memory, disk, simulation_seconds(runs, T, engine) * (1 if engine == "mesa" else 2))


def _check_request(runs: int, seed: int, engine: str, sources: tuple[str, ...]) -> None:
    """InputError for what the command line's argument types would refuse."""
    for name, value, least in (("runs", runs, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise InputError(f"{name}={value!r}: expected a whole number of at least {least}")
    if engine not in ENGINES:
        raise InputError(f"engine '{engine}': choose {' or '.join(ENGINES)}")
    chosen_sources(sources)


def _load(scenario: Scenario | Path, overrides: dict[str, float], evidence: Evidence) -> Scenario:
    """The scenario (read if a path is given) with the overrides merged over its parameters."""
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, evidence)
    return with_overrides(loaded, overrides)


def _setup(scenario: Scenario, evidence: Evidence, sources: tuple[str, ...]) -> tuple[Setup, Posterior | None]:
    """The prepared world and, if parameters are uncertain, the posterior without the parameters the scenario
    or an override chose: those hold in every run; the others keep their draws."""
    return prepare(scenario, evidence), posterior_for(scenario, sources)


def _simulate(
    setup: Setup,
    runs: int,
    seed: int,
    engine: str,
    sources: tuple[str, ...],
    posterior: Posterior | None,
    keep: int,
    sink: Callable[[Trajectories], None] | None = None,
) -> Simulation:
    """Simulate with either driver, passing the trajectories to `sink` chunk by chunk and holding the first
    `keep` runs (the Mesa driver holds every run)."""
    if engine == "mesa":
        held, log = simulate_mesa(setup, runs, seed, sources, posterior)
        if sink is not None:
            sink(held)
        summary = summary_of(held.alignment[:, 0], held.alignment[:, -1], held)
    else:
        summary, held, log = _ensemble(setup, runs, seed, sources, posterior, keep, sink)
    return Simulation(setup, runs, seed, sources, posterior, summary, log, held)


def _ensemble(
    setup: Setup,
    runs: int,
    seed: int,
    sources: tuple[str, ...],
    posterior: Posterior | None,
    keep: int,
    sink: Callable[[Trajectories], None] | None,
) -> tuple[pd.DataFrame, Trajectories, pd.DataFrame]:
    """Simulate chunk by chunk; return the summary, the first `keep` runs and the event log (for appeals,
    the share answered over all runs)."""
    scenario = setup.scenario
    size = chunk_runs(scenario.months, len(scenario.states), len(scenario.powers))
    starts, finals, kept, logs = [], [], [], []
    with tqdm(
        total=scenario.months * runs, desc=f"{scenario.name}: {runs} runs", unit="run-month", disable=None, leave=False
    ) as bar:
        for first in range(0, runs, size):
            ids = np.arange(first, min(first + size, runs))
            events: list[LoggedEvent] = []
            traj = simulate_uncertain(setup, ids, seed, sources, posterior, _per_run(bar, len(ids)), events)
            if sink is not None:
                sink(traj)
            starts.append(traj.alignment[:, 0].copy())
            finals.append(traj.alignment[:, -1].copy())
            logs.append((len(ids), event_table(events)))
            if first < keep:
                kept.append(_first(traj, keep - first))
    held = _join(kept)
    return summary_of(np.concatenate(starts), np.concatenate(finals), held), held, _combine(logs)


def _per_run(bar: tqdm, runs: int) -> Callable[[int], object]:
    return lambda months: bar.update(months * runs)


class TrajectoryFile:
    """The trajectories file, appended chunk by chunk in a background thread so that writing one chunk
    overlaps simulating the next (at most one chunk waits). Parquet: one row group per chunk, zstd, floats
    in single precision split by byte so they compress; CSV: the header once."""

    def __init__(self, path: Path, series: tuple[str, ...]) -> None:
        self.path, self.series = path, series
        self._writer: pq.ParquetWriter | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trajectories")
        self._pending: Future[None] | None = None

    def append(self, traj: Trajectories) -> None:
        self._wait()
        self._pending = self._thread.submit(self._write, traj)

    def __enter__(self) -> TrajectoryFile:
        return self

    def __exit__(self, *exc: object) -> None:
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
            write_table(table.to_pandas(), self.path, mode="a", header=not self.path.exists())
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
    if len(logs) == 1 or all(frame.empty for _, frame in logs):
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
    emergent = log["source"] == MODEL
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
        logs.append((1, event_table(model.event_log)))
    arrays = {name: np.concatenate([getattr(t, name) for t in parts]) for name in SERIES}
    first = parts[0]
    traj = Trajectories(first.scenario, first.dates, first.states, first.powers, runs=np.arange(runs), **arrays)
    return traj, _combine(logs)
