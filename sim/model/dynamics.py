"""The model's equations and decision rules, compiled with numba: one named function per mechanism.

A month is the ordered tuple `MONTH` of phases (powers decide, states appeal, states review their
blocs, the world moves). Both drivers loop over it: the ensemble engine calls each phase once for
every run and every power or state, the Mesa model lets each agent call it for itself. Each phase
loops over the runs of a batch (arrays shaped (batch, states, powers)) and, within a run, calls the
functions below, written for one run, one state and one power as docs/ODD.md section 7 writes them.
Parameters are one value per run (`Rates`), so a batch can also be a set of parameter points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, cast

import numba
import numpy as np

from sim.inputs.parameters import PARAMETERS

_F = TypeVar("_F", bound=Callable[..., Any])

#: Compiled once per machine and cached on disk (beside this file, or in the user's cache folder where that is
#: not writable, as for an installed package); no fast-math, so every sum keeps its order and a run gives the
#: same numbers in any batch and in either driver.
kernel = cast("Callable[[_F], _F]", numba.njit(cache=True, nogil=True))
#: The same for the small functions of one state or power, compiled into each function that calls them.
inlined = cast("Callable[[_F], _F]", numba.njit(cache=True, nogil=True, inline="always"))

#: Dependence components, in the order used by a power's instrument mix.
COMPONENTS = ("economic", "security", "regime")
SECURITY = 1

#: Smallest share a state keeps with any power, so that logs and ratios stay finite.
FLOOR = 1e-9

#: Bloc participation codes.
NOT_MEMBER, MEMBER, FROZEN, LEFT = 0, 1, 2, 3

#: Months over which a power remembers a state's orientation, to see it drifting away.
MEMORY_MONTHS = 12.0

#: The start's rest allocation: at most this many damped steps, each closing REST_DAMPING of the gap to
#: the preferred allocation, until no share moves by more than REST_TOLERANCE.
REST_ITERATIONS, REST_DAMPING, REST_TOLERANCE = 5000, 0.5, 1e-15


class World(NamedTuple):
    """Everything that changes during a run; a leading batch axis on every array (changed in place)."""

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
    participation: np.ndarray  # (B,K,S) int8: each state's standing in each bloc: NOT_MEMBER, MEMBER, FROZEN, LEFT
    months_low: np.ndarray  # (B,K,S) consecutive months the bloc's leader has been below (or back above) par
    affinity: np.ndarray  # (B,S,P) historical ties not captured by the terms (fixed per run)
    reference_credibility: np.ndarray  # (B,S,P) level credibility recovers toward
    reference_coercion: np.ndarray  # (B,S,P) level perceived coercion returns toward
    reference_outreach: np.ndarray  # (B,S,P) the engagement at the start, which holds dependence at its start
    reference_dependence: np.ndarray  # (B,3,S,P) dependence at the start, by COMPONENTS: the level it returns to

    def copy(self) -> World:
        return World(*(np.array(array, copy=True) for array in self))

    def take(self, rows: slice | np.ndarray) -> World:
        """The same world restricted to some batch rows."""
        return World(*(np.ascontiguousarray(array[rows]) for array in self))


@dataclass(frozen=True)
class Ties:
    """The fixed structure states influence each other through: borders, rivalries and blocs."""

    borders: np.ndarray  # (S,S) 1 for a shared border between states that are not rivals
    rivals: np.ndarray  # (S,S) 1 for a pair of states in open conflict with each other
    members: np.ndarray  # (K,S) bool: founding membership of each bloc
    leader: np.ndarray  # (K,) index of the power leading each bloc, -1 if it is not in the scenario
    tie: np.ndarray  # (K,) index into COMPONENTS of the dependence each bloc builds

    def net(self) -> Net:
        """The ties as the compiled functions read them."""
        return Net(
            np.ascontiguousarray(self.borders, dtype=np.float64),
            np.ascontiguousarray(self.rivals, dtype=np.float64),
            np.ascontiguousarray(self.leader, dtype=np.int64),
            np.ascontiguousarray(self.tie, dtype=np.int64),
            self.peers(),
        )

    def peers(self) -> np.ndarray:
        """Each state's peers (S,S): the states it borders or is a rival of, in order, padded with -1."""
        links = self.borders + self.rivals
        peers = np.full(links.shape, -1, dtype=np.int64)
        for s, row in enumerate(links):
            found = np.flatnonzero(row)
            peers[s, : len(found)] = found
        return peers


