"""Setting up a scenario's world from the evidence, and applying changes to it.

Both drivers start from `Setup.initial` and apply events with `apply_change`, so they
differ only in how many runs they carry at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import dynamics
from .dynamics import MEMBER, NOT_MEMBER, Ties, World
from .evidence import EVIDENCE, PAIR_ATTRIBUTES, POWER_ATTRIBUTES, STATE_ATTRIBUTES, Derived, Evidence, load_evidence
from .geography import BLOC_LEADERS, BLOC_TIES, BLOCS
from .scenario import MAX_OUTREACH, Change, Scenario

#: Smallest starting share with any power: evidence of "no ties at all" still leaves a state able
#: to turn toward a power that courts it (a share of exactly 0 could never grow in a logit model).
START_FLOOR = 0.02

#: Attributes a change may scale beyond 1 (efforts and budgets).
UNBOUNDED = ("push", "interest", "budget")


@dataclass
class Setup:
    """A scenario made concrete: starting world (one run), peer network, events by month."""

    scenario: Scenario
    evidence: Evidence
    base: World  # batch of one, before affinity is settled
    ties: Ties
    members: dict[str, list[int]]
    edges: list[tuple[int, int, str]]  # (i, j, "border", "rival" or a bloc), i < j: the peer network
    events: dict[int, list[Change]]
    provenance: dict[tuple, Derived]

    @property
    def params(self) -> dict[str, float]:
        return self.scenario.parameters

    def initial(self, runs: int, params: dict | None = None) -> World:
        """The starting world for `runs` runs, its historical ties settled for `params`."""
        world = self.base.take(np.zeros(runs, dtype=int))
        return dynamics.settle_affinity(world, self.ties, params or self.params)


def prepare(scenario: Scenario, evidence: Evidence | None = None) -> Setup:
    """Derive the starting world from the evidence, apply the scenario's `initial:` changes."""
    evidence = evidence or load_evidence(EVIDENCE)
    states, powers = scenario.states, scenario.powers
    S, P = len(states), len(powers)
    provenance: dict[tuple, Derived] = {}

    def derived(attribute: str, state: str | None, power: str | None) -> float:
        found = evidence.derive(attribute, state, power)
        provenance[(attribute, state, power)] = found
        return found.value

    pair = {a: np.array([[derived(a, s, p) for p in powers] for s in states]) for a in PAIR_ATTRIBUTES}
    per_state = {a: np.array([derived(a, s, None) for s in states]) for a in STATE_ATTRIBUTES}
    per_power = {a: np.array([derived(a, None, p) for p in powers]) for a in POWER_ATTRIBUTES}
    levels = np.maximum(pair.pop("alignment"), START_FLOOR)
    alignment = levels / levels.sum(axis=1, keepdims=True)
    members = {bloc: [i for i, s in enumerate(states) if s in evidence.members(bloc)] for bloc in BLOCS}
    participation = np.full((len(BLOCS), S), NOT_MEMBER, dtype=np.int8)
    for k, bloc in enumerate(BLOCS):
        participation[k, members[bloc]] = MEMBER
    base = World(
        alignment=alignment[None],
        **{a: v[None] for a, v in pair.items()},
        interest=scenario.priorities[None].copy(),
        allocation=np.zeros((1, S, P)),
        outreach=np.zeros((1, S, P)),
        push=np.zeros((1, S, P)),
        pressure=np.zeros((1, S, P)),
        memory=alignment[None].copy(),
        **{a: v[None] for a, v in per_state.items()},
        previous_acute=per_state["acute_threat"][None].copy(),
        budget=scenario.budget[None].copy(),
        **{a: v[None] for a, v in per_power.items()},
        reference_capacity=np.zeros((1, P)),
        coercion_propensity=scenario.coercion[None].copy(),
        adaptive=scenario.adaptive[None].astype(float),
        participation=participation[None],
        months_low=np.zeros((1, len(BLOCS), S)),
        affinity=np.zeros((1, S, P)),
        reference_credibility=pair["credibility"][None].copy(),
        reference_coercion=pair["coercion"][None].copy(),
    )

    def resolve(change: Change) -> Change:
        return replace(change, states=_indexes(change.states, states, members))

    for change in scenario.initial:
        apply_change(base, resolve(change))
    base.reference_credibility = base.credibility.copy()
    base.reference_coercion = base.coercion.copy()
    base.previous_acute = base.acute_threat.copy()
    base.reference_capacity = base.capability * base.free_capacity
    _start_allocation(base)
    events: dict[int, list[Change]] = {}
    for change in scenario.events:
        events.setdefault(change.month, []).append(resolve(change))
    ties, edges = _ties(states, powers, evidence, members)
    return Setup(scenario, evidence, base, ties, members, edges, events, provenance)


