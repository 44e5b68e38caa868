"""The Python API: what `alliance-sim run`, `batch` and `compare` do, returning pandas DataFrames.

    import sim
    scenario = sim.load("baseline")
    result = sim.simulate(scenario, runs=100, seed=0, peer_weight=0.2)
    result.summary  # one row per state and power at the last month

The command line calls these same functions. Heavy libraries load on first use, so `import sim` stays quick.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from sim.experiments.request import RunRequest
    from sim.experiments.run import Simulation
    from sim.inputs.scenario import Scenario
    from sim.outputs.comparison import Comparison


def load(scenario: str | Path) -> Scenario:
    """A scenario by the name of a shipped one ("baseline", "no_invasion", ...) or by the path of a YAML file.

    InputError for a name that is not shipped (listing those that are) or a file with a mistake in it."""
    from sim.inputs.evidence import load_evidence
    from sim.inputs.packaged import EVIDENCE
    from sim.inputs.scenario import load_scenario

    return load_scenario(
        _path(scenario, "scenario", "a shipped scenario's name or a YAML file's path"), load_evidence(EVIDENCE)
    )


@dataclass
class Result:
    """A simulated scenario as tidy tables. `summary` (as summary.csv) and `events` (as events.csv) are
    at hand; `trajectories` (long form: run, step, date, state, power, alignment and the other series),
    `uncertainty` (as uncertainty.csv) and `events_by_run` (one row per run an event happened in) are built when
    first read. `folder` is where it was written, if it was."""

    scenario: Scenario
    summary: pd.DataFrame
    events: pd.DataFrame
    folder: Path | None = None
    _simulation: Simulation | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Result(scenario={self.scenario.name!r}, folder={self.folder!r})"

    @cached_property
    def trajectories(self) -> pd.DataFrame:
        """Every month of every run in long form: the runs held in memory (alignment in double precision), or
        the folder's trajectories file as written."""
        import pandas as pd

        if self._simulation is not None:
            frame = self._simulation.held.to_frame()
            frame.attrs["scenario"] = self.scenario.name  # what the figures drawn from it are titled
            return frame
        (path,) = self.folder.glob("trajectories.*")
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"date": str})

    def to_xarray(self) -> xr.Dataset:
        """Every series of `trajectories` as a labelled xarray Dataset over (run, date, state, power), states and
        powers in the scenario's order (needs the 'xarray' extra: pip install 'alliance-sim[xarray]')."""
        import numpy as np

        from sim.inputs.extras import require

        require("xarray")
        import xarray as xr

        frame = self.trajectories
        runs = np.unique(frame["run"].to_numpy())
        months = frame.drop_duplicates("step").sort_values("step")
        states, powers = self.scenario.states, self.scenario.powers
        at = (
            np.searchsorted(runs, frame["run"].to_numpy()),
            np.searchsorted(months["step"].to_numpy(), frame["step"].to_numpy()),
            _positions(frame["state"], states),
            _positions(frame["power"], powers),
        )
        shape = (len(runs), len(months), len(states), len(powers))
        data = {}
        for name in (c for c in frame.columns if c not in ("run", "step", "date", "state", "power")):
            values = np.full(shape, np.nan)
            values[at] = frame[name].to_numpy(dtype=float)
            data[name] = (("run", "date", "state", "power"), values)
        coords = {"run": runs, "date": months["date"].astype(str).to_numpy(), "state": states, "power": powers}
        return xr.Dataset(data, coords=coords, attrs={"scenario": self.scenario.name})

    @cached_property
    def events_by_run(self) -> pd.DataFrame:
        """One row per run an event happened in (run, date, kind, states, power, bloc, label), as
        events_by_run.parquet (or .csv): count rows to ask how many runs saw an event, or several together."""
        import pandas as pd

        if self._simulation is not None:
            return self._simulation.events_by_run
        (path,) = self.folder.glob("events_by_run.*")
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False).astype({"run": int})

    @cached_property
    def draws(self) -> pd.DataFrame:
        """One row per run: its seed, whether it drew its starting levels from the evidence, every parameter value
        it used, and every evidence-derived level it started from (attribute:state:power), as draws.parquet."""
        if self._simulation is not None:
            return self._simulation.draws()
        import pandas as pd

        (path,) = self.folder.glob("draws.*")
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)

    @cached_property
    def uncertainty(self) -> pd.DataFrame:
        """Each state's 5-95% band width with every source, with each alone, and each source's share."""
        if self._simulation is not None:
            return self._simulation.spread()
        return _read_csv(self.folder / "uncertainty.csv")