class Net(NamedTuple):
    """`Ties` as arrays of fixed types: borders and rivals (S,S), each bloc's leader and tie (K,), and each state's
    peers (S,S): the states it borders or is a rival of, in order, then -1."""

    borders: np.ndarray
    rivals: np.ndarray
    leader: np.ndarray
    tie: np.ndarray
    peers: np.ndarray


#: Every parameter of sim/inputs/parameters.py, which the equations read. `rates` gives one record of them
#: per run; each function reads its run's record `q` (`q.adjustment_rate`), so a batch can carry one
#: parameter point per run.
RATES = tuple(parameter.name for parameter in PARAMETERS)
Rates = np.dtype([(name, np.float64) for name in RATES])
#: One run's record of `Rates`, read by field name (`q.adjustment_rate`).
Record = Any


def rates(params: Mapping[str, Any] | np.ndarray, runs: int) -> np.ndarray:
    """The parameters (floats, or arrays of one value per run) as one `Rates` record per run, (runs,)."""
    if isinstance(params, np.ndarray):
        return params
    records = np.empty(runs, dtype=Rates)
    for name in RATES:
        records[name] = params[name]
    return records


class Month(NamedTuple):
    """What a month's phases act on: the world; last month's allocations and outreach, as the powers judge
    them (B,S,P); the ties; the parameters (`Rates`, one record per run); the powers' instrument mixes (P,3);
    the shocks (B, months, S, P) and month `t` of them; the appeals' record (B, months, S): whether made, to
    whom, and the share answered."""

    world: World
    last_allocation: np.ndarray
    last_outreach: np.ndarray
    net: Net
    rates: np.ndarray
    instruments: np.ndarray
    t: int
    draws: np.ndarray
    made: np.ndarray
    patron: np.ndarray
    answered: np.ndarray


# --- utility terms (one state and one power, in one run) ------------------------------------------


@inlined
def dependence_pull(economic: float, security: float, regime: float, q: Record) -> float:
    """Dependence anchors alignment: economic, security and regime ties, each with its weight."""
    return q.economic_weight * economic + q.security_weight * security + q.regime_weight * regime


@inlined
def protection_value(capability: float, free_capacity: float, credibility: float) -> float:
    """What a power's protection is worth to a state: capability x free capacity x credibility."""
    return capability * free_capacity * credibility


@inlined
def total_threat(neighbour: float, insurgent: float, acute: float) -> float:
    """Threat from outside the powers, standing and acute: the demand for a protector."""
    return neighbour + insurgent + acute


@inlined
def protection_pull(threat: float, value: float, q: Record) -> float:
    """Demand for a protector times what the power's protection is worth."""
    return q.protection_weight * threat * value


@inlined
def balancing_push(coercion: float, pressure: float, q: Record) -> float:
    """Threat from a power itself, standing or pressed this month, pushes a state away from it (balancing)."""
    return -q.balancing_weight * (coercion + pressure)


@kernel
def engagement(w: World) -> np.ndarray:
    """What each power visibly does in each state this month: its allocated effort plus one-off pushes, (B,S,P)."""
    return engaged_with(w.outreach, w.push)


@inlined
def engaged_with(outreach: np.ndarray, push: np.ndarray) -> np.ndarray:
    """The engagement an outreach (B,S,P) and the one-off pushes give, (B,S,P)."""
    out = np.empty(outreach.shape)
    for r in range(out.shape[0]):
        for s in range(out.shape[1]):
            for p in range(out.shape[2]):
                out[r, s, p] = outreach[r, s, p] + push[r, s, p]
    return out


@inlined
def outreach_pull(engaged: float, q: Record) -> float:
    """Each power's engagement (exercises, investment, Turkic ties) draws states toward it."""
    return q.outreach_weight * engaged


@inlined
def peer_pull(
    alignment: np.ndarray, participation: np.ndarray, net: Net, q: Record, out: np.ndarray, room: np.ndarray
) -> None:
    """Peers carry influence along a signed network, into `out` (S,P), from one run's alignment (S,P)
    and bloc participation (K,S); `room` (S, P+1) is room to work in.

    A shared border pulls a state toward its neighbours' partners; a rival pushes it away from
    the rival's partners; an active bloc membership (neither frozen nor left) pulls it toward the
    bloc's leader as much as its fellow members lean to that leader (cohesion). Each state's links are
    weighted to sum to 1.
    """
    S, P = out.shape
    bloc, links = room[:, :P], room[:, P]
    for s in range(S):
        links[s] = 0.0
        for p in range(P):
            bloc[s, p] = out[s, p] = 0.0
        for j in net.peers[s]:  # a state with no link to s adds exactly nothing
            if j < 0:
                break
            links[s] += net.borders[s, j] + net.rivals[s, j]
            sign = net.borders[s, j] - net.rivals[s, j]
            for p in range(P):
                out[s, p] += sign * alignment[j, p]
    for k in range(len(net.leader)):
        leader = net.leader[k]
        if leader < 0:
            continue
        loyal, members = 0.0, 0.0
        for s in range(S):
            if participation[k, s] == MEMBER:
                loyal += alignment[s, leader]
                members += 1.0
        for s in range(S):
            if participation[k, s] == MEMBER and members > 1.0:
                bloc[s, leader] += (loyal - alignment[s, leader]) / (members - 1.0)
                links[s] += 1.0
    for s in range(S):
        weight = 1.0 / links[s] if links[s] > 0 else 0.0
        for p in range(P):
            out[s, p] = q.peer_weight * weight * (out[s, p] + bloc[s, p])


