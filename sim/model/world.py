"""Setting up a scenario's world from the evidence, and applying changes to it.

Both drivers start from `Setup.initial` and apply events with `apply_change`, so they
differ only in how many runs they carry at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np

from sim.inputs.evidence import Derived, Evidence, load_evidence
from sim.inputs.geography import BLOC_LEADERS, BLOC_TIES, BLOCS
from sim.inputs.packaged import EVIDENCE
from sim.inputs.scenario import Change, Scenario
from sim.inputs.vocabulary import (
    PAIR_ATTRIBUTES,
    POWER_ATTRIBUTES,
    STATE_ATTRIBUTES,
    attribute_bound,
    attribute_kind,
)
from sim.model import cache, dynamics
from sim.model.dynamics import MEMBER, NOT_MEMBER, Ties, World

#: Smallest starting share with any power: evidence of "no ties at all" still leaves a state able
#: to turn toward a power that courts it (a share of exactly 0 could never grow in a logit model).
START_FLOOR = 0.02

#: How wide a derived level's uncertainty is: its sd is this x (1 - confidence of its entries).
EVIDENCE_SPREAD = 0.2
#: Confidence counted for a number no evidence entry backs (a named assumption).
ASSUMED_CONFIDENCE = 0.5
#: Second word of the stream a run draws its evidence-derived levels from (the first is the run's seed).
EVIDENCE_STREAM = 2

#: Attributes a change may scale beyond 1 (efforts and budgets).


@dataclass
class Setup:
    """A scenario made concrete: starting world (one run), peer network, events by month."""

    scenario: Scenario
    evidence: Evidence
    base: World  # batch of one, before its rest point is settled
    ties: Ties
    members: dict[str, list[int]]
    edges: list[tuple[int, int, str]]  # (i, j, "border", "rival" or a bloc), i < j: the peer network
    events: dict[int, list[Change]]
    provenance: dict[tuple[str, str | None, str | None], Derived]
    levels: dict[str, np.ndarray] = field(default_factory=dict)  # evidence-derived levels, before `initial:`
    spread: dict[str, np.ndarray] = field(default_factory=dict)  # their uncertainty (sd), from confidence

    @property
    def params(self) -> dict[str, float]:
        return self.scenario.parameters

    def initial(
        self, runs: int, params: dict[str, Any] | None = None, evidence_seeds: np.ndarray | None = None
    ) -> World:
        """The starting world for `runs` runs, settled into its rest point for `params`. With
        `evidence_seeds` (one per run), each run draws its evidence-derived levels from their spread; without,
        runs that share their parameters share their start, which is settled once for them all."""
        records = dynamics.rates(params or self.params, runs)
        cache.compile_phases_aside()  # started by `prepare`, unless this set-up came from another process
        if evidence_seeds is not None:
            world = self.start(draw_levels(self.levels, self.spread, evidence_seeds))
            settled = dynamics.settle_start(world, self.ties, records)
        else:
            keys = np.ascontiguousarray(records).view(f"V{records.dtype.itemsize}")  # bytes: -0.0 and 0.0 differ
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            world = self.base.take(np.zeros(len(first), dtype=int))
            settled = dynamics.settle_start(world, self.ties, records[first]).take(inverse.reshape(-1))
        cache.phases_compiled(self.base, self.ties, self.params, self.scenario.instruments)
        return settled

    def start(self, levels: dict[str, np.ndarray]) -> World:
        """The starting world (batch of the levels' leading axis) with the scenario's `initial:` changes."""
        return _start(self.scenario, levels, self.members, self.resolve)

    def resolve(self, change: Change) -> Change:
        """A change with its target names (states, regions, blocs) turned into state indexes."""
        return replace(change, states=_indexes(change.targets, self.scenario.states, self.members))


def prepare(scenario: Scenario, evidence: Evidence | None = None) -> Setup:
    """Derive the starting world from the evidence, apply the scenario's `initial:` changes."""
    cache.compile_phases_aside()  # the first time on a machine: the month compiles while this derives and settles
    evidence = evidence or load_evidence(EVIDENCE)
    states, powers = scenario.states, scenario.powers
    provenance: dict[tuple[str, str | None, str | None], Derived] = {}
    levels: dict[str, np.ndarray] = {}
    spread: dict[str, np.ndarray] = {}
    grids: dict[str, list[Any]] = {
        **{a: [[(a, s, p) for p in powers] for s in states] for a in PAIR_ATTRIBUTES},
        **{a: [(a, s, None) for s in states] for a in STATE_ATTRIBUTES},
        **{a: [(a, None, p) for p in powers] for a in POWER_ATTRIBUTES},
    }
    for attribute, grid in grids.items():
        found = [
            [evidence.derive(*key) for key in row] if isinstance(row, list) else evidence.derive(*row) for row in grid
        ]
        flat = [item for row in found for item in (row if isinstance(row, list) else [row])]
        keys = [key for row in grid for key in (row if isinstance(row, list) else [row])]
        provenance.update(zip(keys, flat, strict=True))
        shape = (len(states), len(powers)) if attribute in PAIR_ATTRIBUTES else (len(grid),)
        levels[attribute] = np.array([d.value for d in flat]).reshape(shape)
        spread[attribute] = np.array([evidence_spread(evidence, d) for d in flat]).reshape(shape)
    spread["acute_threat"][:] = 0.0  # no crisis at the start is a fact of the scenario, not a reading
    members = {bloc: [i for i, s in enumerate(states) if s in evidence.members(bloc)] for bloc in BLOCS}
    # The base world and the ties are set just below, once the set-up can resolve the scenario's names.
    setup = Setup(scenario, evidence, cast(World, None), cast(Ties, None), members, [], {}, provenance, levels, spread)
    setup.base = setup.start({a: v[None] for a, v in levels.items()})
    for change in scenario.events:
        setup.events.setdefault(change.month, []).append(setup.resolve(change))
    setup.ties, setup.edges = _ties(states, powers, evidence, members)
    return setup


def evidence_spread(evidence: Evidence, found: Derived) -> float:
    """Uncertainty (sd) of a derived level: EVIDENCE_SPREAD x (1 - the mean confidence of the entries
    behind it); a number no entry backs counts as confidence ASSUMED_CONFIDENCE."""
    confidences = [evidence.by_id[i].confidence for i in found.ids if i in evidence.by_id]
    confidence = float(np.mean(confidences)) if confidences else ASSUMED_CONFIDENCE
    return EVIDENCE_SPREAD * (1.0 - confidence)


def draw_levels(
    levels: dict[str, np.ndarray], spread: dict[str, np.ndarray], seeds: np.ndarray
) -> dict[str, np.ndarray]:
    """Each run's evidence-derived levels (leading axis: runs), drawn around the derived values with
    their spread from the run's own stream, kept in 0..1. A run's normals are drawn in one call, the
    levels in order, and the arithmetic is done for every run at once."""
    sizes = [value.size for value in levels.values()]
    normals = np.empty((len(seeds), sum(sizes)))
    for row, seed in zip(normals, seeds, strict=True):
        np.random.default_rng([int(seed), EVIDENCE_STREAM]).standard_normal(out=row)
    draws, at = {}, 0
    for (attribute, value), size in zip(levels.items(), sizes, strict=True):
        drawn = normals[:, at : at + size].reshape(len(seeds), *value.shape)
        draws[attribute] = np.clip(value + spread[attribute] * drawn, 0.0, 1.0)
        at += size
    return draws


def _start(
    scenario: Scenario,
    levels: dict[str, np.ndarray],
    members: dict[str, list[int]],
    resolve: Callable[[Change], Change],
) -> World:
    """The starting world from (batched) levels: floor and normalise the alignment, set the strategies
    and memberships, apply `initial:` changes, then take the references and the first allocation."""
    runs = len(levels["alignment"])
    S, P = len(scenario.states), len(scenario.powers)
    batch: Callable[[Any], np.ndarray] = lambda array: np.repeat(np.asarray(array)[None], runs, axis=0)  # noqa: E731
    floored = np.maximum(levels["alignment"], START_FLOOR)
    alignment = floored / floored.sum(axis=-1, keepdims=True)
    participation = np.full((len(BLOCS), S), NOT_MEMBER, dtype=np.int8)
    for k, bloc in enumerate(BLOCS):
        participation[k, members[bloc]] = MEMBER
    world = World(
        alignment=alignment,
        **{a: levels[a].copy() for a in PAIR_ATTRIBUTES if a != "alignment"},
        interest=batch(scenario.priorities),
        allocation=np.zeros((runs, S, P)),
        outreach=np.zeros((runs, S, P)),
        push=np.zeros((runs, S, P)),
        pressure=np.zeros((runs, S, P)),
        memory=alignment.copy(),
        **{a: levels[a].copy() for a in STATE_ATTRIBUTES},
        previous_acute=levels["acute_threat"].copy(),
        budget=batch(scenario.budget),
        **{a: levels[a].copy() for a in POWER_ATTRIBUTES},
        reference_capacity=np.zeros((runs, P)),
        coercion_propensity=batch(scenario.coercion),
        adaptive=batch(scenario.adaptive.astype(float)),
        participation=batch(participation),
        months_low=np.zeros((runs, len(BLOCS), S)),
        affinity=np.zeros((runs, S, P)),
        reference_credibility=np.zeros((runs, S, P)),
        reference_coercion=np.zeros((runs, S, P)),
        reference_outreach=np.zeros((runs, S, P)),
        reference_dependence=np.zeros((runs, len(dynamics.COMPONENTS), S, P)),
    )
    for change in scenario.initial:
        apply_change(world, resolve(change))
    world.reference_credibility[:] = world.credibility
    world.reference_coercion[:] = world.coercion
    world.previous_acute[:] = world.acute_threat
    world.reference_capacity[:] = world.capability * world.free_capacity
    _start_allocation(world)
    return world


def _start_allocation(world: World) -> None:
    """Every power's split by its declared interests: a scripted power's allocation, and where the search
    for an adaptive power's rest allocation starts (`dynamics.rest_allocation`)."""
    totals = world.interest.sum(axis=1, keepdims=True)
    np.divide(world.interest, totals, out=world.allocation, where=totals > 0)
    for power in range(world.budget.shape[1]):
        world.outreach[:, :, power] = dynamics.outreach_budget(world, power)[:, None] * world.allocation[:, :, power]


def _indexes(names: tuple[str, ...], states: list[str], members: dict[str, list[int]]) -> np.ndarray:
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


def apply_change(world: World, change: Change, start: World | None = None) -> None:
    """Apply one change to every run in place. `restore` needs `start`, the runs' starting world.

    A change of dependence is structural (a pipeline, a treaty, a trade shift): it moves the level
    dependence returns to as well as the level now."""
    _change(change, getattr(world, change.attribute), None if start is None else getattr(start, change.attribute))
    if change.attribute in dynamics.COMPONENTS:
        k = dynamics.COMPONENTS.index(change.attribute)
        _change(change, world.reference_dependence[:, k], None if start is None else start.reference_dependence[:, k])


def _change(change: Change, array: np.ndarray, start: np.ndarray | None) -> None:
    """Apply `change` to `array` (one of the world's arrays, or a view of one) in place."""
    index: tuple[Any, ...] = {
        "power": (slice(None), change.power),
        "state": (slice(None), change.states),
        "pair": (slice(None), change.states, change.power),
    }[attribute_kind(change.attribute)]
    if change.operation == "restore":
        array[index] = cast(np.ndarray, start)[index]  # "restore" changes are applied with the start at hand
        return
    current = array[index]
    updated = {
        "set": np.full_like(current, change.value),
        "add": current + change.value,
        "multiply": current * change.value,
    }[change.operation]
    array[index] = np.clip(updated, 0.0, attribute_bound(change.attribute))
