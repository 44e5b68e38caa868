"""An EMA Workbench model of a scenario (`pip install 'alliance-sim[ema]'`): the parameter table as its
uncertainties, named final shares as its outcomes, for exploratory modelling (PRIM, feature scoring).

    import sim.ema
    from ema_workbench import SequentialEvaluator, perform_experiments
    model = sim.ema.model(scenario="baseline", runs=10, outcomes=["kazakhstan_china_2030"])
    experiments, outcomes = perform_experiments(model, 100, evaluator=SequentialEvaluator(model))

Each experiment is one parameter point simulated `runs` times through `sim.simulate_points` (the same replicate
streams for every point); an outcome is the mean over those runs of a state's alignment with a power at the
December of its year.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.api import load, simulate_points
from sim.inputs.documents import InputError, suggest
from sim.inputs.extras import require
from sim.inputs.parameters import PARAMETERS

if TYPE_CHECKING:
    from ema_workbench import Model

    from sim.inputs.scenario import Scenario


def model(
    scenario: str | Path | Scenario = "baseline",
    runs: int = 10,
    outcomes: Iterable[str] | None = None,
    seed: int = 0,
    name: str = "alliance_sim",
) -> Model:
    """An `ema_workbench.Model` of the scenario: one `RealParameter` per parameter over its range, one
    `ScalarOutcome` per name `STATE_POWER_YEAR` (lower case, e.g. ``kazakhstan_china_2030``; default every state
    and power at the scenario's last year). InputError for an outcome the scenario does not have."""
    require("ema")
    from ema_workbench import Model, RealParameter, ScalarOutcome

    loaded = scenario if not isinstance(scenario, str | Path) else load(scenario)
    cells = outcome_cells(loaded, outcomes)
    dates = sorted({cell[0] for cell in cells.values()})

    def experiment(**values: float) -> dict[str, float]:
        shares = simulate_points({k: [v] for k, v in values.items()}, runs, seed, loaded, dates)
        means = shares.groupby(["date", "state", "power"], observed=True)["alignment"].mean()
        return {outcome: float(means[cell]) for outcome, cell in cells.items()}

    built = Model(name, function=experiment)
    built.uncertainties = [RealParameter(p.name, p.low, p.high) for p in PARAMETERS]
    built.outcomes = [ScalarOutcome(outcome) for outcome in cells]
    return built


def outcome_cells(scenario: Scenario, outcomes: Iterable[str] | None) -> dict[str, tuple[str, str, str]]:
    """Each outcome's (date, state, power): the December of its year, or the last month in the last year."""
    last = scenario.dates[-1]
    by_name: dict[str, tuple[str, str, str]] = {}
    for year in sorted({date[:4] for date in scenario.dates}):
        month = last if year == last[:4] else f"{year}-12"
        for state in scenario.states:
            for power in scenario.powers:
                by_name[f"{state}_{power}_{year}".lower()] = (month, state, power)
    chosen = [f"{s}_{p}_{last[:4]}".lower() for s in scenario.states for p in scenario.powers]
    wanted = chosen if outcomes is None else [str(outcome) for outcome in outcomes]
    for outcome in wanted:
        if outcome not in by_name:
            raise InputError(
                f"outcome '{outcome}'{suggest(outcome, by_name)}: expected state_power_year of scenario "
                f"'{scenario.name}', e.g. {chosen[0]}"
            )
    return {outcome: by_name[outcome] for outcome in wanted}
