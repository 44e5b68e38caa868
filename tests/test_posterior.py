"""The ABC posterior is the prior restricted to the points within the tolerance, however the generations
proposed them: its weighted points match that region's moments, it reaches the effective size asked for within
its budget, and it says each generation's acceptance rate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.experiments.posterior import Generation, Proposal, Tried, abc_smc

BOUNDS = np.array([[0.0, 1.0], [0.0, 2.0]])
CENTRE = np.array([0.4, 1.1])
#: The region within the tolerance: an L1 ball (a diamond) of this radius, in units of each range.
RADIUS = 0.12


def distance(points: np.ndarray) -> np.ndarray:
    return np.abs((points - CENTRE) / (BOUNDS[:, 1] - BOUNDS[:, 0])).sum(axis=1)


def test_the_posterior_is_the_prior_restricted_to_the_tolerance() -> None:
    """Uniform on the diamond |x| + |y| <= r: mean at its centre, variance r^2 / 6 along each axis (in range
    units), whatever the proposals concentrated on."""
    heard: list[Generation] = []
    posterior = abc_smc(distance, ("x", "y"), BOUNDS, 300, 30, RADIUS, 4, 60_000, 1500, heard.append)
    assert posterior.epsilon == RADIUS and posterior.effective_size >= 1500
    assert (distance(posterior.points) <= RADIUS).all()
    width = BOUNDS[:, 1] - BOUNDS[:, 0]
    mean = posterior.weights @ posterior.points
    variance = posterior.weights @ ((posterior.points - mean) ** 2)
    assert (np.abs(mean - CENTRE) < 0.01 * width).all(), mean
    np.testing.assert_allclose(variance / width**2, RADIUS**2 / 6, rtol=0.1)
    # every candidate within the tolerance is kept, not only the last generation's
    assert len(posterior.points) > max(g.accepted for g in heard)


def test_each_generation_is_reported_with_its_acceptance_rate_and_the_budget_holds() -> None:
    heard: list[Generation] = []
    posterior = abc_smc(distance, ("x", "y"), BOUNDS, 100, 30, 0.02, 1, 5_000, 10**6, heard.append)
    assert list(posterior.generations) == heard and len(heard) > 2
    assert sum(g.evaluated for g in heard) == posterior.evaluations <= 5_000
    assert all(0 < g.acceptance <= 1 and g.acceptance == g.accepted / g.evaluated for g in heard)
    tolerances = [g.tolerance for g in heard]
    assert tolerances == sorted(tolerances, reverse=True)


def test_without_an_effective_size_it_stops_when_the_tolerance_is_reached() -> None:
    posterior = abc_smc(distance, ("x", "y"), BOUNDS, 100, 30, 0.3, 2)
    assert posterior.epsilon == 0.3 and posterior.generations[-2].tolerance > 0.3


def test_the_local_kernel_density_is_the_mixture_of_its_gaussians() -> None:
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(0)
    particles, weights, scores = rng.random((15, 3)), rng.dirichlet(np.ones(15)), rng.random(15)
    kernel = Proposal.local(particles, weights, scores, 0.5)
    points = rng.random((6, 3))
    expected = [
        sum(
            w * multivariate_normal(p, kernel.spread + np.outer(d, d)).pdf(x)
            for p, w, d in zip(particles, weights, kernel.offsets, strict=True)
        )
        for x in points
    ]
    np.testing.assert_allclose(kernel.kernel_density(points), expected, rtol=1e-10)
    drawn = kernel.draw(rng, 100_000)
    np.testing.assert_allclose(drawn.mean(axis=0), weights @ particles, atol=0.01)


@pytest.mark.parametrize("seed", [0, 5])
def test_the_posterior_is_fixed_by_its_seed(seed: int) -> None:
    first, second = (abc_smc(distance, ("x", "y"), BOUNDS, 50, 6, 0.05, seed, 3000, 200) for _ in range(2))
    np.testing.assert_array_equal(first.points, second.points)
    np.testing.assert_array_equal(first.weights, second.weights)


def test_recycled_weights_are_the_mixture_at_every_tolerance_as_it_shrinks() -> None:
    """Each proposal's density is computed once, where it was first needed; as the tolerance shrinks, the weights
    are still the prior over the mixture of the proposals at the candidates left."""
    rng = np.random.default_rng(1)
    batches = [rng.random((40, 2)) for _ in range(3)]
    scores = [rng.random(40) for _ in range(3)]
    proposals = [Proposal.prior(2, 40)] + [
        replace(Proposal.local(b, np.full(40, 1 / 40), s, 0.5), inside=0.8, evaluated=40)
        for b, s in zip(batches[:2], scores[:2], strict=True)
    ]
    tried = Tried(batches, scores)
    for tolerance in (0.9, 0.6, 0.3):
        points, weights = tried.recycled(proposals, tolerance, 1.0)
        expected = np.concatenate(batches)[np.concatenate(scores) <= tolerance]
        mixture = sum(p.evaluated / 120 * p.density(expected, 1.0) for p in proposals)
        np.testing.assert_array_equal(points, expected)
        np.testing.assert_allclose(weights, 1.0 / mixture, rtol=1e-12)
    assert len(tried.densities) == 9
