"""Three sources of uncertainty in a projection, each of which `run` can switch off: the monthly
shocks, the parameters (each run's own draw from the calibration posterior) and the evidence (each
run's own draw of the starting levels, as wide as the evidence is unsure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.posterior import Posterior
from sim.inputs.documents import InputError, suggest
from sim.inputs.packaged import POSTERIOR, reference
from sim.inputs.scenario import Scenario
from sim.model.ensemble import run_seed, simulate
from sim.model.events import LoggedEvent
from sim.model.trajectories import Trajectories
from sim.model.world import Setup
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
        seeds = np.array([run_seed(seed, int(r)) for r in run_ids], dtype=np.uint64)
        params.update(posterior.draw(seeds))
    if "shocks" not in sources:
        params["shock_scale"] = 0.0
    return params


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
    params = run_parameters(setup, run_ids, seed, sources, posterior)
    return simulate(setup, run_ids, seed, params, progress, log, evidence_draws="evidence" in sources)


def spread_by_source(setup: Setup, runs: int, seed: int, posterior: Posterior | None) -> pd.DataFrame:
    """How wide each state's final shares are with every source on, and with each source alone:
    the 5-95% band width averaged over powers, and each source's share of the summed variances."""

    def final(sources: tuple[str, ...]) -> np.ndarray:
        return simulate_uncertain(setup, runs, seed, sources, posterior).alignment[:, -1]  # (R,S,P)

    finals = {"all": final(SOURCES), **{source: final((source,)) for source in SOURCES}}
    rows = []
    for s, state in enumerate(setup.scenario.states):
        row: dict[str, Any] = {"state": state}
        for name, values in finals.items():
            low, high = np.percentile(values[:, s], [5, 95], axis=0)
            row[f"band_{name}"] = float((high - low).mean())
        variances = {source: float(finals[source][:, s].var(axis=0).mean()) for source in SOURCES}
        total = sum(variances.values()) or 1.0
        row.update({f"share_{source}": variances[source] / total for source in SOURCES})
        rows.append(row)
    return pd.DataFrame(rows)