def request(
    scenario: str | Path | Scenario,
    runs: int = 200,
    seed: int = 0,
    engine: str = "ensemble",
    uncertainty: str | Iterable[str] | None = None,
    *,
    format: str = "parquet",
    series: Iterable[str] | str | None = None,
    figures: Iterable[str] | str = ("png",),
    **overrides: float,
) -> RunRequest:
    """A checked run request (see `simulate` for the settings): build it once, then `.cost()`, `.simulate()` or
    `.write(folder)`. InputError naming the setting and the fix for anything wrong."""
    from sim.experiments.request import RunRequest
    from sim.inputs.scenario import Scenario

    loaded = scenario if isinstance(scenario, Scenario) else load(scenario)
    return RunRequest.build(loaded, runs, seed, engine, uncertainty, overrides, series, format, figures)


def simulate(
    scenario: str | Path | Scenario | RunRequest,
    runs: int = 200,
    seed: int = 0,
    engine: str = "ensemble",
    uncertainty: str | Iterable[str] | None = None,
    *,
    out: str | Path | bool | None = None,
    force: bool = False,
    format: str = "parquet",
    series: Iterable[str] | str | None = None,
    figures: Iterable[str] | str = ("png",),
    **overrides: float,
) -> Result:
    """Simulate `runs` runs of a scenario (a Scenario, a shipped name or a path) as `alliance-sim run` does.

    `engine`: "ensemble" (all runs at once) or "mesa" (one Mesa model per run): the same numbers.
    `uncertainty`: the sources each run carries, any of shocks, parameters, evidence (a list, or comma-separated
    text; "none" or [] for none; None, the default, for all three). `overrides`, e.g. ``peer_weight=0.2``, are
    merged over the fitted defaults and the scenario's own parameters and hold in every run (the other
    parameters keep their posterior draws).
    `out`: None keeps the runs in memory; a folder (or True: results/<scenario name>/) receives the files
    `alliance-sim run` writes, in `format` (parquet or csv) with the trajectories' `series` and the figures as
    `figures` (any of png, svg, pdf), replacing a previous results folder only with `force`. A RunRequest (from
    `request`) may be given instead of the scenario and its settings."""
    from sim.experiments.request import RunRequest

    if isinstance(scenario, RunRequest):
        chosen = scenario
    else:
        chosen = request(
            scenario, runs, seed, engine, uncertainty, format=format, series=series, figures=figures, **overrides
        )
    if out is None or out is False:
        simulation = chosen.simulate()
        return Result(chosen.scenario, simulation.summary, simulation.events, None, simulation)
    folder = chosen.write(
        None if out is True else _path(out, "out", "a folder's path, or True for results/<scenario name>"), force
    )
    return Result(chosen.scenario, _read_csv(folder / "summary.csv"), _read_csv(folder / "events.csv"), folder)


def experiment(
    experiment: str | Path,
    out: str | Path,
    *,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    force: bool = False,
) -> pd.DataFrame:
    """Run an experiment file (as `alliance-sim batch`) into the folder `out` and return its per-run outcomes,
    one row per point, run and state, joined with each point's parameter values (outcomes.parquet and points.csv
    read back from the folder). Points that raised are left out with a warning (failures.csv names them)."""
    import warnings

    import pyarrow.parquet as pq

    from sim.experiments.batch import run_batch
    from sim.experiments.chunks import OUTCOMES
    from sim.outputs.folders import recorded_files

    out = _path(out, "out", "a folder's path")
    path = _path(experiment, "experiment", "an experiment YAML file's path")
    outcome = run_batch(path, out, executor, scheduler, workers, resume, force)
    if outcome.status == "interrupted":
        raise KeyboardInterrupt(f"the batch in {out} was interrupted; run it again with resume=True to finish")
    if outcome.failed_points:
        warnings.warn(f"some points failed and are left out; {out / 'failures.csv'} lists them", stacklevel=2)
    files = [str(path) for path in recorded_files(out, OUTCOMES)]  # only what the batch wrote
    outcomes = pq.read_table(files).to_pandas().sort_values(["point", "run"], kind="stable")
    points = _read_csv(out / "points.csv")
    shared = [c for c in points.columns if c in outcomes.columns and c != "point"]
    return outcomes.merge(points.drop(columns=shared), on="point", how="left")


def compare(
    folders: Iterable[str | Path],
    out: str | Path | None = None,
    *,
    horizons: str | Iterable[str] | None = None,
    force: bool = False,
    figures: Iterable[str] | str = ("png",),
) -> Comparison:
    """Compare results folders (the first is the reference; a batch point as "DIR:point=N") as
    `alliance-sim compare` does. The returned Comparison holds the DataFrames `alignment_differences` and
    `dominant_probabilities`; plots (as each of `figures`: png, svg, pdf), manifest.json and report.html are
    written only when `out` is given."""
    from sim.experiments.request import chosen_figures
    from sim.inputs.documents import InputError
    from sim.outputs.compare_folders import compare_folders

    if isinstance(folders, str | os.PathLike) or not isinstance(folders, Iterable):
        raise InputError(
            f"folders={folders!r}: expected a list of results folders, the reference first, e.g. "
            "['results/baseline', 'results/no_invasion']"
        )
    specs = [str(_path(f, "folder", "a results folder's path")) for f in folders]
    if len(specs) < 2:
        raise InputError(f"folders: {len(specs)} given; compare needs at least two results folders")
    wanted = horizons if horizons is None or isinstance(horizons, str) else list(horizons)
    target = None if out is None else _path(out, "out", "a folder's path")
    return compare_folders(specs, target, wanted, force, chosen_figures(figures))