@kernel
def utility(w: World, net: Net, rates: np.ndarray, out: np.ndarray) -> None:
    """Sum of the utility terms each state sees for each power, in every run, into `out` (B,S,P)."""
    engaged = engagement(w)
    runs, S, P = out.shape
    room = np.empty((S, P + 1))
    for r in range(runs):
        q = rates[r]
        peer_pull(w.alignment[r], w.participation[r], net, q, out[r], room)
        for s in range(S):
            threat = total_threat(w.neighbour_threat[r, s], w.insurgent_threat[r, s], w.acute_threat[r, s])
            for p in range(P):
                value = protection_value(w.capability[r, p], w.free_capacity[r, p], w.credibility[r, s, p])
                out[r, s, p] = (
                    dependence_pull(w.economic[r, s, p], w.security[r, s, p], w.regime[r, s, p], q)
                    + protection_pull(threat, value, q)
                    + balancing_push(w.coercion[r, s, p], w.pressure[r, s, p], q)
                    + outreach_pull(engaged[r, s, p], q)
                    + out[r, s, p]
                )


@inlined
def hedging_temperature(shares: np.ndarray, leverage: np.ndarray, q: Record) -> float:
    """Leverage: when a state's patrons need it more, it bargains harder and hedges more.

    A temperature >= 1 for a state with these shares (P,), from the powers' leverage (P,): higher
    flattens its choice over powers.
    """
    need = 0.0
    for p in range(len(shares)):
        need += shares[p] * leverage[p]
    return 1.0 + q.hedging_gain * need


# --- powers decide --------------------------------------------------------------------------------


@kernel
def outreach_budget(w: World, p: int) -> np.ndarray:
    """A power's total effort this month in each run, (B,): its budget per unit of interest times its
    interests, scaled by its capability x free capacity relative to the start. A war that absorbs a
    power's forces absorbs its outreach too.
    """
    runs, S = w.interest.shape[0], w.interest.shape[1]
    out = np.empty(runs)
    for r in range(runs):
        capacity = w.capability[r, p] * w.free_capacity[r, p]
        reference = w.reference_capacity[r, p]
        scale = capacity / reference if reference > 0 else 0.0
        interest = 0.0
        for s in range(S):
            interest += w.interest[r, s, p]
        out[r] = w.budget[r, p] * scale * interest
    return out


@inlined
def courting_value(share: float, engaged: np.ndarray, p: int, q: Record) -> float:
    """What a unit of effort is worth to power `p` in a state where it holds `share` and the powers'
    engagement is `engaged` (P,), before its interest weighs it.

    Effort gains most where a state is contested (the logit's slope, share x (1 - share)) and
    defends most where the power holds much and rivals push hard there.
    """
    everyone = 0.0
    for other in range(len(engaged)):
        everyone += engaged[other]
    rivals = everyone - engaged[p]
    return share * (1.0 - share) + q.rivalry_weight * share * rivals


@inlined
def preferred_allocation(
    interest: np.ndarray,
    alignment: np.ndarray,
    engaged: np.ndarray,
    p: int,
    q: Record,
    wanted: np.ndarray,
    fixed: np.ndarray,
) -> None:
    """Where power `p` would spend its effort (into `wanted`, (S,) summing to 1): in proportion to its
    interest (S,) x the courting value of each state (from one run's alignment and engagement, (S,P));
    and the split its priorities alone fix (into `fixed`: the fallback, and a scripted power's)."""
    S = len(wanted)
    total_interest = 0.0
    for s in range(S):
        total_interest += interest[s]
    total = 0.0
    for s in range(S):
        fixed[s] = interest[s] / max(total_interest, FLOOR)
        wanted[s] = interest[s] * courting_value(alignment[s, p], engaged[s], p, q)
        total += wanted[s]
    for s in range(S):
        wanted[s] = wanted[s] / total if total > 0 else fixed[s]


