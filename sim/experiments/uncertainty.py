"""Three sources of uncertainty in a projection, each of which `run` can switch off: the monthly
shocks, the parameters (each run's own draw from the calibration posterior) and the evidence (each
run's own draw of the starting levels, as wide as the evidence is unsure)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.posterior import Posterior
from sim.inputs.documents import InputError, suggest
from sim.inputs.packaged import POSTERIOR, reference
from sim.inputs.scenario import Scenario
from sim.inputs.vocabulary import STATE_ATTRIBUTES
from sim.model.ensemble import run_seeds, simulate
from sim.model.events import LoggedEvent
from sim.model.trajectories import SERIES, Trajectories
from sim.model.world import Setup, draw_levels
from sim.outputs.results import file_digest

SOURCES = ("shocks", "parameters", "evidence")


def load_posterior(path: Path = POSTERIOR) -> Posterior:
    """The calibration posterior `alliance-sim calibrate` wrote; an error naming the fix if it is missing."""
    try:
        return Posterior.read(path)
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as error:
        raise InputError(
            f"{path}: cannot read the calibration posterior ({error.__class__.__name__}); run "
            "'alliance-sim calibrate' to make it, or leave parameter uncertainty out (uncertainty shocks,evidence)",
            ("uncertainty",),
        ) from None


def hold(posterior: Posterior | None, names: Iterable[str]) -> Posterior | None:
    """The posterior without `names`: those parameters take the scenario's value in every run, while each run
    keeps its own draw of the others."""
    if posterior is None:
        return None
    keep = [i for i, name in enumerate(posterior.names) if name not in set(names)]
    return replace(posterior, names=tuple(posterior.names[i] for i in keep), points=posterior.points[:, keep])


def posterior_for(scenario: Scenario, sources: tuple[str, ...]) -> Posterior | None:
    """The posterior a scenario's runs draw from: none unless parameters are uncertain, and without the
    parameters the scenario or an override chose."""
    return hold(load_posterior(), scenario.chosen) if "parameters" in sources else None


def posterior_record(posterior: Posterior | None) -> dict[str, Any] | None:
    """What a manifest says of the posterior the runs drew from."""
    if posterior is None:
        return None
    return {
        "file": reference(POSTERIOR),
        "sha256": file_digest(POSTERIOR),
        "points": len(posterior.weights),
        "effective_size": round(posterior.effective_size, 1),
    }


def chosen_sources(uncertainty: str | Iterable[str]) -> tuple[str, ...]:
    """The sources named in a list or comma-separated text ("none" or nothing for none), checked: InputError
    for an unknown one. The command line's --uncertainty and the API's `uncertainty=` both read through here."""
    if not isinstance(uncertainty, str | Iterable):
        raise InputError(
            f"uncertainty={uncertainty!r}: expected sources as a list or comma-separated text: "
            f"any of {', '.join(SOURCES)}, or none"
        )
    names = uncertainty.split(",") if isinstance(uncertainty, str) else list(uncertainty)
    chosen = tuple(dict.fromkeys(str(name).strip() for name in names if str(name).strip()))
    if chosen == ("none",):
        return ()
    for source in chosen:
        if source not in SOURCES:
            raise InputError(f"uncertainty source '{source}'{suggest(source, SOURCES)} (comma-separated, or none)")
    return chosen


def run_parameters(
    setup: Setup, run_ids: np.ndarray, seed: int, sources: tuple[str, ...], posterior: Posterior | None
) -> dict[str, Any]:
    """The parameters each run uses: the scenario's, each run's posterior draw where parameters are
    uncertain, and no shocks where shocks are switched off."""
    params: dict[str, Any] = dict(setup.params)
    if "parameters" in sources and posterior is not None:
        params.update(posterior.draw(run_seeds(seed, run_ids)))
    if "shocks" not in sources:
        params["shock_scale"] = 0.0
    return params


def draws_table(
    setup: Setup, runs: int, seed: int, sources: tuple[str, ...], posterior: Posterior | None
) -> pd.DataFrame:
    """Each run's draws (draws.parquet): its seed, whether it drew its own starting levels from the evidence, the
    value of every parameter it used (its posterior draw, or the scenario's where parameters are certain or
    held), and every evidence-derived level that has a spread, as the run started from it (its own draw, or the
    derived value), named attribute:state:power."""
    ids = np.arange(runs)
    seeds = run_seeds(seed, ids)
    params = run_parameters(setup, ids, seed, sources, posterior)
    columns: dict[str, Any] = {"run": ids, "seed": seeds, "evidence_drawn": np.full(runs, "evidence" in sources)}
    columns.update(
        {name: np.broadcast_to(np.asarray(value, dtype=np.float64), (runs,)) for name, value in params.items()}
    )
    columns.update(evidence_levels(setup, seeds if "evidence" in sources else None, runs))
    return pd.DataFrame(columns)


def evidence_levels(setup: Setup, seeds: np.ndarray | None, runs: int) -> dict[str, np.ndarray]:
    """Each run's evidence-derived starting levels, one column per level with a spread (attribute:state:power,
    attribute:state or attribute:power): drawn from each run's seed, or the derived values when `seeds` is None."""
    if seeds is None:
        levels = {name: np.broadcast_to(value, (runs, *value.shape)) for name, value in setup.levels.items()}
    else:
        levels = draw_levels(setup.levels, setup.spread, seeds)
    states, powers = setup.scenario.states, setup.scenario.powers
    columns = {}
    for name, spread in setup.spread.items():
        for cell in zip(*np.nonzero(spread), strict=True):
            labels = [states[cell[0]], powers[cell[1]]] if spread.ndim == 2 else []
            if spread.ndim == 1:
                labels = [(states if name in STATE_ATTRIBUTES else powers)[cell[0]]]
            columns[":".join([name, *labels])] = levels[name][(slice(None), *cell)].astype(np.float32)
    return columns


