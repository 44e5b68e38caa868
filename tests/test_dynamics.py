"""Properties of the equations: the simplex holds and nothing blows up anywhere in the parameter ranges."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import dynamics
from sim.dynamics import World
from sim.parameters import PARAMETERS

S, P = 10, 4


def random_world(rng: np.random.Generator, batch: int, extreme: bool) -> World:
    """A world with attributes anywhere in [0, 1] (or at the edges when `extreme`)."""
    unit = (lambda *shape: rng.choice([0.0, 1.0], size=shape)) if extreme else (lambda *shape: rng.random(shape))
    alignment = rng.dirichlet(np.full(P, 0.3 if extreme else 1.0), size=(batch, S))
    credibility = unit(batch, S, P)
    return World(
        alignment=alignment,
        economic=unit(batch, S, P),
        security=unit(batch, S, P),
        regime=unit(batch, S, P),
        coercion=unit(batch, S, P),
        credibility=credibility,
        outreach=5 * unit(batch, S, P),
        commitment=5 * unit(batch, S, P),
        neighbour_threat=unit(batch, S),
        insurgent_threat=unit(batch, S),
        capability=unit(batch, P),
        free_capacity=unit(batch, P),
        leverage=unit(batch, P),
        affinity=np.zeros((batch, S, P)),
        reference_credibility=credibility.copy(),
    )


parameter_points = st.fixed_dictionaries({p.name: st.floats(p.low, p.high) for p in PARAMETERS})


@settings(max_examples=60, deadline=None)
@given(params=parameter_points, seed=st.integers(0, 2**32 - 1), extreme=st.booleans())
def test_step_stays_on_simplex_and_finite(params, seed, extreme):
    rng = np.random.default_rng(seed)
    neighbourhood = rng.random((S, S))
    neighbourhood /= neighbourhood.sum(axis=1, keepdims=True)
    instruments = rng.dirichlet(np.ones(3), size=P)
    world = dynamics.settle_affinity(random_world(rng, 3, extreme), neighbourhood, params)
    for _ in range(24):
        world = dynamics.step(world, neighbourhood, instruments, params, 3 * rng.standard_normal((3, S, P)))
        for name in ("alignment", "economic", "security", "regime", "credibility"):
            assert np.isfinite(getattr(world, name)).all(), name
        assert (world.alignment > 0).all()
        np.testing.assert_allclose(world.alignment.sum(axis=-1), 1.0, atol=1e-12)
        assert ((world.economic >= 0) & (world.economic <= 1)).all()


@settings(max_examples=40, deadline=None)
@given(params=parameter_points, seed=st.integers(0, 2**32 - 1))
def test_per_run_parameters_match_scalar_runs(params, seed):
    """A batch whose rows carry different parameter values equals running each value alone."""
    rng = np.random.default_rng(seed)
    neighbourhood = np.full((S, S), 1.0 / S)
    instruments = np.tile([0.5, 0.3, 0.2], (P, 1))
    world = random_world(rng, 2, False)
    draws = rng.standard_normal((2, S, P))
    varied = {**params, "protection_weight": np.array([0.0, params["protection_weight"]])}
    both = dynamics.step(
        dynamics.settle_affinity(world, neighbourhood, varied), neighbourhood, instruments, varied, draws
    )
    for row, value in enumerate((0.0, params["protection_weight"])):
        alone = {**params, "protection_weight": value}
        one = world.take(slice(row, row + 1))
        one = dynamics.step(
            dynamics.settle_affinity(one, neighbourhood, alone), neighbourhood, instruments, alone, draws[row : row + 1]
        )
        np.testing.assert_allclose(one.alignment[0], both.alignment[row], rtol=0, atol=1e-12)


def test_start_is_an_equilibrium_without_shocks():
    """Historical ties are settled so that, with nothing changing, states stay where they started."""
    rng = np.random.default_rng(1)
    params = {p.name: p.default for p in PARAMETERS} | {"dependence_build_rate": 0.0, "rerouting_rate": 0.0}
    world = random_world(rng, 2, False)
    world.outreach[:] = world.commitment[:] = 0.0
    neighbourhood = np.eye(S)
    settled = dynamics.settle_affinity(world, neighbourhood, params)
    after = dynamics.step(settled, neighbourhood, np.tile([1.0, 0, 0], (P, 1)), params, np.zeros((2, S, P)))
    np.testing.assert_allclose(after.alignment, world.alignment, atol=1e-12)


def test_threat_from_a_power_pushes_away_and_protection_pulls_in():
    params = {p.name: p.default for p in PARAMETERS}
    rng = np.random.default_rng(2)
    world = random_world(rng, 1, False)
    neighbourhood = np.eye(S)
    base = dynamics.utility(world, neighbourhood, params)
    coerced = world.copy()
    coerced.coercion[0, 0, 0] += 0.5
    assert dynamics.utility(coerced, neighbourhood, params)[0, 0, 0] < base[0, 0, 0]
    absorbed = world.copy()
    absorbed.free_capacity[0, 0] *= 0.3
    assert (dynamics.utility(absorbed, neighbourhood, params)[0, :, 0] <= base[0, :, 0]).all()


def test_leverage_raises_hedging():
    scores = np.array([[[2.0, 0.5, 0.1, 0.0]]])
    calm = dynamics.softmax(scores / 1.0)
    needy = dynamics.softmax(
        scores
        / dynamics.hedging_temperature(np.array([[[1.0, 0, 0, 0]]]), np.array([[0.8, 0, 0, 0]]), {"hedging_gain": 2.0})
    )
    entropy = lambda a: -(a * np.log(a)).sum()  # noqa: E731
    assert entropy(needy) > entropy(calm)


def test_failed_appeal_costs_credibility_most_with_the_client():
    params = {p.name: p.default for p in PARAMETERS}
    credibility = np.full((1, 3, 2), 0.8)
    security = np.array([[[0.9, 0.0], [0.5, 0.0], [0.0, 0.0]]])
    failed = dynamics.credibility_after_appeal(credibility, security, np.array([0.0]), np.array([0]), 0, params)
    assert failed[0, 0, 0] < failed[0, 1, 0] < 0.8  # the client loses most, a security client a little
    assert failed[0, 2, 0] == 0.8  # a state with no security ties to the patron is untouched
    assert (failed[..., 1] == 0.8).all()  # other powers untouched
    answered = dynamics.credibility_after_appeal(credibility, security, np.array([1.0]), np.array([0]), 0, params)
    assert answered[0, 0, 0] > 0.8


def test_appeal_response_depends_on_free_capacity():
    full = dynamics.appeal_response(np.array([[0.9]]), np.array([[0.8]]), 0, 0.9)
    absorbed = dynamics.appeal_response(np.array([[0.9]]), np.array([[0.3]]), 0, 0.9)
    assert full[0] > absorbed[0]
    assert 0.0 <= absorbed[0] <= full[0] <= 1.0
