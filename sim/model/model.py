"""AllianceModel: ten post-Soviet states drifting between the powers, one month per step.

Each month the scenario's dated events fire; each power reallocates its outreach budget and
decides whether to press states drifting away; each state calls on its security patron if a
crisis has just flared up and reviews its bloc memberships; then every state weighs its
dependence, the protection each power can offer, the threat a power itself poses, the powers'
engagement and its peers' choices, and moves part of the way toward the orientation those imply,
with a random shock. The rules and equations are in `sim.model.dynamics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network
from mesa.time import Priority

from sim.inputs.evidence import Evidence
from sim.inputs.geography import BLOCS, POSITIONS
from sim.inputs.packaged import BASELINE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Change, Scenario, load_scenario
from sim.model import dynamics
from sim.model.agents import PowerAgent, StateAgent
from sim.model.trajectories import SERIES, Trajectories, hedging_index
from sim.model.world import Setup, apply_change, decision_records, prepare


@dataclass
class LoggedEvent:
    date: str
    label: str
    source: str
    answered: float | None = None  # for an appeal: share of the need the patron met
    runs: int = 1


class ScheduledEvent:
    """A scenario event waiting on the model's event list (kept alive by the model)."""

    def __init__(self, model: AllianceModel, change: Change) -> None:
        self.model, self.change = model, change

    def fire(self) -> None:
        self.model.trigger(self.change)


class AllianceModel(mesa.Model):
    """The post-Soviet states' alignment between the powers under one scenario.

    `scenario_file` is a path to a scenario YAML (or a loaded Scenario); keyword arguments
    named like the model's parameters (see `alliance-sim params`) override the scenario's. With
    `evidence_draws`, the run starts from its own draw of the evidence-derived levels (seeded by `rng`).
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
        self.appeals: list[dynamics.Appeal] = []
        self.event_log: list[LoggedEvent] = []

        graph = nx.Graph()
        graph.add_nodes_from(range(len(self.states)))
        for i, j, kind in self.setup.edges:
            kinds = graph.edges[i, j]["kinds"] if graph.has_edge(i, j) else []
            graph.add_edge(i, j, kinds=kinds + [kind])
        self.network = Network(
            graph, capacity=1, random=self.random, layout={i: POSITIONS[s] for i, s in enumerate(self.states)}
        )
        for i, name in enumerate(self.states):
            agent = StateAgent(self, name, i)
            agent.cell = self.network[i]
        for p, name in enumerate(self.powers):
            PowerAgent(self, name, p)
        self.power_agents = self.agents_by_type[PowerAgent]
        self.state_agents = self.agents_by_type[StateAgent]

        self._queued = [
            ScheduledEvent(self, c) for month in sorted(self.setup.events) for c in self.setup.events[month]
        ]
        for item in self._queued:
            self.schedule_event(item.fire, at=item.change.month - 0.5, priority=Priority.HIGH)

        self.history = {name: [getattr(self.world, name)[0].copy()] for name in SERIES}
        self.participation = [self.world.participation[0].copy()]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "date": "date",
                "mean_hedging": lambda m: float(hedging_index(m.world.alignment[0]).mean()),
                **{
                    f"leaning_{p}": (lambda m, i=i: int((m.world.alignment[0].argmax(axis=1) == i).sum()))
                    for i, p in enumerate(self.powers)
                },
                **{
                    f"credibility_{p}": (lambda m, i=i: float(m.world.credibility[0, :, i].mean()))
                    for i, p in enumerate(self.powers)
                },
            },
            agenttype_reporters={
                StateAgent: {
                    "state": "name",
                    "dominant_partner": "dominant_partner",
                    "hedging": "hedging",
                    "threat": "threat",
                    **{f"alignment_{p}": (lambda a, p=p: a.alignment[p]) for p in self.powers},
                    **{f"dependence_{p}": (lambda a, p=p: a.dependence[p]) for p in self.powers},
                    **{f"credibility_{p}": (lambda a, p=p: a.credibility[p]) for p in self.powers},
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
        """One month: events have fired; powers decide, states decide, alignment updates; record."""
        self.snapshot = dynamics.decision_snapshot(self.world)
        self.power_agents.do("step")
        before = self.world.participation.copy()
        self.appeals = []
        self.state_agents.do("appeal")
        self.state_agents.do("review_blocs")
        date = self.setup.scenario.date(self.steps)
        for record in decision_records(self.setup, date, self.appeals, before, self.world.participation):
            self.event_log.append(LoggedEvent(**record))
        draws = self.rng.standard_normal(self.world.alignment.shape[1:])[None]
        self.world = dynamics.update(self.world, self.setup.ties, self.setup.scenario.instruments, self.params, draws)
        for name in SERIES:
            self.history[name].append(getattr(self.world, name)[0].copy())
        self.participation.append(self.world.participation[0].copy())
        self.datacollector.collect(self)
        self.running = self.steps < self.setup.scenario.months

    def trigger(self, change: Change) -> None:
        """Apply a change now (a scheduled event, or one a teacher triggers live) and log it."""
        apply_change(self.world, change, self.start)
        date = change.date or self.setup.scenario.date(self.steps + 1)
        self.event_log.append(LoggedEvent(date, change.label, change.source))

    def trajectories(self, run: int = 0) -> Trajectories:
        """Everything recorded so far as a one-run Trajectories."""
        arrays = {name: np.stack(values)[None] for name, values in self.history.items()}
        dates = [self.setup.scenario.date(t) for t in range(len(self.history["alignment"]))]
        return Trajectories(
            self.setup.scenario.name,
            dates,
            self.states,
            self.powers,
            runs=np.array([run]),
            participation=np.stack(self.participation)[None],
            **arrays,
        )