def _start_allocation(world: World) -> None:
    """At the start every power spends on each state in proportion to its declared interest."""
    totals = world.interest.sum(axis=1, keepdims=True)
    world.allocation = np.divide(world.interest, totals, out=np.zeros_like(world.interest), where=totals > 0)
    for power in range(world.budget.shape[1]):
        world.outreach[:, :, power] = dynamics.outreach_budget(world, power)[:, None] * world.allocation[:, :, power]


def _indexes(names: np.ndarray, states: list[str], members: dict[str, list[int]]) -> np.ndarray:
    chosen: list[int] = []
    for name in names:
        chosen += members[name] if name in members else [states.index(name)]
    return np.array(sorted(set(chosen)), dtype=int)


def _ties(
    states: list[str], powers: list[str], evidence: Evidence, members: dict[str, list[int]]
) -> tuple[Ties, list[tuple[int, int, str]]]:
    """The signed peer network from the evidence's borders, rivalries and bloc memberships, and the
    same links as a list of (i, j, kind) with i < j for the Mesa space and the map."""
    S = len(states)
    borders, rivals = np.zeros((S, S)), np.zeros((S, S))
    edges: list[tuple[int, int, str]] = []
    for kind, matrix, pairs in (("rival", rivals, evidence.rivalries()), ("border", borders, evidence.borders())):
        for pair in pairs:
            a, b = sorted(pair)
            if a in states and b in states:
                i, j = sorted((states.index(a), states.index(b)))
                if kind == "border" and rivals[i, j]:
                    continue  # rivals that share a border push apart; they do not also pull together
                matrix[i, j] = matrix[j, i] = 1.0
                edges.append((i, j, kind))
    edges += [(i, j, bloc) for bloc, indexes in members.items() for i in indexes for j in indexes if i < j]
    member_matrix = np.array([[i in members[bloc] for i in range(S)] for bloc in BLOCS], dtype=bool)
    leader = np.array([powers.index(BLOC_LEADERS[b]) if BLOC_LEADERS[b] in powers else -1 for b in BLOCS])
    tie = np.array([dynamics.COMPONENTS.index(BLOC_TIES[b]) for b in BLOCS])
    return Ties(borders, rivals, member_matrix, leader, tie), sorted(edges)


def apply_change(world: World, change: Change) -> None:
    """Apply one change to every run in place."""
    array = getattr(world, change.attribute)
    if change.attribute in POWER_ATTRIBUTES + ("budget",):
        index = (slice(None), change.power)
    elif change.attribute in STATE_ATTRIBUTES:
        index = (slice(None), change.states)
    else:
        index = (slice(None), change.states, change.power)
    current = array[index]
    updated = {
        "set": np.full_like(current, change.value),
        "add": current + change.value,
        "multiply": current * change.value,
    }[change.operation]
    array[index] = np.clip(updated, 0.0, MAX_OUTREACH if change.attribute in UNBOUNDED else 1.0)


def decision_records(setup: Setup, date: str, appeals: list[dynamics.Appeal], before: np.ndarray, after: np.ndarray):
    """This month's emergent events (appeals and their answers, bloc freezes, exits and returns) as
    log records, one per distinct event: in how many runs it happened and, for an appeal, the mean
    share of the need answered there."""
    states, powers = setup.scenario.states, setup.scenario.powers
    records = []
    for appeal in appeals:
        for patron in np.unique(appeal.patron[appeal.made]):
            runs = appeal.made & (appeal.patron == patron)
            records.append(
                {
                    "date": date,
                    "label": f"{states[appeal.state]} appeals to {powers[patron]} for help",
                    "source": "model",
                    "answered": float(appeal.answered[runs].mean()),
                    "runs": int(runs.sum()),
                }
            )
    verbs = {
        dynamics.FROZEN: "freezes its {} membership",
        dynamics.LEFT: "leaves the {}",
        dynamics.MEMBER: "returns to the {}",
    }
    changed = before != after  # (B,K,S)
    for state in range(len(states)):
        for k, bloc in enumerate(BLOCS):
            moved = changed[:, k, state]
            for status in np.unique(after[moved, k, state]):
                runs = moved & (after[:, k, state] == status)
                label = f"{states[state]} " + verbs[int(status)].format(bloc)
                records.append(
                    {"date": date, "label": label, "source": "model", "answered": None, "runs": int(runs.sum())}
                )
    return records
