"""One run request: a scenario and its settings, checked and merged once, when it is built.

The API (`sim.simulate`) and the command line (`alliance-sim run`) both build a RunRequest; below them nothing
checks or merges again. A request tells its cost, prepares its world, simulates in memory or writes a results
folder, and says the command line that makes that folder again.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from sim.experiments.posterior import Posterior
from sim.experiments.run import PLOT_RUNS, Simulation, TrajectoryFile, simulate_runs
from sim.experiments.uncertainty import SOURCES, chosen_sources, posterior_for, posterior_record
from sim.inputs.documents import InputError, kind_of, suggest
from sim.inputs.evidence import load_evidence
from sim.inputs.limits import ROW_BYTES, Cost, cell_bytes, chunk_runs, simulation_seconds
from sim.inputs.packaged import EVIDENCE, reference
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Scenario, load_scenario
from sim.model.trajectories import SERIES
from sim.model.world import Setup, prepare
from sim.outputs.destination import default_folder
from sim.outputs.plots import FIGURE_FORMATS, write_plots
from sim.outputs.results import file_digest, provenance, scenario_record, write_table
from sim.outputs.writer import Folder, Invocation, write_results

ENGINES = ("ensemble", "mesa")
#: Formats of the trajectories file.
FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class RunRequest:
    """A scenario (its parameter overrides merged in) with how many runs, the seed, the driver, the sources of
    uncertainty each run carries, and how the trajectories are written. Build it with `RunRequest.build`."""

    scenario: Scenario
    runs: int = 200
    seed: int = 0
    engine: str = "ensemble"
    sources: tuple[str, ...] = SOURCES
    overrides: Mapping[str, float] = MappingProxyType({})
    series: tuple[str, ...] = SERIES
    format: str = "parquet"
    figures: tuple[str, ...] = ("png",)

    @classmethod
    def build(
        cls,
        scenario: Scenario | Path,
        runs: int = 200,
        seed: int = 0,
        engine: str = "ensemble",
        uncertainty: str | Iterable[str] | None = None,
        overrides: Mapping[str, float] | None = None,
        series: str | Iterable[str] | None = None,
        format: str = "parquet",
        figures: str | Iterable[str] = ("png",),
    ) -> RunRequest:
        """The request, every setting checked (InputError naming the setting and the fix) and the overrides
        merged over the scenario's parameters. `uncertainty` None means every source; `series` None, all;
        `figures` the files each figure is written as (png, svg, pdf)."""
        check_runs_and_seed(runs, seed)
        if engine not in ENGINES:
            raise InputError(f"engine '{engine}': choose {' or '.join(ENGINES)}")
        if format not in FORMATS:
            raise InputError(f"format {format!r}: choose {' or '.join(FORMATS)}")
        sources = SOURCES if uncertainty is None else chosen_sources(uncertainty)
        kinds = chosen_figures(figures)
        kept = SERIES if series is None else chosen_series(series)
        overrides = dict(overrides or {})
        loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, load_evidence(EVIDENCE))
        return cls(
            scenario=with_overrides(loaded, overrides),
            runs=int(runs),
            seed=int(seed),
            engine=engine,
            sources=sources,
            overrides=MappingProxyType({name: float(value) for name, value in overrides.items()}),
            series=("alignment", *(name for name in SERIES[1:] if name in kept)),
            format=format,
            figures=kinds,
        )

    @cached_property
    def prepared(self) -> tuple[Setup, Posterior | None]:
        """The prepared world and, if parameters are uncertain, the posterior without the parameters the
        scenario or an override chose: those hold in every run; the others keep their draws."""
        return prepare(self.scenario, load_evidence(EVIDENCE)), posterior_for(self.scenario, self.sources)

    def cost(self, in_memory: bool = False) -> Cost:
        """Peak memory (a chunk, or every run for the Mesa driver or in memory, plus the final month of every
        run), disk (none in memory) and time."""
        T, S, P = self.scenario.months, len(self.scenario.states), len(self.scenario.powers)
        per_run = cell_bytes(T, S, P)
        runs = self.runs
        held = runs if self.engine == "mesa" or in_memory else min(runs, max(chunk_runs(T, S, P), PLOT_RUNS))
        memory = 3.0 * held * per_run + 4 * runs * S * P * 8 + 300e6  # + the interpreter and libraries
        rows = runs * (T + 1) * S * P * ROW_BYTES[self.format] * (1 + len(self.series)) / (1 + len(SERIES))
        seconds = simulation_seconds(runs, T, self.engine) * (1 if self.engine == "mesa" else 2)
        return Cost(memory, 0 if in_memory else rows, seconds)

    def simulate(self) -> Simulation:
        """Simulate every run and hold them all in memory (the same numbers as `write` puts in a folder)."""
        what = f"{self.runs:,} runs of {self.scenario.name} in memory"
        self.cost(in_memory=True).check(None, what, "use fewer runs, or write them to a folder", ("runs", "out"))
        setup, posterior = self.prepared
        return simulate_runs(setup, self.runs, self.seed, self.engine, self.sources, posterior, keep=self.runs)

    def write(self, out: Path | None = None, force: bool = False) -> Path:
        """Simulate and write the results folder `out` (default results/<slug of the scenario's name>):
        trajectories, summary, events (distinct and run by run), each run's draws, uncertainty, manifest and plots."""
        label = None if out else self.scenario.name  # a default folder must not hold another scenario's results
        target = Folder(Path(out) if out else default_folder(self.scenario.name), force, (self.scenario.path,), label)
        return write_results(
            target,
            self.cost(),
            f"{self.runs:,} runs of {self.scenario.name}",
            "use fewer runs",
            self._write_into,
            self.invocation(),
            before=lambda: self.prepared,
            settings=("runs",),
        )

    def invocation(self) -> Invocation:
        """The command that simulates this request again."""
        return Invocation(
            "run",
            (reference(self.scenario.path),),
            {
                "runs": self.runs,
                "seed": self.seed,
                "engine": self.engine,
                "format": self.format,
                "uncertainty": self.sources,
                "series": self.series,
                "figures": self.figures,
                "set": dict(self.overrides),
            },
        )

    def file_metadata(self) -> dict[str, str]:
        """What a Parquet file of these runs carries as key-value metadata: how they were made."""
        return {
            "alliance-sim": json.dumps(
                {
                    "scenario": self.scenario.name,
                    "scenario_file": reference(self.scenario.path),
                    "scenario_sha256": file_digest(self.scenario.path),
                    "seed": self.seed,
                    "runs": self.runs,
                    "uncertainty": list(self.sources),
                    "version": provenance()["alliance-sim"],
                    "reproduce": self.invocation().command_line(),
                }
            )
        }

    def _write_into(self, stage: Path) -> dict[str, Any]:
        setup, posterior = self.prepared
        with TrajectoryFile(stage / f"trajectories.{self.format}", self.series, self.file_metadata()) as file:
            done = simulate_runs(
                setup,
                self.runs,
                self.seed,
                self.engine,
                self.sources,
                posterior,
                keep=PLOT_RUNS,
                sink=file.append,
                spread=True,
            )
        write_table(done.summary, stage / "summary.csv")
        write_table(done.events, stage / "events.csv")
        write_table(done.events_by_run, stage / f"events_by_run.{self.format}")
        write_table(done.draws(), stage / f"draws.{self.format}")
        write_table(done.tally.switches(), stage / "switches.csv")
        blocs = done.tally.bloc_events()
        if blocs is not None:
            write_table(blocs, stage / "bloc_events.csv")
        write_table(done.spread(), stage / "uncertainty.csv")
        made = (self.runs, self.seed, str(provenance()["alliance-sim"]))
        write_plots(done.held, stage / "plots", done.events, self.figures, made)
        return {
            **scenario_record(self.scenario, EVIDENCE),
            "seed": self.seed,
            "runs": self.runs,
            "engine": self.engine,
            "run_seeds": "run i uses SeedSequence(seed).spawn()[i]",
            "uncertainty": list(self.sources),
            "series": list(self.series),
            "posterior": posterior_record(posterior),
            "plots": f"drawn from runs 0 to {len(done.held.runs) - 1}",
        }


def chosen_figures(figures: str | Iterable[str]) -> tuple[str, ...]:
    """The figure formats named in a list or comma-separated text, checked: InputError for an unknown one."""
    names = figures.split(",") if isinstance(figures, str) else [str(name) for name in figures]
    chosen = tuple(dict.fromkeys(name.strip().lower() for name in names if name.strip()))
    wrong = [name for name in chosen if name not in FIGURE_FORMATS]
    if wrong or not chosen:
        raise InputError(
            f"figures {','.join(wrong) or 'none'!r}: choose from {', '.join(FIGURE_FORMATS)} (comma-separated)",
            ("figures",),
        )
    return chosen


def check_runs_and_seed(runs: object, seed: object) -> None:
    """InputError unless `runs` is a whole number of at least 1 and `seed` one of at least 0."""
    for name, value, least in (("runs", runs, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise InputError(f"{name}={value!r}: expected a whole number of at least {least}", (name,))


def with_overrides(scenario: Scenario, overrides: Mapping[str, float]) -> Scenario:
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