@inlined
def allocate_effort(
    last: np.ndarray, wanted: np.ndarray, fixed: np.ndarray, adaptive: bool, q: Record, out: np.ndarray
) -> None:
    """A power's new allocation over states, into `out` (S,) summing to 1, from its `last` one (S,).

    An adaptive power moves its allocation toward its preferred one (`wanted`), closing
    `responsiveness` of the gap each month and at most `max_reallocation` per state. A scripted power
    keeps the allocation its priorities fix (`fixed`).
    """
    cap = q.max_reallocation
    total = 0.0
    for s in range(len(out)):
        move = min(max(q.responsiveness * (wanted[s] - last[s]), -cap), cap)
        out[s] = max(last[s] + move, 0.0)
        total += out[s]
    for s in range(len(out)):
        out[s] = fixed[s] if not adaptive or total <= 0 else out[s] / total


@inlined
def coercion_pressure(memory: float, share: float, propensity: float, q: Record) -> float:
    """Pressure a power puts this month on a state drifting away from it faster than it tolerates.

    Drift is the fall of the state's share below what the power remembers over the last year;
    how hard it presses is the strategy's `coercion` propensity. Pressure is set anew each month
    (it does not pile up), so it eases as the power's memory catches up with the state's new course.
    The client answers by balancing.
    """
    return propensity * max(memory - share - q.coercion_trigger, 0.0)


@kernel
def decide(m: Month, powers: np.ndarray) -> None:
    """Powers decide, in every run: each of `powers` reallocates its effort and presses drifting clients,
    all judging last month's allocations and outreach (`m.last_allocation`, `m.last_outreach`), so that no
    power sees another's choice of this month; their choices are written once all have chosen."""
    w = m.world
    runs, S = w.alignment.shape[0], w.alignment.shape[1]
    engaged = engaged_with(m.last_outreach, w.push)
    budgets = [outreach_budget(w, p) for p in powers]
    allocation, pressure = np.empty((len(powers), S)), np.empty((len(powers), S))
    wanted, fixed = np.empty(S), np.empty(S)
    alignment, memory, interest, last = w.alignment, w.memory, w.interest, m.last_allocation
    for r in range(runs):
        q = m.rates[r]
        for i in range(len(powers)):
            p = powers[i]
            preferred_allocation(interest[r, :, p], alignment[r], engaged[r], p, q, wanted, fixed)
            allocate_effort(last[r, :, p], wanted, fixed, w.adaptive[r, p] > 0, q, allocation[i])
            for s in range(S):
                pressure[i, s] = coercion_pressure(memory[r, s, p], alignment[r, s, p], w.coercion_propensity[r, p], q)
        for i in range(len(powers)):
            for s in range(S):
                w.allocation[r, s, powers[i]] = allocation[i, s]
                w.outreach[r, s, powers[i]] = budgets[i][r] * allocation[i, s]
                w.pressure[r, s, powers[i]] = pressure[i, s]


# --- states decide --------------------------------------------------------------------------------


@inlined
def security_patron(security: np.ndarray) -> int:
    """The power a state depends on most for its security (the first of equals), from its dependence (P,)."""
    best = 0
    for p in range(1, len(security)):
        if security[p] > security[best]:
            best = p
    return best


@inlined
def appeals_now(acute: float, previous: float, q: Record) -> bool:
    """A state appeals when its acute threat jumps past the threshold this month."""
    return acute >= q.appeal_threshold and previous < q.appeal_threshold


@inlined
def answering_cost(alignment: np.ndarray, rivals: np.ndarray, patron: int) -> float:
    """What answering costs a patron: its ties to the aggressor (its largest share in the orientation (S,P)
    of a rival, `rivals` (S,) marking the state's), for the part of the crisis coming from a rival neighbour
    (an insurgency or unrest has no aggressor to offend)."""
    stake = 0.0
    for j in range(len(rivals)):
        if rivals[j] > 0:
            stake = max(stake, alignment[j, patron])
    return stake


@inlined
def appeal_response(capability: float, free_capacity: float, acute: float, cost: float) -> float:
    """Share of a client's acute need its patron meets: the force it can spare for the crisis,
    discounted by what answering costs it. 1 = fully answered."""
    return min(max(capability * free_capacity / max(acute, FLOOR), 0.0), 1.0) * (1.0 - cost)


