"""The calibration posterior: approximate Bayesian computation over the fitted parameters.

ABC-SMC (population Monte Carlo after Beaumont et al. 2009): draw parameter points from their ranges
(a uniform prior), keep those whose target loss falls under a tolerance that shrinks each generation,
perturb the survivors with a Gaussian kernel fitted to those already within the next tolerance (the
locally optimal kernel of Filippi et al. 2013) and re-weight them. Once the tolerance reaches its
bound, generations go on at it until the posterior is large enough. The posterior keeps every
candidate of every generation within the final tolerance, weighted by the prior over the mixture of
all the proposals (deterministic-mixture importance sampling), so no evaluation that met it is lost.
Each generation's candidates go through one batched ensemble call. `run` then gives each run its own
draw, so bands show what the targets leave open as well as the monthly shocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

#: Second word of the stream a run draws its parameter point from (the first is the run's seed).
PARAMETER_STREAM = 1
#: Each generation's tolerance is this quantile of the previous generation's losses.
QUANTILE = 0.3
#: Batches of candidates tried per generation before giving up on filling it.
MAX_BATCHES = 40
#: Points whose mixture density is computed at a time (bounds the memory of points x particles x parameters).
MIXTURE_BLOCK = 256


@dataclass
class Posterior:
    """Weighted parameter points: names, points (N, D) and weights (N,) summing to 1."""

    names: tuple[str, ...]
    points: np.ndarray
    weights: np.ndarray
    epsilon: float = float("nan")
    evaluations: int = 0
    generations: tuple[Generation, ...] = ()

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


@dataclass(frozen=True)
class Generation:
    """One generation of the ABC: its tolerance, the candidates it evaluated and how many met the tolerance."""

    tolerance: float
    evaluated: int
    accepted: int

    @property
    def acceptance(self) -> float:
        return self.accepted / self.evaluated if self.evaluated else 0.0


@dataclass(frozen=True)
class Proposal:
    """What drew one generation's candidates: each of `particles` (M, D), chosen by `weights`, perturbed by a
    Gaussian of covariance `spread` + its `offset` (M, D) times its transpose (the locally optimal kernel of
    Filippi et al. 2013), truncated to the ranges (`inside`: the share of its draws that fell inside); and the
    candidates evaluated. The first generation draws from the prior (no particles)."""

    particles: np.ndarray
    weights: np.ndarray
    spread: np.ndarray
    offsets: np.ndarray
    inside: float
    evaluated: int

    @classmethod
    def prior(cls, dimensions: int, evaluated: int) -> Proposal:
        nothing = np.empty((0, dimensions))
        return cls(nothing, np.empty(0), np.eye(dimensions), nothing, 1.0, evaluated)

    @classmethod
    def local(cls, particles: np.ndarray, weights: np.ndarray, scores: np.ndarray, tolerance: float) -> Proposal:
        """The kernel around each particle: the weighted spread of the particles already within the new
        `tolerance`, widened toward their weighted mean (Filippi et al.'s OLCM)."""
        near = scores <= tolerance
        if near.sum() <= particles.shape[1]:  # too few to measure a spread: use them all
            near = np.ones(len(particles), dtype=bool)
        share = weights[near] / weights[near].sum()
        centre = share @ particles[near]
        spread = np.atleast_2d(np.cov(particles[near].T, aweights=share, ddof=0))
        return cls(particles, weights, spread, centre - particles, 1.0, 0)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` perturbed particles (before truncation): (size, D)."""
        rows = rng.choice(len(self.particles), size=size, p=self.weights)
        local = rng.multivariate_normal(np.zeros(len(self.spread)), self.spread, size=size)
        return self.particles[rows] + local + rng.standard_normal((size, 1)) * self.offsets[rows]

    def density(self, points: np.ndarray, volume: float) -> np.ndarray:
        """The density the candidates were drawn from, at `points` (N, D) inside the ranges: (N,)."""
        if not len(self.particles):
            return np.full(len(points), 1.0 / volume)
        return self.kernel_density(points) / self.inside

    def kernel_density(self, points: np.ndarray) -> np.ndarray:
        """The untruncated mixture's density at `points` (N, D), by the rank-one update of `spread` for each
        particle (Sherman-Morrison and the matrix determinant lemma): (N,)."""
        D = len(self.spread)
        inverse = np.linalg.pinv(self.spread, hermitian=True)
        sign, logdet = np.linalg.slogdet(self.spread)
        logdet = logdet if sign > 0 else np.log(np.finfo(float).tiny)
        towards = self.offsets @ inverse  # (M, D)
        stretch = 1.0 + np.einsum("md,md->m", towards, self.offsets)  # (M,)
        found = np.empty(len(points))
        for start in range(0, len(points), MIXTURE_BLOCK):
            block = points[start : start + MIXTURE_BLOCK]
            diff = block[:, None, :] - self.particles[None, :, :]  # (B, M, D)
            square = np.einsum("bmd,de,bme->bm", diff, inverse, diff)
            along = np.einsum("bmd,md->bm", diff, towards)
            log = -0.5 * (square - along**2 / stretch + logdet + np.log(stretch) + D * np.log(2 * np.pi))
            found[start : start + MIXTURE_BLOCK] = np.exp(log) @ self.weights
        return found


def abc_smc(
    losses: Callable[[np.ndarray], np.ndarray],
    names: tuple[str, ...],
    bounds: np.ndarray,
    population: int,
    generations: int,
    epsilon: float,
    seed: int,
    budget: int | None = None,
    effective: float = 0.0,
    report: Callable[[Generation], object] | None = None,
) -> Posterior:
    """ABC-SMC with a uniform prior over `bounds` (D, 2); `losses(points (M, D)) -> (M,)` is the distance.

    Each generation's tolerance is the QUANTILE of the last one's accepted losses, until it reaches `epsilon`;
    then the generations go on at `epsilon` until the posterior's effective size reaches `effective`, or
    `generations` or `budget` (candidates evaluated) run out. `report` hears of each generation as it ends.

    The posterior holds every candidate of every generation whose loss is within the last tolerance, each
    weighted by the prior over the mixture of all generations' proposals (deterministic-mixture importance
    sampling), so no evaluation that met the tolerance is thrown away. Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    low, high = bounds[:, 0], bounds[:, 1]
    volume = float(np.prod(high - low))
    budget = budget or np.iinfo(np.int64).max
    candidates = low + (high - low) * rng.random((2 * population, len(names)))
    scores = losses(candidates)
    tolerance = max(epsilon, float(np.quantile(scores, QUANTILE)))
    keep = scores <= tolerance
    tried = Tried([candidates], [scores])
    history = [Generation(tolerance, len(candidates), int(keep.sum()))]
    proposals = [Proposal.prior(len(names), len(candidates))]
    if report is not None:
        report(history[-1])
    particles, kept = candidates[keep], scores[keep]
    weights = np.full(len(particles), 1.0 / len(particles))
    for _ in range(1, generations):
        evaluated = sum(p.evaluated for p in proposals)
        if evaluated >= budget or len(particles) < 2:
            break
        if tolerance <= epsilon and _effective(tried.recycled(proposals, tolerance, volume)[1]) >= effective:
            break
        tolerance = max(epsilon, _weighted_quantile(kept, weights, QUANTILE))
        kernel = Proposal.local(particles, weights, kept, tolerance)
        found, found_scores, drawn, inside = [], [], 0, 0
        for _ in range(MAX_BATCHES):
            size = min(2 * population, budget - evaluated - inside)
            if size <= 0:
                break
            proposed = kernel.draw(rng, size)
            drawn += len(proposed)
            proposed = proposed[((proposed >= low) & (proposed <= high)).all(axis=1)]
            if len(proposed):
                scores = losses(proposed)
                inside += len(proposed)
                tried.batches.append(proposed)
                tried.scores.append(scores)
                found.append(proposed[scores <= tolerance])
                found_scores.append(scores[scores <= tolerance])
            if sum(map(len, found)) >= population:
                break
        proposals.append(replace(kernel, inside=inside / drawn if drawn else 1.0, evaluated=inside))
        accepted = np.concatenate(found)[:population] if found else np.empty((0, len(names)))
        history.append(Generation(tolerance, inside, sum(map(len, found))))
        if report is not None:
            report(history[-1])
        if len(accepted) < 2:
            break
        mixture = kernel.kernel_density(accepted)
        weights = (1.0 / mixture) / (1.0 / mixture).sum()
        particles, kept = accepted, np.concatenate(found_scores)[:population]
    points, weights = tried.recycled(proposals, tolerance, volume)
    evaluations = sum(p.evaluated for p in proposals)
    return Posterior(names, points, weights / weights.sum(), tolerance, evaluations, tuple(history))


@dataclass
class Tried:
    """Every candidate evaluated, batch by batch, with its loss; and each proposal's density at the candidates of
    each batch within the tolerance when it was first needed. The tolerance never grows, so each density is
    computed once, not again at every generation."""

    batches: list[np.ndarray]
    scores: list[np.ndarray]
    densities: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def recycled(self, proposals: list[Proposal], tolerance: float, volume: float) -> tuple[np.ndarray, np.ndarray]:
        """Every candidate within `tolerance` and its importance weight: the prior's density (uniform) over the
        mixture of the proposals, each in proportion to the candidates it drew."""
        total = sum(p.evaluated for p in proposals)
        within = [scores <= tolerance for scores in self.scores]
        points = np.concatenate([batch[rows] for batch, rows in zip(self.batches, within, strict=True)])

        def density(j: int, p: Proposal) -> np.ndarray:
            return np.concatenate([self._density(i, j, p, rows, volume) for i, rows in enumerate(within)])

        mixture = sum(p.evaluated / total * density(j, p) for j, p in enumerate(proposals))
        return points, (1.0 / volume) / np.asarray(mixture)

    def _density(self, batch: int, proposal: int, p: Proposal, rows: np.ndarray, volume: float) -> np.ndarray:
        """Proposal `p`'s density at the `rows` of a batch, from those it was first computed at (a superset)."""
        if (batch, proposal) not in self.densities:
            self.densities[batch, proposal] = rows, p.density(self.batches[batch][rows], volume)
        first, density = self.densities[batch, proposal]
        return density[rows[first]]


def _effective(weights: np.ndarray) -> float:
    return float(weights.sum() ** 2 / (weights**2).sum()) if len(weights) else 0.0


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])
