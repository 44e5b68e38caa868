"""The agents' decisions, rule by rule: each moves the way its description says, and the baseline's
appeal and answer arise from the threats alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_dynamics import K, P, S, random_ties, random_world

from sim.inputs.evidence import load_evidence
from sim.inputs.packaged import BASELINE
from sim.inputs.parameters import defaults
from sim.inputs.scenario import Change, load_scenario
from sim.model import dynamics
from sim.model.dynamics import FROZEN, LEFT, MEMBER
from sim.model.ensemble import simulate
from sim.model.events import LoggedEvent
from sim.model.world import apply_change, prepare

PARAMS = defaults()
#: The mechanisms the baseline holds off (docs/ODD.md section 8) switched on, for the rules that need them.
SWITCHED_ON = PARAMS | {"rivalry_weight": 1.0, "peer_weight": 0.5}


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


@pytest.fixture(scope="module")
def baseline(evidence):
    return prepare(load_scenario(BASELINE, evidence), evidence)


def peers(world, ties, params) -> np.ndarray:
    """The peer term of run 0, (S,P)."""
    out, room = np.empty((S, P)), np.empty((S, P + 1))
    q = dynamics.rates(params, 1)[0]
    dynamics.peer_pull(world.alignment[0], world.participation[0], ties.net(), q, out, room)
    return out


def calm_world(seed: int = 0):
    """A random world with every power adaptive and no one-off pushes."""
    rng = np.random.default_rng(seed)
    ties = random_ties(rng)
    world = random_world(rng, 1, False, ties)
    world.adaptive[:] = 1.0
    world.push[:] = 0.0
    world.interest[:] = 1.0
    world.acute_threat[:] = world.previous_acute[:] = 0.0
    return world, ties


def test_a_rivals_surge_draws_the_other_powers_effort_there():
    world, ties = calm_world()
    before = world.copy()
    surged = world.copy()
    surged.push[:, 3, 1] = 3.0  # power 1 surges into state 3
    for _ in range(6):
        for power in range(P):
            dynamics.power_decides(before, before.copy(), power, SWITCHED_ON)
            dynamics.power_decides(surged, surged.copy(), power, SWITCHED_ON)
    for power in (0, 2, 3):
        assert surged.outreach[0, 3, power] > before.outreach[0, 3, power]


def test_halving_free_capacity_halves_outreach():
    world, _ = calm_world()
    halved = world.copy()
    halved.free_capacity[:, 0] *= 0.5
    full, half = world.copy(), halved.copy()
    dynamics.power_decides(full, world, 0, PARAMS)
    dynamics.power_decides(half, halved, 0, PARAMS)
    np.testing.assert_allclose(half.outreach[..., 0].sum(), 0.5 * full.outreach[..., 0].sum())


def test_a_scripted_power_keeps_its_priorities():
    world, _ = calm_world()
    world.adaptive[:, 0] = 0.0
    world.interest[0, :, 0] = np.arange(1, S + 1)
    after = world.copy()
    dynamics.power_decides(after, world, 0, PARAMS)
    np.testing.assert_allclose(after.allocation[0, :, 0], np.arange(1, S + 1) / np.arange(1, S + 1).sum())


def test_coercion_presses_a_client_drifting_away_only_when_the_strategy_allows():
    world, _ = calm_world()
    world.memory[:] = world.alignment
    world.memory[0, 2, 0] = world.alignment[0, 2, 0] + 0.2  # state 2 has drifted away from power 0
    world.coercion_propensity[:] = 0.0
    world.coercion_propensity[0, 0] = 0.5
    after = world.copy()
    dynamics.power_decides(after, world, 0, PARAMS)
    assert after.pressure[0, 2, 0] > 0.0
    assert (np.delete(after.pressure[0, :, 0], 2) == 0.0).all()
    q = dynamics.rates(PARAMS, 1)[0]
    pushed_away = dynamics.balancing_push(after.coercion[0, 2, 0], after.pressure[0, 2, 0], q)
    assert pushed_away < dynamics.balancing_push(world.coercion[0, 2, 0], world.pressure[0, 2, 0], q)
    restrained = world.copy()
    restrained.coercion_propensity[0, 0] = 0.0
    after = restrained.copy()
    dynamics.power_decides(after, restrained, 0, PARAMS)
    assert (after.pressure == 0.0).all()


def test_an_acute_threat_past_the_threshold_brings_an_appeal_to_the_top_security_patron():
    world, ties = calm_world()
    world.security[0, 4] = [0.1, 0.2, 0.9, 0.3]
    world.acute_threat[0, 4] = PARAMS["appeal_threshold"] + 0.1
    appeal = dynamics.state_appeals(world, 4, ties, PARAMS)
    assert appeal.made[0] and appeal.patron[0] == 2
    quiet = dynamics.state_appeals(world, 5, ties, PARAMS)
    assert not quiet.made.any()
    again = world.copy()
    again.previous_acute[0, 4] = world.acute_threat[0, 4]  # the crisis was already there last month
    assert not dynamics.state_appeals(again, 4, ties, PARAMS).made.any()


def test_an_answered_appeal_raises_credibility_and_an_unanswered_one_lowers_it():
    world, ties = calm_world()
    world.security[0, 4] = [0.9, 0.1, 0.1, 0.1]
    world.credibility[0, 4, 0] = 0.5
    world.acute_threat[0, 4] = 0.9
    world.alignment[0, 4] = [0.7, 0.1, 0.1, 0.1]
    strong, weak = world.copy(), world.copy()
    strong.capability[0, 0], strong.free_capacity[0, 0] = 1.0, 1.0
    weak.free_capacity[0, 0] = 0.05
    answered = dynamics.state_appeals(strong, 4, ties, PARAMS)
    failed = dynamics.state_appeals(weak, 4, ties, PARAMS)
    assert answered.answered[0] > 0.9 > 0.1 > failed.answered[0]
    assert strong.credibility[0, 4, 0] > 0.5 > weak.credibility[0, 4, 0]


def test_ties_to_the_aggressor_make_answering_costly():
    world, ties = calm_world()
    world.security[0, 0] = [0.9, 0.1, 0.1, 0.1]  # state 0 (rival of state 1) relies on power 0
    world.capability[0, 0] = world.free_capacity[0, 0] = 1.0
    world.acute_threat[0, 0] = 0.9
    loyal_rival, distant_rival = world.copy(), world.copy()
    loyal_rival.alignment[0, 1] = [0.8, 0.1, 0.05, 0.05]
    distant_rival.alignment[0, 1] = [0.05, 0.8, 0.1, 0.05]
    assert (
        dynamics.state_appeals(loyal_rival, 0, ties, PARAMS).answered[0]
        < dynamics.state_appeals(distant_rival, 0, ties, PARAMS).answered[0]
    )


def test_low_credibility_for_the_set_months_freezes_a_membership_and_drops_its_peer_links():
    world, ties = calm_world()
    no_borders = np.zeros((S, S))
    ties = replace(ties, members=np.ones((K, S), dtype=bool), borders=no_borders, rivals=no_borders)
    world.participation[:] = MEMBER
    world.reference_credibility[0, 3, 0] = 0.8
    world.credibility[0, 3, 0] = 0.5 * PARAMS["freeze_threshold"]
    bloc_pull = peers(world, ties, SWITCHED_ON)[3, 0]
    assert bloc_pull > 0  # fellow members' loyalty to the leader pulls state 3 toward it
    months = int(PARAMS["freeze_months"])
    for _ in range(months - 1):
        dynamics.bloc_standing(world, 3, ties, PARAMS)
    assert world.participation[0, 0, 3] == MEMBER
    dynamics.bloc_standing(world, 3, ties, PARAMS)
    assert world.participation[0, 0, 3] == FROZEN
    assert peers(world, ties, SWITCHED_ON)[3, 0] == 0.0
    for _ in range(2 * months):
        dynamics.bloc_standing(world, 3, ties, PARAMS)
    assert world.participation[0, 0, 3] == LEFT
    assert world.participation[0, 1, 3] == MEMBER  # the trade bloc is not judged by credibility


def test_a_member_that_never_trusted_its_leader_much_does_not_freeze():
    """Low credibility from the start is how the member joined, not a betrayal."""
    world, ties = calm_world()
    world.participation[0, 0, 3] = MEMBER
    world.credibility[0, 3, 0] = world.reference_credibility[0, 3, 0] = 0.5 * PARAMS["freeze_threshold"]
    for _ in range(3 * int(PARAMS["freeze_months"])):
        dynamics.bloc_standing(world, 3, ties, PARAMS)
    assert world.participation[0, 0, 3] == MEMBER


def test_a_frozen_member_returns_when_credibility_recovers():
    world, ties = calm_world()
    world.participation[0, 0, 3] = FROZEN
    world.credibility[0, 3, 0] = PARAMS["freeze_threshold"] + 0.2
    for _ in range(int(PARAMS["freeze_months"])):
        dynamics.bloc_standing(world, 3, ties, PARAMS)
    assert world.participation[0, 0, 3] == MEMBER


def test_armenias_appeal_and_its_answer_arise_from_the_attack(baseline):
    """No appeal is scripted: the September 2022 attack (an acute threat) brings it, and Moscow,
    its forces absorbed by the war, answers little."""
    assert all(change.attribute != "appeal" for changes in baseline.events.values() for change in changes)
    log: list[LoggedEvent] = []
    simulate(baseline, 8, 0, log=log)
    appeals = [r for r in log if r.label == "Armenia appeals to Russia for help"]
    assert [r.date for r in appeals] == ["2022-09"]
    assert appeals[0].runs == 8 and appeals[0].answered < 0.5
    kazakh = [r for r in log if r.label == "Kazakhstan appeals to Russia for help"]
    assert [r.date for r in kazakh] == ["2022-01"] and kazakh[0].answered > 0.5


def test_a_share_at_the_floor_rises_when_its_power_courts_the_state_hard(baseline):
    """Armenia starts with no ties to Turkey (its share at the floor); if Turkey, from the first
    month, puts a large budget into Armenia alone, the share can grow past 0.1."""
    armenia, turkey = baseline.scenario.states.index("Armenia"), baseline.scenario.powers.index("Turkey")
    assert baseline.base.alignment[0, armenia, turkey] < 0.03
    quiet = simulate(baseline, 8, 0)
    courting = replace(baseline, base=baseline.base.copy(), events={})
    courting.base.adaptive[0, turkey] = 0.0  # scripted: the effort goes where its priorities say
    first_month = [
        Change(
            "interest", "set", 0.0, (), turkey, "test", "Turkey drops every other state", month=1, states=np.arange(S)
        ),
        Change(
            "interest",
            "set",
            5.0,
            (),
            turkey,
            "test",
            "Armenia is Turkey's priority",
            month=1,
            states=np.array([armenia]),
        ),
        Change(
            "budget",
            "set",
            5.0,
            (),
            turkey,
            "test",
            "Turkey spends all it can",
            month=1,
            states=np.array([], dtype=int),
        ),
    ]
    courted = simulate(replace(courting, events={1: first_month}), 8, 0)
    assert np.median(quiet.alignment[:, -1, armenia, turkey]) < 0.1
    assert np.median(courted.alignment[:, -1, armenia, turkey]) > 0.1


def test_events_apply_to_power_budgets():
    world, _ = calm_world()
    apply_change(world, Change("budget", "multiply", 0.0, (), 2, "test", "China stops", states=np.array([], dtype=int)))
    assert world.budget[0, 2] == 0.0
    after = world.copy()
    dynamics.power_decides(after, world, 2, PARAMS)
    assert after.outreach[..., 2].sum() == 0.0