def simulate_points(
    points: pd.DataFrame | Mapping[str, Iterable[float]],
    runs: int = 10,
    seed: int = 0,
    scenario: str | Path | Scenario = "baseline",
    dates: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Simulate each parameter point (a row of `points`, its columns named like the parameters of `params()`)
    `runs` times, in batched engine calls as `alliance-sim sensitivity` does: every point gets the same
    replicate streams (runs 0..runs-1, monthly shocks only), so points differ by their parameters, not by
    luck. Returns one row per point, run, date (default the last month), state and power: `point` (the row's
    position in `points`), `run`, `date`, `state`, `power` and `alignment`. InputError for an unknown
    parameter, a value outside its range, or a date outside the scenario."""
    import numpy as np
    import pandas as pd

    from sim.experiments.points import simulate_table
    from sim.experiments.progress import progress
    from sim.experiments.request import check_runs_and_seed
    from sim.inputs.documents import InputError, suggest
    from sim.inputs.evidence import load_evidence
    from sim.inputs.packaged import EVIDENCE
    from sim.inputs.parameters import BY_NAME
    from sim.inputs.scenario import Scenario
    from sim.model.world import prepare

    check_runs_and_seed(runs, seed)
    table = pd.DataFrame(points)
    if table.empty or not len(table.columns):
        raise InputError("points: expected a table with one row per point and one column per parameter")
    values: dict[str, np.ndarray] = {}
    for name in map(str, table.columns):
        if name not in BY_NAME:
            raise InputError(f"points: unknown parameter column '{name}'{suggest(name, BY_NAME)}")
        column = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
        spec = BY_NAME[name]
        outside = np.flatnonzero(~((column >= spec.low) & (column <= spec.high)))  # NaN is outside too
        if outside.size:
            row = int(outside[0])
            given = table[name].iloc[row]
            shown_value = repr(given.item() if isinstance(given, np.generic) else given)
            raise InputError(
                f"points row {row}, {name}={shown_value}: expected a number from {spec.low} to "
                f"{spec.high} ({spec.description})"
            )
        values[name] = column
    loaded = scenario if isinstance(scenario, Scenario) else load(scenario)
    every = loaded.dates
    chosen = [every[-1]] if dates is None else [dates] if isinstance(dates, str) else [str(d) for d in dates]
    for date in chosen:
        if date not in every:
            raise InputError(f"dates: '{date}' is not a month of scenario '{loaded.name}' ({every[0]} to {every[-1]})")
    cells = len(table) * runs * len(chosen) * len(loaded.states) * len(loaded.powers)
    if cells > 20_000_000:
        raise InputError(f"{cells:,} values would be returned; use fewer points, runs or dates", ("runs", "dates"))
    setup = prepare(loaded, load_evidence(EVIDENCE))
    with progress(len(table), "simulate_points") as bar:
        found = simulate_table(setup, values, int(runs), int(seed), chosen, progress=bar.update)
    labels = {"date": chosen, "state": loaded.states, "power": loaded.powers}
    frame = pd.DataFrame(found)
    for column, names in labels.items():
        frame[column] = pd.Categorical.from_codes(frame[column], categories=names)
    return frame


def params(scenario: str | Path | Scenario | None = None) -> pd.DataFrame:
    """Every tunable parameter as a DataFrame, one row each: name, default (the value a run uses: the fit's, or
    the given scenario's), low and high (its plausible range, what overrides and designs may use) and
    description. The same table as `alliance-sim params --format csv`."""
    from sim.inputs.scenario import Scenario
    from sim.outputs.explain import parameters_frame

    if scenario is None:
        return parameters_frame()
    return parameters_frame(scenario if isinstance(scenario, Scenario) else load(scenario))


def _path(value: object, what: str, expected: str) -> Path:
    """An argument naming a file or folder, as a Path; InputError for another type, a NUL or an impossible name."""
    from sim.inputs.documents import InputError, kind_of, shown
    from sim.outputs.destination import check_name

    if not isinstance(value, str | os.PathLike):
        raise InputError(f"{what}: expected {expected}, got {kind_of(value)} ({shown(value)})")
    path = Path(value)
    check_name(path, "output folder" if what == "out" else f"{what} path", what)
    return path


def _positions(labels: pd.Series, names: list[str]) -> Any:
    """Each label's position in `names`."""
    import pandas as pd

    return pd.Categorical(labels.astype(str), categories=names).codes


def _read_csv(path: Path) -> pd.DataFrame:
    """A table as written, months as text."""
    import pandas as pd

    return pd.read_csv(path, dtype={"date": str})