@dataclass(frozen=True)
class Group:
    """Runs (their ids) that carry the same sources of uncertainty."""

    runs: np.ndarray
    sources: tuple[str, ...] = SOURCES


def simulate_groups(
    setup: Setup,
    groups: Sequence[Group],
    seed: int,
    posterior: Posterior | None = None,
    progress: Callable[[int], object] | None = None,
    log: list[LoggedEvent] | None = None,
    kept: list[int] | None = None,
    into: dict[str, np.ndarray] | None = None,
) -> list[Trajectories]:
    """Every group's runs in one batch of the ensemble, each run with its group's sources (run i gives the same
    numbers in any batch); one Trajectories per group, of every month or of the months `kept`, recorded `into`
    the arrays given (see `simulate`). The log, if given, counts the first group's runs."""
    sizes = [len(group.runs) for group in groups]
    params = _joined([run_parameters(setup, group.runs, seed, group.sources, posterior) for group in groups], sizes)
    draws = np.concatenate(
        [np.full(size, "evidence" in group.sources) for group, size in zip(groups, sizes, strict=True)]
    )
    run_ids = np.concatenate([group.runs for group in groups])
    traj = simulate(
        setup, run_ids, seed, params, progress, log, evidence_draws=draws, logged=sizes[0], kept=kept, into=into
    )
    bounds = np.cumsum([0, *sizes])
    return [_rows(traj, slice(first, last)) for first, last in itertools.pairwise(bounds)]


def _joined(parts: list[dict[str, Any]], sizes: list[int]) -> dict[str, Any]:
    """The parameters of several groups' runs in one batch: a value every group shares stays one value, the
    others become one value per run."""
    if len(parts) == 1:
        return parts[0]
    joined: dict[str, Any] = {}
    for name in parts[0]:
        values = [part[name] for part in parts]
        if all(np.ndim(value) == 0 and value == values[0] for value in values):
            joined[name] = values[0]
        else:
            columns = (
                np.broadcast_to(np.asarray(value, dtype=np.float64), (size,))
                for value, size in zip(values, sizes, strict=True)
            )
            joined[name] = np.concatenate(list(columns))
    return joined


def _rows(traj: Trajectories, rows: slice) -> Trajectories:
    arrays = {name: getattr(traj, name)[rows] for name in SERIES}
    participation = None if traj.participation is None else traj.participation[rows]
    return replace(traj, runs=traj.runs[rows], participation=participation, **arrays)


def simulate_uncertain(
    setup: Setup,
    runs: int | np.ndarray,
    seed: int,
    sources: tuple[str, ...] = SOURCES,
    posterior: Posterior | None = None,
    progress: Callable[[int], object] | None = None,
    log: list[LoggedEvent] | None = None,
) -> Trajectories:
    """The ensemble with the chosen sources of uncertainty (run i the same whatever the chunking)."""
    run_ids = np.arange(runs) if np.isscalar(runs) else np.asarray(runs)
    return simulate_groups(setup, [Group(run_ids, sources)], seed, posterior, progress, log)[0]


def spread_groups(runs: int) -> dict[str, Group]:
    """The runs uncertainty.csv measures: the first `runs` runs with every source on ("all") and with each
    source alone."""
    ids = np.arange(runs)
    return {"all": Group(ids, SOURCES), **{source: Group(ids, (source,)) for source in SOURCES}}


def spread_table(setup: Setup, finals: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """How wide each state's final shares (`finals` by name of `spread_groups`, each (runs, S, P)) are with every
    source on, and with each source alone: the 5-95% band width averaged over powers, and each source's share
    of the summed variances."""
    rows = []
    for s, state in enumerate(setup.scenario.states):
        row: dict[str, Any] = {"state": state}
        for name in ("all", *SOURCES):
            low, high = np.percentile(finals[name][:, s], [5, 95], axis=0)
            row[f"band_{name}"] = float((high - low).mean())
        variances = {source: float(finals[source][:, s].var(axis=0).mean()) for source in SOURCES}
        total = sum(variances.values()) or 1.0
        row.update({f"share_{source}": variances[source] / total for source in SOURCES})
        rows.append(row)
    return pd.DataFrame(rows)
