"""AllianceModel: ten post-Soviet states drifting between the powers, one month per step.

Each month the scenario's dated events fire; then the phases of `sim.model.dynamics.MONTH` run in
order: each power reallocates its outreach budget and decides whether to press states drifting away;
each state calls on its security patron if a crisis has just flared up, then reviews its bloc
memberships; then every state weighs its dependence, the protection each power can offer, the threat
a power itself poses, the powers' engagement and its peers' choices, and moves part of the way toward
the orientation those imply, with a random shock. The rules and equations are in `sim.model.dynamics`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import mesa
import numpy as np
from mesa.time import Priority

from sim.inputs.evidence import Evidence
from sim.inputs.geography import BLOCS
from sim.inputs.packaged import BASELINE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Change, Scenario, load_scenario
from sim.model import dynamics
from sim.model.agents import STANDING, PowerAgent, StateAgent
from sim.model.events import LoggedEvent, decision_records, scheduled
from sim.model.trajectories import SERIES, Trajectories, hedging_index
from sim.model.world import Setup, apply_change, prepare


class ScheduledEvent:
    """A scenario event waiting on the model's event list (kept alive by the model)."""

    def __init__(self, model: AllianceModel, change: Change) -> None:
        self.model, self.change = model, change

    def fire(self) -> None:
        self.model.trigger(self.change)