@inlined
def credibility_after_appeal(
    credibility: np.ndarray, security: np.ndarray, s: int, patron: int, response: float, q: Record
) -> None:
    """A patron that fails a client `s` under acute threat loses credibility (S,P) with it and, less, with
    its other security clients (in proportion to their security dependence (S,P)); answering gains some."""
    penalty = q.appeal_failure_penalty * (1.0 - response)
    spill = q.reputation_spillover * penalty
    gain = q.appeal_success_gain * response
    for j in range(credibility.shape[0]):
        if j != s:
            credibility[j, patron] *= 1.0 - spill * security[j, patron]
    own = credibility[s, patron] * (1.0 - penalty)
    credibility[s, patron] = own + gain * (1.0 - own)


@kernel
def appeal(m: Month, states: np.ndarray) -> None:
    """States appeal, in every run and in state order: a state under a sudden crisis calls on its
    security patron, and the answer changes the patron's reputation with it and its other clients.
    Each appeal is written to the month's record."""
    w = m.world
    for r in range(w.alignment.shape[0]):
        q = m.rates[r]
        for s in states:
            patron = security_patron(w.security[r, s])
            made = appeals_now(w.acute_threat[r, s], w.previous_acute[r, s], q)
            answered = 0.0
            if made:
                cost = answering_cost(w.alignment[r], m.net.rivals[s], patron)
                answered = appeal_response(
                    w.capability[r, patron], w.free_capacity[r, patron], w.acute_threat[r, s], cost
                )
                credibility_after_appeal(w.credibility[r], w.security[r], s, patron, answered, q)
            m.made[r, m.t, s], m.patron[r, m.t, s], m.answered[r, m.t, s] = made, patron, answered


@inlined
def bloc_standing_rule(status: int, count: float, credibility: float, reference: float, q: Record) -> tuple[int, float]:
    """A state's new standing in a security bloc and its count of months, from its leader's credibility.

    A member freezes its participation once the leader's credibility as a guarantor has fallen
    (below where it stood at the start, `reference`) and stayed below `freeze_threshold` for
    `freeze_months` (a member that joined trusting its leader little has not been let down); a frozen
    member leaves after twice as long below, or returns once the credibility has stayed back above the
    threshold for `freeze_months`. The count is of months below (positive) or back above (negative);
    it restarts at 0 on each change.
    """
    low = credibility < q.freeze_threshold and credibility < reference
    if status == MEMBER:
        count = count + 1.0 if low else 0.0
    elif status == FROZEN:
        count = max(count, 0.0) + 1.0 if low else min(count, 0.0) - 1.0
    if status == MEMBER and count >= q.freeze_months:
        return FROZEN, 0.0
    if status == FROZEN and count >= 2 * q.freeze_months:
        return LEFT, 0.0
    if status == FROZEN and count <= -q.freeze_months:
        return MEMBER, 0.0
    return status, count


@kernel
def review(m: Month, states: np.ndarray) -> None:
    """States review their blocs, in every run, after every appeal: `bloc_standing_rule` for each of
    `states` in each security bloc whose leader is in the scenario. Trade and cultural blocs are held by
    trade, not protection: their standing does not follow credibility."""
    w, net = m.world, m.net
    for r in range(w.alignment.shape[0]):
        q = m.rates[r]
        for s in states:
            for k in range(len(net.leader)):
                leader = net.leader[k]
                if leader < 0 or net.tie[k] != SECURITY:
                    continue
                w.participation[r, k, s], w.months_low[r, k, s] = bloc_standing_rule(
                    w.participation[r, k, s],
                    w.months_low[r, k, s],
                    w.credibility[r, s, leader],
                    w.reference_credibility[r, s, leader],
                    q,
                )


# --- alignment update -----------------------------------------------------------------------------


@inlined
def softmax(scores: np.ndarray, out: np.ndarray) -> None:
    """Multinomial logit over the powers, into `out` (which may be `scores`): stable for any finite scores."""
    top = scores[0]
    for p in range(1, len(scores)):
        top = max(top, scores[p])
    total = 0.0
    for p in range(len(scores)):
        out[p] = np.exp(scores[p] - top)
        total += out[p]
    for p in range(len(scores)):
        out[p] = out[p] / total


@inlined
def equilibrium_affinity(shares: np.ndarray, drives: np.ndarray, temperature: float, out: np.ndarray) -> None:
    """Historical ties: the constants that make a state's starting orientation (P,) the logit target of its
    utility `drives` (P,), into `out`.

    Like the alternative-specific constants of a discrete-choice model calibrated to base-year
    shares: with them the observed 2021 orientation is each state's own choice under the starting
    drivers, so only a change of those drivers moves it. Centred per state (only differences between
    powers count).
    """
    total = 0.0
    for p in range(len(out)):
        out[p] = temperature * np.log(min(max(shares[p], FLOOR), 1.0)) - drives[p]
        total += out[p]
    for p in range(len(out)):
        out[p] -= total / len(out)


