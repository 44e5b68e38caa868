"""The model's equations and decision rules: pure numpy functions over arrays shaped (batch, states, powers).

Both drivers call these in the same order: the Mesa model through its agents with a batch of
one, the ensemble engine with one row per run. Parameters are floats or arrays of shape (batch,),
so a batch can also be a set of parameter points. Each mechanism and each decision is one named
function below; `month` strings them together in the order of `AllianceModel.step`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

#: Dependence components, in the order used by a power's instrument mix.
COMPONENTS = ("economic", "security", "regime")

#: Smallest share a state keeps with any power, so that logs and ratios stay finite.
FLOOR = 1e-9

#: Bloc participation codes.
NOT_MEMBER, MEMBER, FROZEN, LEFT = 0, 1, 2, 3

#: Months over which a power remembers a state's orientation, to see it drifting away.
MEMORY_MONTHS = 12.0

#: The start's rest allocation: at most this many damped steps, each closing REST_DAMPING of the gap to
#: the preferred allocation, until no share moves by more than REST_TOLERANCE.
REST_ITERATIONS, REST_DAMPING, REST_TOLERANCE = 5000, 0.5, 1e-15


@dataclass
class World:
    """Everything that changes during a run; a leading batch axis on every array."""

    alignment: np.ndarray  # (B,S,P) shares on the simplex
    economic: np.ndarray  # (B,S,P) dependence: trade, energy routes, remittances, investment
    security: np.ndarray  # (B,S,P) dependence: bases, arms, treaties
    regime: np.ndarray  # (B,S,P) support a power gives the ruling regime
    coercion: np.ndarray  # (B,S,P) threat the state perceives from the power itself (words, troops)
    pressure: np.ndarray  # (B,S,P) pressure the power puts on the state this month for drifting away
    credibility: np.ndarray  # (B,S,P) the power's credibility as a guarantor for the state
    interest: np.ndarray  # (B,S,P) how much each state matters to each power (its declared priorities)
    allocation: np.ndarray  # (B,S,P) share of each power's budget spent on each state (sums to 1 over S)
    outreach: np.ndarray  # (B,S,P) the effort a power puts into a state this month: budget x allocation
    push: np.ndarray  # (B,S,P) one-off engagement (a visit, an exercise) that fades away
    memory: np.ndarray  # (B,S,P) orientation remembered over about a year, to see drift
    neighbour_threat: np.ndarray  # (B,S) standing threat from neighbours and separatist conflicts
    insurgent_threat: np.ndarray  # (B,S) standing threat of insurgent spill-over (Afghanistan)
    acute_threat: np.ndarray  # (B,S) a crisis now: an attack, clashes, unrest; fades within months
    previous_acute: np.ndarray  # (B,S) last month's acute threat, to see it jump
    budget: np.ndarray  # (B,P) effort per unit of interest a power spends at its starting capacity
    capability: np.ndarray  # (B,P) power's ability to project force and money into the region
    free_capacity: np.ndarray  # (B,P) share of that capability not absorbed elsewhere
    reference_capacity: np.ndarray  # (B,P) capability x free capacity at the start, what budgets are set against
    leverage: np.ndarray  # (B,P) how much the power needs its clients
    coercion_propensity: np.ndarray  # (B,P) how hard a power presses a client drifting away (strategy)
    adaptive: np.ndarray  # (B,P) 1 where the power reallocates its effort, 0 where it keeps it fixed
    participation: np.ndarray  # (B,K,S) each state's standing in each bloc: NOT_MEMBER, MEMBER, FROZEN, LEFT
    months_low: np.ndarray  # (B,K,S) consecutive months the bloc's leader has been below (or back above) par
    affinity: np.ndarray  # (B,S,P) historical ties not captured by the terms (fixed per run)
    reference_credibility: np.ndarray  # (B,S,P) level credibility recovers toward
    reference_coercion: np.ndarray  # (B,S,P) level perceived coercion returns toward
    reference_outreach: np.ndarray  # (B,S,P) the engagement at the start, which holds dependence at its start
    reference_dependence: np.ndarray  # (B,3,S,P) dependence at the start, by COMPONENTS: the level it returns to

    def copy(self) -> World:
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def take(self, rows: slice | np.ndarray) -> World:
        """The same world restricted to some batch rows."""
        return replace(self, **{f.name: getattr(self, f.name)[rows] for f in fields(self)})


@dataclass(frozen=True)
class Ties:
    """The fixed structure states influence each other through: borders, rivalries and blocs."""

    borders: np.ndarray  # (S,S) 1 for a shared border between states that are not rivals
    rivals: np.ndarray  # (S,S) 1 for a pair of states in open conflict with each other
    members: np.ndarray  # (K,S) bool: founding membership of each bloc
    leader: np.ndarray  # (K,) index of the power leading each bloc, -1 if it is not in the scenario
    tie: np.ndarray  # (K,) index into COMPONENTS of the dependence each bloc builds


def per_run(value: float | np.ndarray, ndim: int) -> np.ndarray:
    """A parameter (float or (B,) array) shaped to broadcast against a (B, ...) array of `ndim` dims."""
    array = np.asarray(value, dtype=float)
    return array.reshape(array.shape + (1,) * (ndim - array.ndim)) if array.ndim else array


# --- utility terms ---------------------------------------------------------------------------


def dependence_pull(world: World, params: dict[str, Any]) -> np.ndarray:
    """Dependence anchors alignment: economic, security and regime ties, each with its weight."""
    return (
        per_run(params["economic_weight"], 3) * world.economic
        + per_run(params["security_weight"], 3) * world.security
        + per_run(params["regime_weight"], 3) * world.regime
    )


def protection_value(capability: np.ndarray, free_capacity: np.ndarray, credibility: np.ndarray) -> np.ndarray:
    """What a power's protection is worth to a state: capability x free capacity x credibility."""
    return capability[:, None, :] * free_capacity[:, None, :] * credibility