class AllianceModel(mesa.Model):  # type: ignore[misc]  # mesa has no type information
    """The post-Soviet states' alignment between the powers under one scenario.

    `scenario_file` is a path to a scenario YAML (or a loaded Scenario); keyword arguments
    named like the model's parameters (see `alliance-sim params`) override the scenario's. With
    `evidence_draws`, the run starts from its own draw of the evidence-derived levels (seeded by `rng`).

    The DataCollector records, each month, model reporters named for the whole model (`mean_hedging`,
    `states_leaning_<power>`, `mean_credibility_<power>`) and agent-type reporters, one row per agent: read
    them with `datacollector.get_agenttype_vars_dataframe(StateAgent)` (its `alignment_<power>`,
    `credibility_<power>`, dependence and bloc columns) or `(PowerAgent)`; `mesa.batch_run` merges both.
    """

    def __init__(
        self,
        scenario_file: str | Path | Scenario = BASELINE,
        rng: int | None = None,
        evidence: Evidence | None = None,
        evidence_draws: bool = False,
        **parameters: float,
    ) -> None:
        super().__init__(rng=rng)
        unknown = set(parameters) - set(BY_NAME)
        if unknown:
            raise TypeError(f"unknown model parameters: {', '.join(sorted(unknown))}")
        plan = scenario_file if isinstance(scenario_file, Scenario) else load_scenario(scenario_file, evidence)
        self.setup: Setup = prepare(plan, evidence)
        self.params = {**plan.parameters, **{k: float(v) for k, v in parameters.items()}}
        self.states, self.powers = list(plan.states), list(plan.powers)
        drawn = np.array([rng]) if evidence_draws and rng is not None else None
        self.world = self.setup.initial(1, self.params, drawn)
        self.start = self.world.copy()
        self.snapshot = self.world
        self.month: dynamics.Month | None = None  # the month being stepped, as its phases read it
        self.appeals: list[dynamics.Appeal] = []
        self.event_log: list[LoggedEvent] = []

        for i, name in enumerate(self.states):
            StateAgent(self, name, i)
        for p, name in enumerate(self.powers):
            PowerAgent(self, name, p)
        # the agents acting in each phase of the month (`dynamics.Phase.actors`)
        self.actors = {"powers": self.agents_by_type[PowerAgent], "states": self.agents_by_type[StateAgent]}

        self._queued = [
            ScheduledEvent(self, c) for month in sorted(self.setup.events) for c in self.setup.events[month]
        ]
        for item in self._queued:
            self.schedule_event(item.fire, at=item.change.month - 0.5, priority=Priority.HIGH)

        self._months: list[dict[str, np.ndarray]] = []  # each recorded month's arrays, read once
        self._history: dict[str, np.ndarray] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "date": "date",
                "mean_hedging": lambda m: float(hedging_index(m.world.alignment[0]).mean()),
                **{
                    f"states_leaning_{p}": (lambda m, i=i: int((m.world.alignment[0].argmax(axis=1) == i).sum()))
                    for i, p in enumerate(self.powers)
                },
                **{
                    f"mean_credibility_{p}": (lambda m, i=i: float(m.world.credibility[0, :, i].mean()))
                    for i, p in enumerate(self.powers)
                },
            },
            agenttype_reporters={
                StateAgent: {
                    "state": "name",
                    "dominant_partner": "dominant_partner",
                    "hedging": "hedging",
                    "threat": "threat",
                    **{
                        f"{name}_{p}": (lambda a, name=name, i=i: a.level(name, i))
                        for name in SERIES
                        for i, p in enumerate(self.powers)
                    },
                    **{f"dependence_{p}": (lambda a, p=p: a.dependence[p]) for p in self.powers},
                    **{f"bloc_{b}": (lambda a, b=b: a.blocs.get(b, "-")) for b in BLOCS},
                },
                PowerAgent: {
                    "power": "name",
                    "free_capacity": "free_capacity",
                    "credibility": "credibility",
                    "clients": "clients",
                    "outreach": "outreach",
                },
            },
        )
        self.datacollector.collect(self)

    @property
    def date(self) -> str:
        """The month the model has reached, YYYY-MM."""
        return self.setup.scenario.date(self.steps)

    def step(self) -> None:
        """One month (events have fired): each phase of `dynamics.MONTH` in order, the powers' and the states'
        by each agent for itself, the world's by the model; then record.

        Agents act with `do`, not `shuffle_do`: within a phase each agent reads the same state (the powers
        last month's snapshot) and writes only its own part of the month, so their order changes nothing, and
        a fixed order keeps the run identical to the ensemble's for the same seed."""
        self.snapshot = self.world.copy()  # last month's world, as the powers judge it
        draws = self.rng.standard_normal(self.world.alignment.shape[1:])[None]
        instruments = self.setup.scenario.instruments
        self.month = dynamics.month_of(self.world, self.setup.ties, self.params, self.snapshot, instruments, draws)
        before = self.world.participation.copy()
        for phase in dynamics.MONTH:
            if phase.actors == "world":
                phase.act(self.month, dynamics.everyone(self.month, phase.actors))
            else:
                self.actors[phase.actors].do("act", phase)
        self.appeals = dynamics.appeals_of(self.month)
        date = self.setup.scenario.date(self.steps)
        self.event_log += decision_records(self.setup, date, self.appeals, before, self.world.participation)
        self.datacollector.collect(self)
        self.running = self.steps < self.setup.scenario.months

    def trigger(self, change: Change) -> None:
        """Apply a change now (a scheduled event, or one a teacher triggers live) and log it."""
        apply_change(self.world, change, self.start)
        date = change.date or self.setup.scenario.date(self.steps + 1)
        self.event_log.append(scheduled(self.setup, change, date))

    @property
    def history(self) -> dict[str, np.ndarray]:
        """The run so far as the DataCollector recorded it, as read-only arrays: each of SERIES shaped
        (months, states, powers) and "participation" (months, blocs, states), month 0 the start. Each month's
        records are read once (the DataCollector's per-step records, which its docstring describes), so that a
        page reading the history every month does not rebuild it from the start."""
        collected = len(self.datacollector.model_vars["date"])
        if len(self._months) != collected:
            columns = list(self.datacollector.agenttype_reporters[StateAgent])
            place = {name: 2 + i for i, name in enumerate(columns)}  # after (step, agent id)
            order = {name: i for i, name in enumerate(self.states)}
            codes = {label: code for code, label in STANDING.items()}
            steps = self.datacollector._agenttype_records.values()
            for records in itertools.islice(steps, len(self._months), collected):
                rows = sorted(records[StateAgent], key=lambda row: order[row[place["state"]]])
                month = {
                    name: np.array([[row[place[f"{name}_{p}"]] for p in self.powers] for row in rows], dtype=float)
                    for name in SERIES
                }
                blocs = [[codes[row[place[f"bloc_{b}"]]] for row in rows] for b in BLOCS]
                month["participation"] = np.array(blocs, dtype=np.int8)
                self._months.append(month)
            arrays = {name: np.stack([month[name] for month in self._months]) for name in self._months[0]}
            for array in arrays.values():
                array.flags.writeable = False
            self._history = arrays
        return self._history

    def trajectories(self, run: int = 0) -> Trajectories:
        """Everything recorded so far as a one-run Trajectories."""
        history = self.history
        return Trajectories(
            self.setup.scenario.name,
            list(self.datacollector.model_vars["date"]),
            self.states,
            self.powers,
            runs=np.array([run]),
            **{name: array[None] for name, array in history.items()},
        )