@inlined
def target_alignment(affinity: np.ndarray, drives: np.ndarray, temperature: float, out: np.ndarray) -> None:
    """The orientation a state would choose now, into `out` (P,): multinomial logit of ties plus utility."""
    for p in range(len(out)):
        out[p] = (affinity[p] + drives[p]) / temperature
    softmax(out, out)


@inlined
def adjust(share: float, target: float, q: Record) -> float:
    """Partial adjustment (inertia): close a fixed share of the gap to the target each month."""
    return share + q.adjustment_rate * (target - share)


@inlined
def shock(shares: np.ndarray, draws: np.ndarray, q: Record, out: np.ndarray) -> None:
    """Multiplicative log-normal shocks to a state's shares (P,), renormalised so they stay on the simplex;
    into `out`."""
    total = 0.0
    for p in range(len(shares)):
        out[p] = min(max(shares[p], FLOOR), 1.0) * np.exp(q.shock_scale * draws[p])
        total += out[p]
    kept = 0.0
    for p in range(len(shares)):
        out[p] = max(out[p] / total, FLOOR)
        kept += out[p]
    for p in range(len(shares)):
        out[p] = out[p] / kept


@kernel
def realign(w: World, drives: np.ndarray, rates: np.ndarray, draws: np.ndarray, t: int, out: np.ndarray) -> None:
    """Every state moves part of the way toward the orientation its terms imply (`drives`, (B,S,P)), plus a
    shock (month `t` of `draws`); into `out` (B,S,P), from the same arrays for every state (a simultaneous
    update)."""
    runs, S, P = out.shape
    target, moved = np.empty(P), np.empty(P)
    for r in range(runs):
        q = rates[r]
        for s in range(S):
            temperature = hedging_temperature(w.alignment[r, s], w.leverage[r], q)
            target_alignment(w.affinity[r, s], drives[r, s], temperature, target)
            for p in range(P):
                moved[p] = adjust(w.alignment[r, s, p], target[p], q)
            shock(moved, draws[r, t, s], q, out[r, s])


# --- slow variables (one state and one power, in one run) -----------------------------------------


@inlined
def build_dependence(
    level: float,
    reference: float,
    outreach: float,
    reference_outreach: float,
    instrument_share: float,
    frozen: bool,
    q: Record,
) -> float:
    """Dependence follows what powers do: engagement beyond its starting level builds it (investment,
    arms, regime help), engagement short of it lets it erode, and it relaxes toward its starting level,
    which the starting engagement holds at rest. Where `frozen` (a frozen or abandoned bloc tie) it erodes
    but never grows. Kept in 0..1. `instrument_share` is the share of the power's outreach going to it.
    """
    built = q.dependence_build_rate * instrument_share * (outreach - reference_outreach)
    if frozen:
        built = min(built, 0.0)
    return min(max(level + built - q.dependence_decay * (level - reference), 0.0), 1.0)


@inlined
def frozen_ties(participation: np.ndarray, net: Net, out: np.ndarray) -> None:
    """Where a frozen or abandoned bloc membership (participation (K,S)) stops the bloc's kind of dependence on
    its leader growing: `out` (3,S,P), True by component, state and power."""
    for component in range(out.shape[0]):
        for s in range(out.shape[1]):
            for p in range(out.shape[2]):
                out[component, s, p] = False
    for k in range(len(net.leader)):
        if net.leader[k] >= 0:
            for s in range(participation.shape[1]):
                if participation[k, s] == FROZEN or participation[k, s] == LEFT:
                    out[net.tie[k], s, net.leader[k]] = True


@inlined
def fade_push(push: float, q: Record) -> float:
    """One-off engagement (a visit, an exercise, a summit) fades away."""
    return push * (1.0 - q.outreach_fade)


@inlined
def fade_acute_threat(acute: float, q: Record) -> float:
    """A crisis's acute phase passes within months."""
    return acute * (1.0 - q.acute_fade)


@inlined
def recover_credibility(credibility: float, reference: float, q: Record) -> float:
    """Reputation heals slowly toward its reference level when nothing new happens; so does the
    sting of a power's threats."""
    return credibility + q.credibility_recovery * (reference - credibility)


@inlined
def remember(memory: float, share: float) -> float:
    """A power's memory of a state's orientation: an average over about a year."""
    return memory + (share - memory) / MEMORY_MONTHS