def total_threat(world: World) -> np.ndarray:
    """Threat from outside the powers, standing and acute: the demand for a protector, (B,S)."""
    return world.neighbour_threat + world.insurgent_threat + world.acute_threat


def protection_pull(world: World, params: dict[str, Any]) -> np.ndarray:
    """Demand for a protector times what each power's protection is worth."""
    demand = total_threat(world)[:, :, None]
    value = protection_value(world.capability, world.free_capacity, world.credibility)
    return per_run(params["protection_weight"], 3) * demand * value


def balancing_push(world: World, params: dict[str, Any]) -> np.ndarray:
    """Threat from a power itself, standing or pressed this month, pushes a state away from it (balancing)."""
    return -per_run(params["balancing_weight"], 3) * (world.coercion + world.pressure)


def engagement(world: World) -> np.ndarray:
    """What each power visibly does in each state this month: its allocated effort plus one-off pushes."""
    return world.outreach + world.push


def outreach_pull(world: World, params: dict[str, Any]) -> np.ndarray:
    """Each power's engagement (exercises, investment, Turkic ties) draws states toward it."""
    return per_run(params["outreach_weight"], 3) * engagement(world)


def active_members(participation: np.ndarray) -> np.ndarray:
    """Memberships that carry influence this month: (B,K,S) bool (frozen and left ones do not)."""
    return participation == MEMBER


