"""Properties of the equations: the simplex holds and nothing blows up anywhere in the parameter ranges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.parameters import PARAMETERS
from sim.model import dynamics
from sim.model.dynamics import MEMBER, Ties, World

S, P, K = 10, 4, 2


def random_ties(rng: np.random.Generator) -> Ties:
    """Random borders, one rivalry, and two blocs: a security bloc led by power 0, a trade bloc by power 1."""
    borders = np.triu(rng.random((S, S)) < 0.3, 1).astype(float)
    borders = borders + borders.T
    rivals = np.zeros((S, S))
    rivals[0, 1] = rivals[1, 0] = 1.0
    borders[0, 1] = borders[1, 0] = 0.0
    members = rng.random((K, S)) < 0.5
    return Ties(borders, rivals, members, np.array([0, 1]), np.array([1, 0]))


def random_world(rng: np.random.Generator, batch: int, extreme: bool, ties: Ties | None = None) -> World:
    """A world with attributes anywhere in [0, 1] (or at the edges when `extreme`)."""
    unit = (lambda *shape: rng.choice([0.0, 1.0], size=shape)) if extreme else (lambda *shape: rng.random(shape))
    alignment = rng.dirichlet(np.full(P, 0.3 if extreme else 1.0), size=(batch, S))
    credibility = unit(batch, S, P)
    coercion = unit(batch, S, P)
    members = ties.members if ties is not None else np.zeros((K, S), dtype=bool)
    interest = unit(batch, S, P)
    allocation = interest / np.maximum(interest.sum(axis=1, keepdims=True), 1e-9)
    return World(
        alignment=alignment,
        economic=unit(batch, S, P),
        security=unit(batch, S, P),
        regime=unit(batch, S, P),
        coercion=coercion,
        pressure=np.zeros((batch, S, P)),
        credibility=credibility,
        interest=interest,
        allocation=allocation,
        outreach=5 * unit(batch, S, P),
        push=5 * unit(batch, S, P),
        memory=rng.dirichlet(np.ones(P), size=(batch, S)),
        neighbour_threat=unit(batch, S),
        insurgent_threat=unit(batch, S),
        acute_threat=unit(batch, S),
        previous_acute=unit(batch, S),
        budget=5 * unit(batch, P),
        capability=unit(batch, P),
        free_capacity=unit(batch, P),
        reference_capacity=unit(batch, P),
        leverage=unit(batch, P),
        coercion_propensity=unit(batch, P),
        adaptive=rng.choice([0.0, 1.0], size=(batch, P)),
        participation=np.broadcast_to(np.where(members, MEMBER, 0), (batch, K, S)).astype(np.int8).copy(),
        months_low=np.zeros((batch, K, S)),
        affinity=np.zeros((batch, S, P)),
        reference_credibility=credibility.copy(),
        reference_coercion=coercion.copy(),
        reference_outreach=np.zeros((batch, S, P)),
        reference_dependence=np.zeros((batch, 3, S, P)),
    )


parameter_points = st.fixed_dictionaries({p.name: st.floats(p.low, p.high) for p in PARAMETERS})


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(params=parameter_points, seed=st.integers(0, 2**32 - 1), extreme=st.booleans())
def test_month_stays_on_simplex_and_finite(params, seed, extreme):
    rng = np.random.default_rng(seed)
    ties = random_ties(rng)
    instruments = rng.dirichlet(np.ones(3), size=P)
    world = dynamics.settle_start(random_world(rng, 3, extreme, ties), ties, params)
    for _ in range(24):
        world, _, _ = dynamics.month(world, ties, instruments, params, 3 * rng.standard_normal((3, S, P)))
        for name in ("alignment", "economic", "security", "regime", "credibility", "outreach", "coercion"):
            assert np.isfinite(getattr(world, name)).all(), name
        assert (world.alignment > 0).all()
        np.testing.assert_allclose(world.alignment.sum(axis=-1), 1.0, atol=1e-12)
        interested = world.interest.sum(axis=1) > 0  # a power with no interest anywhere spends nothing
        np.testing.assert_allclose(world.allocation.sum(axis=1), np.where(interested, 1.0, 0.0), atol=1e-9)
        assert ((world.economic >= 0) & (world.economic <= 1)).all()
        assert ((world.coercion >= 0) & (world.coercion <= 1)).all()


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(params=parameter_points, seed=st.integers(0, 2**32 - 1))
def test_per_run_parameters_match_scalar_runs(params, seed):
    """A batch whose rows carry different parameter values equals running each value alone."""
    rng = np.random.default_rng(seed)
    ties = random_ties(rng)
    instruments = np.tile([0.5, 0.3, 0.2], (P, 1))
    world = random_world(rng, 2, False, ties)
    draws = rng.standard_normal((2, S, P))
    varied = {**params, "protection_weight": np.array([0.0, params["protection_weight"]])}
    both, _, _ = dynamics.month(dynamics.settle_start(world, ties, varied), ties, instruments, varied, draws)
    for row, value in enumerate((0.0, params["protection_weight"])):
        alone = {**params, "protection_weight": value}
        one = dynamics.settle_start(world.take(slice(row, row + 1)), ties, alone)
        one, _, _ = dynamics.month(one, ties, instruments, alone, draws[row : row + 1])
        np.testing.assert_allclose(one.alignment[0], both.alignment[row], rtol=0, atol=1e-12)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(params=parameter_points, seed=st.integers(0, 2**32 - 1))
def test_the_settled_start_is_a_rest_point(params, seed):
    """With no shock, no crisis and no event, a month leaves a settled world where it started: orientation,
    dependence, allocation, credibility and bloc standing, for any parameters in their ranges. (Whether the
    rest point is also stable depends on the parameters; tests/test_rest_point.py holds the fitted model
    to it over ten years of shocks.)"""
    rng = np.random.default_rng(seed)
    ties = random_ties(rng)
    instruments = rng.dirichlet(np.ones(3), size=P)
    world = random_world(rng, 3, False, ties)
    world.acute_threat[:] = world.previous_acute[:] = 0.0
    world.push[:] = 0.0
    world.memory[:] = world.alignment
    world.reference_capacity[:] = world.capability * world.free_capacity
    start = dynamics.settle_start(world, ties, params)
    moved, appeals, _ = dynamics.month(start.copy(), ties, instruments, params, np.zeros((3, S, P)))
    assert not any(appeal.made.any() for appeal in appeals)
    for name in ("alignment", "economic", "security", "regime", "allocation", "outreach", "credibility"):
        np.testing.assert_allclose(getattr(moved, name), getattr(start, name), atol=1e-9, err_msg=name)
    np.testing.assert_array_equal(moved.participation, start.participation)


def test_engagement_beyond_the_start_builds_dependence_and_less_lets_it_erode():
    """Dependence moves only with what powers do: more engagement than at the start raises it, less lowers
    it, and it relaxes toward its starting level, never toward whoever is rising."""
    q = dynamics.rates({p.name: p.default for p in PARAMETERS}, 1)[0]
    level = reference = 0.5
    start, share = 1.0, 0.5
    more = dynamics.build_dependence(level, reference, start + 1.0, start, share, False, q)
    less = dynamics.build_dependence(level, reference, start - 1.0, start, share, False, q)
    same = dynamics.build_dependence(level, reference, start, start, share, False, q)
    assert more > level > less
    assert same == level
    above = dynamics.build_dependence(level + 0.2, reference, start, start, share, False, q)
    assert level + 0.2 > above > level
    assert dynamics.build_dependence(level, reference, start + 1.0, start, share, True, q) == level  # a frozen tie


def utility(world: World, ties: Ties, params: dict) -> np.ndarray:
    out = np.empty(world.alignment.shape)
    dynamics.utility(world, ties.net(), dynamics.rates(params, len(out)), out)
    return out


def test_threat_from_a_power_pushes_away_and_protection_pulls_in():
    params = {p.name: p.default for p in PARAMETERS}
    rng = np.random.default_rng(2)
    ties = random_ties(rng)
    world = random_world(rng, 1, False, ties)
    base = utility(world, ties, params)
    coerced = world.copy()
    coerced.coercion[0, 0, 0] += 0.5
    assert utility(coerced, ties, params)[0, 0, 0] < base[0, 0, 0]
    absorbed = world.copy()
    absorbed.free_capacity[0, 0] *= 0.3
    assert (utility(absorbed, ties, params)[0, :, 0] <= base[0, :, 0]).all()


def test_leverage_raises_hedging():
    scores = np.array([2.0, 0.5, 0.1, 0.0])
    q = dynamics.rates({p.name: p.default for p in PARAMETERS} | {"hedging_gain": 2.0}, 1)[0]
    temperature = dynamics.hedging_temperature(np.array([1.0, 0, 0, 0]), np.array([0.8, 0, 0, 0]), q)
    assert temperature > 1.0
    calm, needy = np.empty(P), np.empty(P)
    dynamics.softmax(scores, calm)
    dynamics.softmax(scores / temperature, needy)
    entropy = lambda a: -(a * np.log(a)).sum()  # noqa: E731
    assert entropy(needy) > entropy(calm)
