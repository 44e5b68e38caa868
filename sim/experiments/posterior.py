"""The calibration posterior: approximate Bayesian computation over the fitted parameters.

ABC population Monte Carlo (ABC-SMC after Beaumont et al. 2009): draw parameter points from their
ranges (a uniform prior), keep those whose target loss falls under a tolerance that shrinks each
generation, perturb and re-weight the survivors. Each generation's candidates go through one batched
ensemble call, which makes it several times faster here than evaluating particle by particle.
`run` then gives each run its own draw, so bands show what the targets leave open as well as the
monthly shocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Second word of the stream a run draws its parameter point from (the first is the run's seed).
PARAMETER_STREAM = 1
#: Each generation's tolerance is this quantile of the previous generation's losses.
QUANTILE = 0.5
#: Batches of candidates tried per generation before giving up on filling it.
MAX_BATCHES = 40


@dataclass
class Posterior:
    """Weighted parameter points: names, points (N, D) and weights (N,) summing to 1."""

    names: tuple[str, ...]
    points: np.ndarray
    weights: np.ndarray
    epsilon: float = float("nan")
    evaluations: int = 0

    @property
    def effective_size(self) -> float:
        """Effective sample size of the weighted points, (sum w)^2 / sum w^2."""
        return float(self.weights.sum() ** 2 / (self.weights**2).sum())

    def draw(self, run_seeds: np.ndarray) -> dict[str, np.ndarray]:
        """One point per run, drawn by weight from each run's own stream: {name: (R,) values}."""
        cumulative = np.cumsum(self.weights)
        picks = [np.random.default_rng([int(s), PARAMETER_STREAM]).random() * cumulative[-1] for s in run_seeds]
        rows = np.minimum(np.searchsorted(cumulative, picks, side="right"), len(self.weights) - 1)
        return {name: self.points[rows, d] for d, name in enumerate(self.names)}

    def write(self, path: Path) -> None:
        frame = pd.DataFrame(self.points, columns=list(self.names)).assign(weight=self.weights)
        from sim.outputs.results import write_table

        write_table(frame, path, float_format="%.6g")

    @classmethod
    def read(cls, path: Path) -> Posterior:
        frame = pd.read_csv(path)
        weights = frame.pop("weight").to_numpy(dtype=float)
        return cls(tuple(frame.columns), frame.to_numpy(dtype=float), weights / weights.sum())


def abc_smc(
    losses: Callable[[np.ndarray], np.ndarray],
    names: tuple[str, ...],
    bounds: np.ndarray,
    population: int,
    generations: int,
    epsilon: float,
    seed: int,
) -> Posterior:
    """ABC-SMC with a uniform prior over `bounds` (D, 2); `losses(points (M, D)) -> (M,)` is the distance.

    Stops once the tolerance reaches `epsilon` or after `generations`; deterministic for a seed.
    """
    from scipy.stats import multivariate_normal  # scipy.stats takes seconds to import: only the fit needs it

    rng = np.random.default_rng(seed)
    low, high = bounds[:, 0], bounds[:, 1]
    candidates = low + (high - low) * rng.random((2 * population, len(names)))
    scores = losses(candidates)
    evaluations = len(candidates)
    tolerance = max(epsilon, float(np.quantile(scores, QUANTILE)))
    keep = scores <= tolerance
    particles, kept = candidates[keep], scores[keep]
    weights = np.full(len(particles), 1.0 / len(particles))
    for _ in range(1, generations):
        if tolerance <= epsilon:
            break
        tolerance = max(epsilon, _weighted_quantile(kept, weights, QUANTILE))
        kernel = 2.0 * np.atleast_2d(np.cov(particles.T, aweights=weights))
        found, found_scores = [], []
        for _ in range(MAX_BATCHES):
            parents = particles[rng.choice(len(particles), size=2 * population, p=weights)]
            proposed = parents + rng.multivariate_normal(np.zeros(len(names)), kernel, size=len(parents))
            proposed = proposed[((proposed >= low) & (proposed <= high)).all(axis=1)]
            if len(proposed):
                scores = losses(proposed)
                evaluations += len(proposed)
                found.append(proposed[scores <= tolerance])
                found_scores.append(scores[scores <= tolerance])
            if sum(map(len, found)) >= population:
                break
        accepted = np.concatenate(found)[:population]
        if len(accepted) < 2:
            break
        density = multivariate_normal(np.zeros(len(names)), kernel, allow_singular=True)
        mixture = np.array([(weights * density.pdf(point - particles)).sum() for point in accepted])
        weights = (1.0 / mixture) / (1.0 / mixture).sum()
        particles, kept = accepted, np.concatenate(found_scores)[:population]
    return Posterior(names, particles, weights, tolerance, evaluations)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])