def peer_pull(alignment: np.ndarray, participation: np.ndarray, ties: Ties, params: dict[str, Any]) -> np.ndarray:
    """Peers carry influence along a signed network (B,S,P).

    A shared border pulls a state toward its neighbours' partners; a rival pushes it away from
    the rival's partners; an active bloc membership pulls it toward the bloc's leader as much as
    its fellow members lean to that leader (cohesion). Each state's links are weighted to sum to 1.
    """
    border_part = np.matmul(ties.borders - ties.rivals, alignment)  # (B,S,P)
    links = (ties.borders + ties.rivals).sum(axis=1)[None, :]  # (1,S)
    bloc_part = np.zeros_like(alignment)
    active = active_members(participation)
    for k, leader in enumerate(ties.leader):
        if leader < 0:
            continue
        inside = active[:, k, :]  # (B,S)
        loyalty = np.where(inside, alignment[:, :, leader], 0.0)
        others = inside.sum(axis=1, keepdims=True) - 1.0
        cohesion = np.divide(
            loyalty.sum(axis=1, keepdims=True) - loyalty, others, out=np.zeros_like(loyalty), where=others > 0
        )
        bloc_part[:, :, leader] += np.where(inside & (others > 0), cohesion, 0.0)
        links = links + (inside & (others > 0))
    weight = np.divide(1.0, links, out=np.zeros(links.shape), where=links > 0)[:, :, None]
    return per_run(params["peer_weight"], 3) * weight * (border_part + bloc_part)


def utility(world: World, ties: Ties, params: dict[str, Any]) -> np.ndarray:
    """Sum of the utility terms each state sees for each power: (B,S,P)."""
    return (
        dependence_pull(world, params)
        + protection_pull(world, params)
        + balancing_push(world, params)
        + outreach_pull(world, params)
        + peer_pull(world.alignment, world.participation, ties, params)
    )


