"""The model's equations: pure numpy functions over arrays shaped (batch, states, powers).

Both drivers call these: the Mesa model with a batch of one, the ensemble engine with one
row per run. Parameters are floats or arrays of shape (batch,), so a batch can also be a
set of parameter points. Each mechanism of the model is one named function below.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

#: Dependence components, in the order used by a power's instrument mix.
COMPONENTS = ("economic", "security", "regime")

#: Smallest share a state keeps with any power, so that logs and ratios stay finite.
FLOOR = 1e-9


@dataclass
class World:
    """Everything that changes during a run; a leading batch axis on every array."""

    alignment: np.ndarray  # (B,S,P) shares on the simplex
    economic: np.ndarray  # (B,S,P) dependence: trade, energy routes, remittances, investment
    security: np.ndarray  # (B,S,P) dependence: bases, arms, treaties
    regime: np.ndarray  # (B,S,P) support a power gives the ruling regime
    coercion: np.ndarray  # (B,S,P) threat the state perceives from the power itself
    credibility: np.ndarray  # (B,S,P) the power's credibility as a guarantor for the state
    outreach: np.ndarray  # (B,S,P) the power's engagement effort toward the state this month
    commitment: np.ndarray  # (B,S,P) the effort its strategy sustains; one-off pushes fade back to it
    neighbour_threat: np.ndarray  # (B,S) threat from neighbours and separatist conflicts
    insurgent_threat: np.ndarray  # (B,S) threat of insurgent spill-over (Afghanistan)
    capability: np.ndarray  # (B,P) power's ability to project force and money into the region
    free_capacity: np.ndarray  # (B,P) share of that capability not absorbed elsewhere
    leverage: np.ndarray  # (B,P) how much the power needs its clients
    affinity: np.ndarray  # (B,S,P) historical ties not captured by the terms (fixed per run)
    reference_credibility: np.ndarray  # (B,S,P) level credibility recovers toward

    def copy(self) -> World:
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def take(self, rows: slice | np.ndarray) -> World:
        """The same world restricted to some batch rows."""
        return replace(self, **{f.name: getattr(self, f.name)[rows] for f in fields(self)})


def per_run(value, ndim: int) -> np.ndarray:
    """A parameter (float or (B,) array) shaped to broadcast against a (B, ...) array of `ndim` dims."""
    value = np.asarray(value, dtype=float)
    return value.reshape(value.shape + (1,) * (ndim - value.ndim)) if value.ndim else value


# --- utility terms ---------------------------------------------------------------------------


def dependence_pull(world: World, params: dict) -> np.ndarray:
    """Dependence anchors alignment: economic, security and regime ties, each with its weight."""
    return (
        per_run(params["economic_weight"], 3) * world.economic
        + per_run(params["security_weight"], 3) * world.security
        + per_run(params["regime_weight"], 3) * world.regime
    )


def protection_value(capability: np.ndarray, free_capacity: np.ndarray, credibility: np.ndarray) -> np.ndarray:
    """What a power's protection is worth to a state: capability x free capacity x credibility."""
    return capability[:, None, :] * free_capacity[:, None, :] * credibility


def protection_demand(neighbour_threat: np.ndarray, insurgent_threat: np.ndarray) -> np.ndarray:
    """Threat from outside the powers creates demand for a protector: (B,S)."""
    return neighbour_threat + insurgent_threat


def protection_pull(world: World, params: dict) -> np.ndarray:
    """Demand for a protector times what each power's protection is worth."""
    demand = protection_demand(world.neighbour_threat, world.insurgent_threat)[:, :, None]
    value = protection_value(world.capability, world.free_capacity, world.credibility)
    return per_run(params["protection_weight"], 3) * demand * value


def balancing_push(world: World, params: dict) -> np.ndarray:
    """Threat from a power itself pushes a state away from it (balancing)."""
    return -per_run(params["balancing_weight"], 3) * world.coercion


def outreach_pull(world: World, params: dict) -> np.ndarray:
    """Each power's engagement (exercises, investment, Turkic ties) draws states toward it."""
    return per_run(params["outreach_weight"], 3) * world.outreach


def peer_pull(alignment: np.ndarray, neighbourhood: np.ndarray, params: dict) -> np.ndarray:
    """Neighbours and bloc partners carry influence: a weighted mean of their orientations.

    `neighbourhood` is (S,S), rows summing to 1 (or 0 for an isolated state).
    """
    peers = np.matmul(neighbourhood, alignment)
    return per_run(params["peer_weight"], 3) * peers


def utility(world: World, neighbourhood: np.ndarray, params: dict) -> np.ndarray:
    """Sum of the utility terms each state sees for each power: (B,S,P)."""
    return (
        dependence_pull(world, params)
        + protection_pull(world, params)
        + balancing_push(world, params)
        + outreach_pull(world, params)
        + peer_pull(world.alignment, neighbourhood, params)
    )


def hedging_temperature(alignment: np.ndarray, leverage: np.ndarray, params: dict) -> np.ndarray:
    """Leverage: when a state's patrons need it more, it bargains harder and hedges more.

    Returns a temperature >= 1 per state, (B,S,1): higher flattens the choice over powers.
    """
    need = (alignment * leverage[:, None, :]).sum(axis=-1, keepdims=True)
    return 1.0 + per_run(params["hedging_gain"], 3) * need


# --- alignment update -----------------------------------------------------------------------