@kernel
def drift(w: World, net: Net, rates: np.ndarray, instruments: np.ndarray) -> None:
    """The slow variables move after the month's choices, in every run: dependence, pushes, crises,
    reputations, and the powers' memory of last month's orientation."""
    runs, S, P = w.alignment.shape
    levels = (w.economic, w.security, w.regime)
    frozen = np.empty((len(COMPONENTS), S, P), dtype=np.bool_)
    for r in range(runs):
        q = rates[r]
        frozen_ties(w.participation[r], net, frozen)
        for k in range(len(COMPONENTS)):
            level = levels[k]
            for s in range(S):
                for p in range(P):
                    level[r, s, p] = build_dependence(
                        level[r, s, p],
                        w.reference_dependence[r, k, s, p],
                        w.outreach[r, s, p],
                        w.reference_outreach[r, s, p],
                        instruments[p, k],
                        frozen[k, s, p],
                        q,
                    )
        for s in range(S):
            w.previous_acute[r, s] = w.acute_threat[r, s]
            w.acute_threat[r, s] = fade_acute_threat(w.acute_threat[r, s], q)
            for p in range(P):
                w.push[r, s, p] = fade_push(w.push[r, s, p], q)
                w.credibility[r, s, p] = recover_credibility(
                    w.credibility[r, s, p], w.reference_credibility[r, s, p], q
                )
                w.coercion[r, s, p] = recover_credibility(w.coercion[r, s, p], w.reference_coercion[r, s, p], q)
                w.memory[r, s, p] = remember(w.memory[r, s, p], w.alignment[r, s, p])


@kernel
def move(m: Month, _: np.ndarray) -> None:
    """The world moves after the agents have decided, in every run: `realign` gives the new alignment from
    the world as decided, `drift` moves the slow variables."""
    w = m.world
    drives, moved = np.empty(w.alignment.shape), np.empty(w.alignment.shape)
    utility(w, m.net, m.rates, drives)
    realign(w, drives, m.rates, m.draws, m.t, moved)
    drift(w, m.net, m.rates, m.instruments)
    runs, S, P = moved.shape
    for r in range(runs):
        for s in range(S):
            for p in range(P):
                w.alignment[r, s, p] = moved[r, s, p]


# --- the month ------------------------------------------------------------------------------------


class Phase(NamedTuple):
    """One step of the month: who acts ("powers", "states", or "world" for the world's own motion) and the
    compiled function that acts, called as `act(month, actors)` with the indexes of the actors."""

    actors: str
    act: Callable[[Month, np.ndarray], None]


#: The month, in order (docs/ODD.md section 3). The dated events fire before it.
MONTH = (Phase("powers", decide), Phase("states", appeal), Phase("states", review), Phase("world", move))


@dataclass
class Appeal:
    """One state's call for help this month, per run: who appealed, to whom, how well answered."""

    state: int
    made: np.ndarray  # (B,) bool
    patron: np.ndarray  # (B,) index of the power appealed to
    answered: np.ndarray  # (B,) share of the need met, 0..1 (0 where no appeal was made)


def month_of(
    world: World,
    ties: Ties | Net | None,
    params: Mapping[str, Any] | np.ndarray,
    judged: World | None = None,
    instruments: np.ndarray | None = None,
    draws: np.ndarray | None = None,
) -> Month:
    """One month's `Month` for `world`: `draws` (B,S,P) this month's shocks (none by default), the powers
    judging `judged` (the world itself by default), equal instrument mixes unless given."""
    runs, S, P = world.alignment.shape
    K = world.participation.shape[1]
    nobody = Net(
        np.zeros((S, S)),
        np.zeros((S, S)),
        np.full(K, -1, dtype=np.int64),
        np.zeros(K, dtype=np.int64),
        np.full((S, S), -1, dtype=np.int64),
    )
    net = ties.net() if isinstance(ties, Ties) else nobody if ties is None else ties
    mixes = np.full((P, len(COMPONENTS)), 1.0 / len(COMPONENTS)) if instruments is None else instruments
    shocks = np.zeros((runs, S, P)) if draws is None else draws
    last = world if judged is None else judged
    return Month(
        world,
        last.allocation,
        last.outreach,
        net,
        rates(params, runs),
        np.ascontiguousarray(mixes, dtype=np.float64),
        0,
        np.ascontiguousarray(shocks, dtype=np.float64)[:, None],
        np.zeros((runs, 1, S), dtype=np.bool_),
        np.zeros((runs, 1, S), dtype=np.int64),
        np.zeros((runs, 1, S)),
    )


def appeals_of(m: Month) -> list[Appeal]:
    """The month's appeals, one per state (views of the month's record)."""
    return [Appeal(s, m.made[:, m.t, s], m.patron[:, m.t, s], m.answered[:, m.t, s]) for s in range(m.made.shape[2])]