def hedging_temperature(alignment: np.ndarray, leverage: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Leverage: when a state's patrons need it more, it bargains harder and hedges more.

    Returns a temperature >= 1 per state, (B,S,1): higher flattens the choice over powers.
    """
    need = (alignment * leverage[:, None, :]).sum(axis=-1, keepdims=True)
    return 1.0 + per_run(params["hedging_gain"], 3) * need


# --- powers decide ---------------------------------------------------------------------------


def outreach_budget(world: World, power: int) -> np.ndarray:
    """A power's total effort this month, (B,): its budget per unit of interest times its interests,
    scaled by its capability x free capacity relative to the start. A war that absorbs a power's
    forces absorbs its outreach too.
    """
    capacity = world.capability[:, power] * world.free_capacity[:, power]
    scale = np.divide(
        capacity,
        world.reference_capacity[:, power],
        out=np.zeros_like(capacity),
        where=world.reference_capacity[:, power] > 0,
    )
    return world.budget[:, power] * scale * world.interest[:, :, power].sum(axis=1)


def courting_value(world: World, power: int, params: dict[str, Any]) -> np.ndarray:
    """What a unit of effort is worth to a power in each state, (B,S), before its interests weigh it.

    Effort gains most where a state is contested (the logit's slope, share x (1 - share)) and
    defends most where the power holds much and rivals push hard there.
    """
    share = world.alignment[:, :, power]
    rivals = engagement(world).sum(axis=-1) - engagement(world)[:, :, power]
    return share * (1.0 - share) + per_run(params["rivalry_weight"], 2) * share * rivals


def preferred_allocation(world: World, power: int, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Where the power would spend its effort, (B,S) summing to 1: in proportion to its interest x the
    courting value of each state; and the split its priorities alone fix (the fallback, and a scripted
    power's allocation)."""
    interest = world.interest[:, :, power]
    fixed = interest / np.maximum(interest.sum(axis=1, keepdims=True), FLOOR)
    wanted = interest * courting_value(world, power, params)
    totals = wanted.sum(axis=1, keepdims=True)
    return np.divide(wanted, totals, out=fixed.copy(), where=totals > 0), fixed


def allocate_effort(world: World, power: int, params: dict[str, Any]) -> np.ndarray:
    """The power's new allocation over states, (B,S), summing to 1.

    An adaptive power moves its allocation toward its preferred one, closing `responsiveness` of the
    gap each month and at most `max_reallocation` per state. A scripted power keeps the allocation its
    priorities fix.
    """
    current = world.allocation[:, :, power]
    wanted, fixed = preferred_allocation(world, power, params)
    cap = per_run(params["max_reallocation"], 2)
    move = np.clip(per_run(params["responsiveness"], 2) * (wanted - current), -cap, cap)
    moved = np.maximum(current + move, 0.0)
    sums = moved.sum(axis=1, keepdims=True)
    moved = np.divide(moved, sums, out=fixed.copy(), where=sums > 0)
    return np.where(world.adaptive[:, power, None] > 0, moved, fixed)


def coercion_pressure(world: World, power: int, params: dict[str, Any]) -> np.ndarray:
    """Pressure a power puts this month on states drifting away from it faster than it tolerates, (B,S).

    Drift is the fall of the state's share below what the power remembers over the last year;
    how hard it presses is the strategy's `coercion` propensity. Pressure is set anew each month
    (it does not pile up), so it eases as the power's memory catches up with the state's new course.
    The client answers by balancing.
    """
    drift = world.memory[:, :, power] - world.alignment[:, :, power]
    excess = np.maximum(drift - per_run(params["coercion_trigger"], 2), 0.0)
    return world.coercion_propensity[:, power, None] * excess


def power_decides(world: World, snapshot: World, power: int, params: dict[str, Any]) -> None:
    """One power's month: reallocate its effort and press drifting clients, judged on `snapshot`."""
    allocation = allocate_effort(snapshot, power, params)
    world.allocation[:, :, power] = allocation
    world.outreach[:, :, power] = outreach_budget(snapshot, power)[:, None] * allocation
    world.pressure[:, :, power] = coercion_pressure(snapshot, power, params)


# --- states decide ---------------------------------------------------------------------------


@dataclass
class Appeal:
    """One state's call for help this month, per run: who appealed, to whom, how well answered."""

    state: int
    made: np.ndarray  # (B,) bool
    patron: np.ndarray  # (B,) index of the power appealed to
    answered: np.ndarray  # (B,) share of the need met, 0..1 (0 where no appeal was made)


def security_patron(world: World, state: int) -> np.ndarray:
    """The power a state depends on most for its security, (B,)."""
    return world.security[:, state, :].argmax(axis=-1)


def appeals_now(world: World, state: int, params: dict[str, Any]) -> np.ndarray:
    """A state appeals when its acute threat jumps past the threshold this month, (B,) bool."""
    threshold = per_run(params["appeal_threshold"], 1)
    return (world.acute_threat[:, state] >= threshold) & (world.previous_acute[:, state] < threshold)


def answering_cost(world: World, state: int, patron: np.ndarray, ties: Ties) -> np.ndarray:
    """What answering costs a patron, (B,): its ties to the aggressor, for the part of the crisis
    coming from a rival neighbour (an insurgency or unrest has no aggressor to offend)."""
    runs = np.arange(len(patron))
    rivals = ties.rivals[state] > 0
    if not rivals.any():
        return np.zeros(len(patron))
    stake = world.alignment[runs[:, None], np.flatnonzero(rivals)[None, :], patron[:, None]].max(axis=1)
    return stake


def appeal_response(world: World, state: int, patron: np.ndarray, ties: Ties) -> np.ndarray:
    """Share of a client's acute need its patron meets, (B,): the force it can spare for the
    crisis, discounted by what answering costs it. 1 = fully answered."""
    runs = np.arange(len(patron))
    available = world.capability[runs, patron] * world.free_capacity[runs, patron]
    need = np.maximum(world.acute_threat[:, state], FLOOR)
    return np.clip(available / need, 0.0, 1.0) * (1.0 - answering_cost(world, state, patron, ties))


def credibility_after_appeal(world: World, appeal: Appeal, params: dict[str, Any]) -> np.ndarray:
    """A patron that fails a client under acute threat loses credibility with it and, less, with
    its other security clients (in proportion to their security dependence); answering gains some."""
    runs = np.flatnonzero(appeal.made)
    updated = world.credibility.copy()
    if not len(runs):
        return updated
    patron = appeal.patron[runs]
    response = appeal.answered[runs]

    def for_appeals(name: str) -> np.ndarray:
        value = np.asarray(params[name], dtype=float)
        return value[runs] if value.ndim else np.full(len(runs), float(value))

    penalty = for_appeals("appeal_failure_penalty") * (1.0 - response)
    spill = for_appeals("reputation_spillover") * penalty
    gain = for_appeals("appeal_success_gain") * response
    column = updated[runs, :, patron]  # (n,S)
    clients = world.security[runs, :, patron]
    others = np.ones(column.shape[1], dtype=bool)
    others[appeal.state] = False
    column[:, others] *= 1.0 - spill[:, None] * clients[:, others]
    own = column[:, appeal.state] * (1.0 - penalty)
    column[:, appeal.state] = own + gain * (1.0 - own)
    updated[runs, :, patron] = column
    return updated


def state_appeals(world: World, state: int, ties: Ties, params: dict[str, Any]) -> Appeal:
    """A state under a sudden crisis calls on its security patron; the answer changes the patron's
    reputation with it and its other clients. Applies the outcome to `world` and returns it."""
    made = appeals_now(world, state, params)
    patron = security_patron(world, state)
    if not made.any():
        return Appeal(state, made, patron, np.zeros(len(made)))
    answered = np.where(made, appeal_response(world, state, patron, ties), 0.0)
    appeal = Appeal(state, made, patron, answered)
    world.credibility = credibility_after_appeal(world, appeal, params)
    return appeal


def bloc_standing(world: World, state: int, ties: Ties, params: dict[str, Any]) -> np.ndarray:
    """A state's new standing in each bloc, (B,K): freeze, leave or return.

    A member of a security bloc freezes its participation once the leader's credibility as a
    guarantor has fallen (below where it stood at the start) and stayed below `freeze_threshold`
    for `freeze_months` (a member that joined trusting its leader little has not been let down);
    a frozen member leaves after twice as long below, or returns once the credibility has stayed
    back above the threshold for `freeze_months`. Trade and cultural blocs are held by trade, not
    protection: their standing does not follow credibility. `months_low` counts months below
    (positive) or back above (negative). Updates `world`.
    """
    threshold = per_run(params["freeze_threshold"], 1)
    months = per_run(params["freeze_months"], 1)
    security = COMPONENTS.index("security")
    for k, leader in enumerate(ties.leader):
        if leader < 0 or ties.tie[k] != security:
            continue
        status = world.participation[:, k, state]
        count = world.months_low[:, k, state]
        credibility = world.credibility[:, state, leader]
        low = (credibility < threshold) & (credibility < world.reference_credibility[:, state, leader])
        member, frozen = status == MEMBER, status == FROZEN
        count = np.where(member, np.where(low, count + 1.0, 0.0), count)
        count = np.where(frozen, np.where(low, np.maximum(count, 0.0) + 1.0, np.minimum(count, 0.0) - 1.0), count)
        freeze = member & (count >= months)
        leave = frozen & (count >= 2 * months)
        rejoin = frozen & (count <= -months)
        status = np.where(freeze, FROZEN, np.where(leave, LEFT, np.where(rejoin, MEMBER, status)))
        world.participation[:, k, state] = status
        world.months_low[:, k, state] = np.where(freeze | leave | rejoin, 0.0, count)
    return world.participation[:, :, state]


# --- alignment update -----------------------------------------------------------------------


def softmax(scores: np.ndarray) -> np.ndarray:
    """Multinomial logit over the last axis, stable for any finite scores."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def equilibrium_affinity(alignment: np.ndarray, utility_now: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    """Historical ties: the constants that make the starting orientation the logit target.

    Like the alternative-specific constants of a discrete-choice model calibrated to base-year
    shares: with them the observed 2021 orientation is each state's own choice under the starting
    drivers, so only a change of those drivers moves it. Centred per state (only differences between
    powers count).
    """
    exact = temperature * np.log(np.clip(alignment, FLOOR, 1.0)) - utility_now
    return exact - exact.mean(axis=-1, keepdims=True)


def target_alignment(affinity: np.ndarray, utility_now: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    """The orientation a state would choose now: multinomial logit of ties plus utility."""
    return softmax((affinity + utility_now) / temperature)


def adjust(alignment: np.ndarray, target: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Partial adjustment (inertia): close a fixed share of the gap to the target each month."""
    rate = per_run(params["adjustment_rate"], 3)
    return alignment + rate * (target - alignment)


def shock(alignment: np.ndarray, draws: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Multiplicative log-normal shocks to each share, renormalised so it stays on the simplex."""
    scale = per_run(params["shock_scale"], 3)
    shaken = np.clip(alignment, FLOOR, 1.0) * np.exp(scale * draws)
    shaken = np.maximum(shaken / shaken.sum(axis=-1, keepdims=True), FLOOR)
    return shaken / shaken.sum(axis=-1, keepdims=True)


def realign(world: World, ties: Ties, params: dict[str, Any], draws: np.ndarray) -> np.ndarray:
    """Every state moves part of the way toward the orientation its terms imply, plus a shock."""
    drives = utility(world, ties, params)
    temperature = hedging_temperature(world.alignment, world.leverage, params)
    target = target_alignment(world.affinity, drives, temperature)
    return shock(adjust(world.alignment, target, params), draws, params)


# --- slow variables -------------------------------------------------------------------------


def build_dependence(
    level: np.ndarray,
    reference: np.ndarray,
    outreach: np.ndarray,
    reference_outreach: np.ndarray,
    instrument_share: np.ndarray,
    params: dict[str, Any],
    frozen: np.ndarray | None = None,
) -> np.ndarray:
    """Dependence follows what powers do: engagement beyond its starting level builds it (investment,
    arms, regime help), engagement short of it lets it erode, and it relaxes toward its starting level,
    which the starting engagement holds at rest. Where `frozen` (a frozen or abandoned bloc tie) it erodes
    but never grows. Kept in 0..1.

    `instrument_share` is (P,): the share of each power's outreach that goes to this component.
    """
    built = per_run(params["dependence_build_rate"], 3) * instrument_share * (outreach - reference_outreach)
    if frozen is not None:
        built = np.where(frozen, np.minimum(built, 0.0), built)
    return np.clip(level + built - per_run(params["dependence_decay"], 3) * (level - reference), 0.0, 1.0)


def frozen_ties(participation: np.ndarray, ties: Ties, shape: tuple[int, ...], component: int) -> np.ndarray:
    """(B,S,P) bool: where a frozen or abandoned bloc membership stops this kind of dependence growing."""
    stopped = np.zeros(shape, dtype=bool)
    for k, leader in enumerate(ties.leader):
        if leader >= 0 and ties.tie[k] == component:
            stopped[:, :, leader] |= (participation[:, k, :] == FROZEN) | (participation[:, k, :] == LEFT)
    return stopped


def fade_push(push: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """One-off engagement (a visit, an exercise, a summit) fades away."""
    return push * (1.0 - per_run(params["outreach_fade"], 3))


def fade_acute_threat(acute: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """A crisis's acute phase passes within months."""
    return acute * (1.0 - per_run(params["acute_fade"], 2))


def recover_credibility(credibility: np.ndarray, reference: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Reputation heals slowly toward its reference level when nothing new happens; so does the
    sting of a power's threats."""
    rate = per_run(params["credibility_recovery"], 3)
    return credibility + rate * (reference - credibility)


def remember(memory: np.ndarray, alignment: np.ndarray) -> np.ndarray:
    """A power's memory of each state's orientation: an average over about a year."""
    return memory + (alignment - memory) / MEMORY_MONTHS


def drift(world: World, new: World, instruments: np.ndarray, ties: Ties, params: dict[str, Any]) -> None:
    """The slow variables move after the month's choices: dependence, pushes, crises, reputations."""
    for k, name in enumerate(COMPONENTS):
        level = getattr(world, name)
        frozen = frozen_ties(world.participation, ties, level.shape, k)
        setattr(
            new,
            name,
            build_dependence(
                level,
                world.reference_dependence[:, k],
                world.outreach,
                world.reference_outreach,
                instruments[:, k],
                params,
                frozen,
            ),
        )
    new.push = fade_push(world.push, params)
    new.previous_acute = world.acute_threat.copy()
    new.acute_threat = fade_acute_threat(world.acute_threat, params)
    new.credibility = recover_credibility(world.credibility, world.reference_credibility, params)
    new.coercion = recover_credibility(world.coercion, world.reference_coercion, params)
    new.memory = remember(world.memory, world.alignment)


# --- one month ------------------------------------------------------------------------------


def update(world: World, ties: Ties, instruments: np.ndarray, params: dict[str, Any], draws: np.ndarray) -> World:
    """After the agents have decided: alignment updates and the slow variables move.

    `instruments` is (P, 3) in COMPONENTS order; `draws` (B,S,P) N(0,1).
    """
    new = world.copy()
    new.alignment = realign(world, ties, params, draws)
    drift(world, new, instruments, ties, params)
    return new


def month(
    world: World, ties: Ties, instruments: np.ndarray, params: dict[str, Any], draws: np.ndarray
) -> tuple[World, list[Appeal], np.ndarray]:
    """One month for every run, as `AllianceModel.step` does it: powers decide, states decide,
    alignment updates. Returns the new world, this month's appeals and the bloc standings before."""
    snapshot = decision_snapshot(world)
    for power in range(world.budget.shape[1]):
        power_decides(world, snapshot, power, params)
    before = world.participation.copy()
    appeals = [state_appeals(world, state, ties, params) for state in range(world.alignment.shape[1])]
    for state in range(world.alignment.shape[1]):
        bloc_standing(world, state, ties, params)
    return update(world, ties, instruments, params, draws), appeals, before


def decision_snapshot(world: World) -> World:
    """Last month's world as the powers judge it: a view sharing every array with `world` except the
    ones their decisions overwrite, so that no power sees another's choice of this month."""
    return replace(world, allocation=world.allocation.copy(), outreach=world.outreach.copy())


def rest_allocation(world: World, params: dict[str, Any]) -> None:
    """Set every power's allocation and outreach to their rest: each adaptive power's preferred
    allocation given every other's (a fixed point, found by damped iteration), each scripted power's
    priorities' split. In place; each run stops on its own, so a run settles alike in any batch."""
    settling = np.ones(len(world.allocation), dtype=bool)
    for _ in range(REST_ITERATIONS):
        snapshot = decision_snapshot(world)
        for power in range(world.budget.shape[1]):
            wanted, fixed = preferred_allocation(snapshot, power, params)
            current = snapshot.allocation[:, :, power]
            moved = np.where(world.adaptive[:, power, None] > 0, current + REST_DAMPING * (wanted - current), fixed)
            world.allocation[:, :, power] = np.where(settling[:, None], moved, current)
            outreach = outreach_budget(snapshot, power)[:, None] * world.allocation[:, :, power]
            world.outreach[:, :, power] = np.where(settling[:, None], outreach, snapshot.outreach[:, :, power])
        settling &= np.abs(world.allocation - snapshot.allocation).max(axis=(1, 2)) >= REST_TOLERANCE
        if not settling.any():
            return


def settle_start(world: World, ties: Ties, params: dict[str, Any]) -> World:
    """Make the start a rest point for each run's parameters: powers at their rest allocation, the
    dependence its engagement holds, and historical ties that make the starting orientation each
    state's own choice. With nothing changing, nothing moves but the shocks."""
    new = world.copy()
    rest_allocation(new, params)
    new.reference_outreach = new.outreach.copy()
    new.reference_dependence = np.stack([getattr(new, name) for name in COMPONENTS], axis=1)
    drives = utility(new, ties, params)
    temperature = hedging_temperature(new.alignment, new.leverage, params)
    new.affinity = equilibrium_affinity(new.alignment, drives, temperature)
    return new