def softmax(scores: np.ndarray) -> np.ndarray:
    """Multinomial logit over the last axis, stable for any finite scores."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def equilibrium_affinity(alignment: np.ndarray, utility_now: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    """Historical ties chosen so that the starting orientation is the logit target at the start.

    Like the alternative-specific constants of a discrete-choice model calibrated to base-year
    shares: afterwards only changes in the terms (events, outreach, drift) move states.
    """
    return temperature * np.log(np.clip(alignment, FLOOR, 1.0)) - utility_now


def target_alignment(affinity: np.ndarray, utility_now: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    """The orientation a state would choose now: multinomial logit of ties plus utility."""
    return softmax((affinity + utility_now) / temperature)


def adjust(alignment: np.ndarray, target: np.ndarray, params: dict) -> np.ndarray:
    """Partial adjustment (inertia): close a fixed share of the gap to the target each month."""
    rate = per_run(params["adjustment_rate"], 3)
    return alignment + rate * (target - alignment)


def shock(alignment: np.ndarray, draws: np.ndarray, params: dict) -> np.ndarray:
    """Multiplicative log-normal shocks to each share, renormalised so it stays on the simplex."""
    scale = per_run(params["shock_scale"], 3)
    shaken = np.clip(alignment, FLOOR, 1.0) * np.exp(scale * draws)
    shaken = np.maximum(shaken / shaken.sum(axis=-1, keepdims=True), FLOOR)
    return shaken / shaken.sum(axis=-1, keepdims=True)


# --- slow variables -------------------------------------------------------------------------


def build_dependence(level: np.ndarray, outreach: np.ndarray, instrument_share: np.ndarray, params: dict) -> np.ndarray:
    """Outreach turns into dependence over time (investment, arms, regime help), saturating at 1.

    `instrument_share` is (P,): the share of each power's outreach that goes to this component.
    """
    rate = per_run(params["dependence_build_rate"], 3)
    return level + rate * outreach * instrument_share * (1.0 - level)


def reroute_dependence(level: np.ndarray, alignment: np.ndarray, params: dict) -> np.ndarray:
    """States slowly reroute dependence toward the partners they lean to (e.g. oil around Russia).

    Keeps each state's total dependence of this kind and moves it toward its alignment shares.
    """
    rate = per_run(params["rerouting_rate"], 3)
    total = level.sum(axis=-1, keepdims=True)
    return np.clip(level + rate * (alignment * total - level), 0.0, 1.0)


def fade_outreach(outreach: np.ndarray, commitment: np.ndarray, params: dict) -> np.ndarray:
    """One-off engagement (a visit, an exercise, a summit) fades back to what the strategy sustains."""
    rate = per_run(params["outreach_fade"], 3)
    return outreach + rate * (commitment - outreach)


def recover_credibility(credibility: np.ndarray, reference: np.ndarray, params: dict) -> np.ndarray:
    """Reputation heals slowly toward its reference level when nothing new happens."""
    rate = per_run(params["credibility_recovery"], 3)
    return credibility + rate * (reference - credibility)


def appeal_response(capability: np.ndarray, free_capacity: np.ndarray, patron: int, acute_threat: float) -> np.ndarray:
    """Share of a client's acute need its patron can meet now: (B,), 1 = fully answered."""
    available = capability[:, patron] * free_capacity[:, patron]
    return np.clip(available / max(acute_threat, FLOOR), 0.0, 1.0)


def credibility_after_appeal(
    credibility: np.ndarray,
    security: np.ndarray,
    response: np.ndarray,
    client: np.ndarray,
    patron: int,
    params: dict,
) -> np.ndarray:
    """A patron that fails a client under acute threat loses credibility with it and, less, with
    its other security clients (in proportion to their security dependence); answering gains some.

    `client` is an index array of the appealing states; `response` is (B,) from appeal_response.
    """
    failure = 1.0 - response
    penalty = per_run(params["appeal_failure_penalty"], 1) * failure
    spill = per_run(params["reputation_spillover"], 1) * penalty
    gain = per_run(params["appeal_success_gain"], 1) * response
    updated = credibility.copy()
    column = updated[:, :, patron]
    others = np.ones(column.shape[1], dtype=bool)
    others[client] = False
    column[:, others] *= 1.0 - spill[:, None] * security[:, others, patron]
    own = column[:, client] * (1.0 - penalty[:, None])
    column[:, client] = own + gain[:, None] * (1.0 - own)
    return updated


# --- one month ------------------------------------------------------------------------------


def step(world: World, neighbourhood: np.ndarray, instruments: np.ndarray, params: dict, draws: np.ndarray) -> World:
    """Advance every run by one month. `instruments` is (P, 3) in COMPONENTS order; `draws` (B,S,P) N(0,1)."""
    new = world.copy()
    drives = utility(world, neighbourhood, params)
    temperature = hedging_temperature(world.alignment, world.leverage, params)
    target = target_alignment(world.affinity, drives, temperature)
    new.alignment = shock(adjust(world.alignment, target, params), draws, params)
    for k, name in enumerate(COMPONENTS):
        built = build_dependence(getattr(world, name), world.outreach, instruments[:, k], params)
        setattr(new, name, reroute_dependence(built, world.alignment, params))
    new.outreach = fade_outreach(world.outreach, world.commitment, params)
    new.credibility = recover_credibility(world.credibility, world.reference_credibility, params)
    return new


def settle_affinity(world: World, neighbourhood: np.ndarray, params: dict) -> World:
    """Set each run's historical ties so that its starting orientation is an equilibrium."""
    new = world.copy()
    drives = utility(world, neighbourhood, params)
    temperature = hedging_temperature(world.alignment, world.leverage, params)
    new.affinity = equilibrium_affinity(world.alignment, drives, temperature)
    return new
