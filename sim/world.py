"""Setting up a scenario's world from the evidence, and applying changes to it.

Both drivers start from `Setup.initial` and apply events with `apply_change`, so they
differ only in how many runs they carry at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import dynamics
from .dynamics import World
from .evidence import EVIDENCE, PAIR_ATTRIBUTES, POWER_ATTRIBUTES, STATE_ATTRIBUTES, Derived, Evidence, load_evidence
from .geography import BLOCS
from .scenario import MAX_OUTREACH, Change, Scenario

#: Weight of a shared border and of each shared bloc in the peer network.
BORDER_WEIGHT, BLOC_WEIGHT = 1.0, 0.5


@dataclass
class Setup:
    """A scenario made concrete: starting world (one run), peer network, events by month."""

    scenario: Scenario
    evidence: Evidence
    base: World  # batch of one, before affinity is settled
    neighbourhood: np.ndarray  # (S,S) rows sum to 1
    members: dict[str, list[int]]
    edges: list[tuple[int, int, str]]  # (i, j, "border" or a bloc), i < j: the peer network
    events: dict[int, list[Change]]
    provenance: dict[tuple, Derived]

    @property
    def params(self) -> dict[str, float]:
        return self.scenario.parameters

    def initial(self, runs: int, params: dict | None = None) -> World:
        """The starting world for `runs` runs, its historical ties settled for `params`."""
        world = self.base.take(np.zeros(runs, dtype=int))
        return dynamics.settle_affinity(world, self.neighbourhood, params or self.params)


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
    levels = np.maximum(pair.pop("alignment"), dynamics.FLOOR)
    base = World(
        alignment=(levels / levels.sum(axis=1, keepdims=True))[None],
        **{a: v[None] for a, v in pair.items()},
        outreach=(scenario.budget[None, :] * scenario.priorities)[None],
        commitment=np.zeros((1, S, P)),
        **{a: v[None] for a, v in per_state.items()},
        **{a: v[None] for a, v in per_power.items()},
        affinity=np.zeros((1, S, P)),
        reference_credibility=pair["credibility"][None].copy(),
    )
    members = {}
    for bloc in BLOCS:
        listed = evidence.members(bloc)
        members[bloc] = [i for i, s in enumerate(states) if s in listed]

    def resolve(change: Change) -> Change:
        return replace(change, states=_indexes(change.states, states, members))

    for change in scenario.initial:
        apply_change(base, resolve(change), scenario.parameters)
    base.reference_credibility = base.credibility.copy()
    base.commitment = base.outreach.copy()  # the starting situation is what the strategies sustain
    events: dict[int, list[Change]] = {}
    for change in scenario.events:
        events.setdefault(change.month, []).append(resolve(change))
    edges = _edges(states, evidence, members)
    return Setup(scenario, evidence, base, _neighbourhood(S, edges), members, edges, events, provenance)


def _indexes(names: np.ndarray, states: list[str], members: dict[str, list[int]]) -> np.ndarray:
    chosen: list[int] = []
    for name in names:
        chosen += members[name] if name in members else [states.index(name)]
    return np.array(sorted(set(chosen)), dtype=int)


def _edges(states: list[str], evidence: Evidence, members: dict[str, list[int]]) -> list[tuple[int, int, str]]:
    """Every shared border and shared bloc between the scenario's states, as (i, j, kind) with i < j."""
    found = []
    for pair in evidence.borders():
        a, b = sorted(pair)
        if a in states and b in states:
            found.append((*sorted((states.index(a), states.index(b))), "border"))
    found += [(i, j, bloc) for bloc, indexes in members.items() for i in indexes for j in indexes if i < j]
    return found


def _neighbourhood(size: int, edges: list[tuple[int, int, str]]) -> np.ndarray:
    """Peer weights: a shared border counts BORDER_WEIGHT, each shared bloc BLOC_WEIGHT; rows normalised."""
    weights = np.zeros((size, size))
    for i, j, kind in edges:
        weight = BORDER_WEIGHT if kind == "border" else BLOC_WEIGHT
        weights[i, j] += weight
        weights[j, i] += weight
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def apply_change(world: World, change: Change, params: dict) -> np.ndarray | None:
    """Apply one change to every run in place. For an appeal, returns the share of need answered (B,)."""
    if change.attribute == "appeal":
        response = dynamics.appeal_response(world.capability, world.free_capacity, change.power, change.value)
        world.credibility = dynamics.credibility_after_appeal(
            world.credibility, world.security, response, change.states, change.power, params
        )
        return response
    array = getattr(world, change.attribute)
    if change.attribute in POWER_ATTRIBUTES:
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
    array[index] = np.clip(updated, 0.0, MAX_OUTREACH if change.attribute in ("outreach", "commitment") else 1.0)
    return None
