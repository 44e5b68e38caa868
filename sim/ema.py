"""An EMA Workbench model of a scenario (`pip install 'alliance-sim[ema]'`): the parameter table as its
uncertainties, named final shares as its outcomes, for exploratory modelling (PRIM, feature scoring).

    import sim.ema
    from ema_workbench import perform_experiments
    model = sim.ema.model(scenario="baseline", runs=10, outcomes=["kazakhstan_china_2030"])
    experiments, outcomes = perform_experiments(model, 100, evaluator=sim.ema.BatchEvaluator(model))

Each experiment is one parameter point simulated `runs` times through `sim.simulate_points` (the same replicate
streams for every point); an outcome is the mean over those runs of a state's alignment with a power at the
December of its year. `BatchEvaluator` simulates all of a call's experiments in one batched engine call, with
the outcomes EMA's `SequentialEvaluator` gives one experiment at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.inputs.extras import require

require("ema")
import pandas as pd  # noqa: E402
from ema_workbench import Model, RealParameter, ScalarOutcome  # noqa: E402
from ema_workbench.em_framework.evaluators import BaseEvaluator  # noqa: E402

from sim.api import load, simulate_points  # noqa: E402
from sim.inputs.documents import InputError, suggest  # noqa: E402
from sim.inputs.parameters import PARAMETERS  # noqa: E402

if TYPE_CHECKING:
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
    loaded = scenario if not isinstance(scenario, str | Path) else load(scenario)
    cells = outcome_cells(loaded, outcomes)
    built = Model(name, function=Outcomes(loaded, cells, runs, seed))
    built.uncertainties = [RealParameter(p.name, p.low, p.high) for p in PARAMETERS]
    built.outcomes = [ScalarOutcome(outcome) for outcome in cells]
    return built


class Outcomes:
    """A model's outcomes for parameter points: one point (EMA's call, by keyword) or a table of them at once."""

    def __init__(self, scenario: Scenario, cells: dict[str, tuple[str, str, str]], runs: int, seed: int) -> None:
        self.scenario, self.cells, self.runs, self.seed = scenario, cells, runs, seed
        self.dates = sorted({cell[0] for cell in cells.values()})

    def __call__(self, **values: float) -> dict[str, float]:
        return self.of(pd.DataFrame({name: [value] for name, value in values.items()}))[0]

    def of(self, points: pd.DataFrame) -> list[dict[str, float]]:
        """Each point's outcomes (the mean over its runs), simulated in batched engine calls."""
        shares = simulate_points(points, self.runs, self.seed, self.scenario, self.dates)
        means = shares.groupby(["point", "date", "state", "power"], observed=True)["alignment"].mean()
        return [{name: float(means[(i, *cell)]) for name, cell in self.cells.items()} for i in range(len(points))]


class BatchEvaluator(BaseEvaluator):  # type: ignore[misc]  # EMA Workbench ships no type hints
    """An EMA evaluator for `model`s: every experiment of a `perform_experiments` call simulated in one batched
    engine call per model, instead of one call each (the outcomes are the same)."""

    def initialize(self) -> None:
        """Nothing to start: the experiments run in this process."""

    def finalize(self) -> None:
        """Nothing to stop."""

    def evaluate_experiments(self, experiments: Iterable[Any], callback: Callable[..., Any], **kwargs: Any) -> None:
        """Simulate the experiments, model by model, and hand each one's outcomes to EMA's `callback`."""
        models = {msi.name: msi for msi in self._msis}
        chosen = list(experiments)
        for name, msi in models.items():
            mine = [experiment for experiment in chosen if experiment.model_name == name]
            if not mine:
                continue
            if not isinstance(msi.function, Outcomes):
                raise InputError(f"model '{name}': BatchEvaluator needs a model made by sim.ema.model")
            points = pd.DataFrame(
                [{u.name: experiment.scenario[u.name] for u in msi.uncertainties} for experiment in mine]
            )
            for experiment, found in zip(mine, msi.function.of(points), strict=True):
                msi.outcomes_output = found  # EMA's outcome processing, as its runner does
                callback(experiment, msi.outcomes_output)
                msi.reset_model()


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