def everyone(m: Month, actors: str) -> np.ndarray:
    """The indexes of every power or every state (of nobody for the world)."""
    count = {"powers": m.world.alignment.shape[2], "states": m.world.alignment.shape[1]}.get(actors, 0)
    return np.arange(count, dtype=np.int64)


def month(
    world: World, ties: Ties, instruments: np.ndarray, params: Mapping[str, Any], draws: np.ndarray
) -> tuple[World, list[Appeal], np.ndarray]:
    """One month for every run: each phase of `MONTH` in order, every actor at once. Changes `world` in place
    and returns it, this month's appeals and the bloc standings before the review."""
    m = month_of(world, ties, params, instruments=instruments, draws=draws)
    before = world.participation.copy()
    for phase in MONTH:
        phase.act(m, everyone(m, phase.actors))
    return world, appeals_of(m), before


def power_decides(world: World, judged: World, power: int, params: Mapping[str, Any]) -> None:
    """One power's decisions (the `decide` phase for it alone), judged on `judged`."""
    decide(month_of(world, None, params, judged), np.array([power], dtype=np.int64))


def state_appeals(world: World, state: int, ties: Ties, params: Mapping[str, Any]) -> Appeal:
    """One state's appeal this month (the `appeal` phase for it alone); applies the answer to `world`."""
    m = month_of(world, ties, params)
    appeal(m, np.array([state], dtype=np.int64))
    return appeals_of(m)[state]


def bloc_standing(world: World, state: int, ties: Ties, params: Mapping[str, Any]) -> np.ndarray:
    """One state's review of its blocs (the `review` phase for it alone); its standings after, (B,K)."""
    review(month_of(world, ties, params), np.array([state], dtype=np.int64))
    return world.participation[:, :, state]


# --- the start ------------------------------------------------------------------------------------


@kernel
def rest_allocation(w: World, q: np.ndarray) -> None:
    """Set every power's allocation and outreach to their rest: each adaptive power's preferred
    allocation given every other's (a fixed point, found by damped iteration), each scripted power's
    priorities' split. In place; each run stops on its own, so a run settles alike in any batch."""
    runs, S, P = w.alignment.shape
    budgets = [outreach_budget(w, p) for p in range(P)]
    engaged = engagement(w)
    moved, wanted, fixed = np.empty((S, P)), np.empty(S), np.empty(S)
    for r in range(runs):
        for _ in range(REST_ITERATIONS):
            for p in range(P):
                preferred_allocation(w.interest[r, :, p], w.alignment[r], engaged[r], p, q[r], wanted, fixed)
                for s in range(S):
                    current = w.allocation[r, s, p]
                    moved[s, p] = current + REST_DAMPING * (wanted[s] - current) if w.adaptive[r, p] > 0 else fixed[s]
            change = 0.0
            for s in range(S):
                for p in range(P):
                    change = max(change, abs(moved[s, p] - w.allocation[r, s, p]))
                    w.allocation[r, s, p] = moved[s, p]
                    w.outreach[r, s, p] = budgets[p][r] * moved[s, p]
                    engaged[r, s, p] = w.outreach[r, s, p] + w.push[r, s, p]
            if change < REST_TOLERANCE:
                break


@kernel
def settle(w: World, net: Net, q: np.ndarray) -> None:
    """The rest point of each run: `rest_allocation`, the reference engagement and dependence it holds, and
    the historical ties (`equilibrium_affinity`) that make the starting orientation each state's own choice."""
    rest_allocation(w, q)
    runs, S, P = w.alignment.shape
    levels = (w.economic, w.security, w.regime)
    for r in range(runs):
        for s in range(S):
            for p in range(P):
                w.reference_outreach[r, s, p] = w.outreach[r, s, p]
                for k in range(len(COMPONENTS)):
                    w.reference_dependence[r, k, s, p] = levels[k][r, s, p]
    drives = np.empty(w.alignment.shape)
    utility(w, net, q, drives)
    for r in range(runs):
        for s in range(S):
            temperature = hedging_temperature(w.alignment[r, s], w.leverage[r], q[r])
            equilibrium_affinity(w.alignment[r, s], drives[r, s], temperature, w.affinity[r, s])


def settle_start(world: World, ties: Ties, params: Mapping[str, Any] | np.ndarray) -> World:
    """Make the start a rest point for each run's parameters (a settled copy of `world`): powers at their
    rest allocation, the dependence its engagement holds, and historical ties that make the starting
    orientation each state's own choice. With nothing changing, nothing moves but the shocks."""
    new = world.copy()
    settle(new, ties.net(), rates(params, len(new.alignment)))
    return new
