"""The agents' mechanisms, each of which can be switched off to see what it changes (an ablation).

A mechanism earns its place in the model by what its removal changes: the out-of-sample score, or a
documented fact that nothing else produces (`alliance-sim validate --ablation`, docs/ODD.md section 8).
Switching one off keeps everything else as it is, the start's rest point included.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from sim.inputs.documents import InputError, suggest
from sim.model.world import Setup, prepare

#: Each mechanism, what it does, and what switching it off means.
MECHANISMS: dict[str, str] = {
    "adaptive_allocation": "powers move their effort to where it gains or defends most; off: every power keeps "
    "the split its priorities fix (scripted)",
    "coercion": "a power presses clients drifting away from it, and they balance; off: no power presses",
    "appeals": "a state under a sudden crisis calls on its security patron, whose answer changes its credibility; "
    "off: no state appeals",
    "bloc_standing": "members freeze, leave or rejoin a security bloc by its leader's credibility; off: every "
    "membership stands",
    "peers": "neighbours, rivals and bloc partners pull on each other's orientation; off: peer_weight 0",
    "rivalry": "rivals' engagement raises a state's worth to an adaptive power holding it; off: rivalry_weight 0",
    "hedging": "a patron's leverage flattens its clients' choice (more hedging); off: hedging_gain 0",
}

#: Mechanisms switched off through a parameter, with the value that switches each off. A threshold no
#: crisis reaches and a count no membership reaches stand for "never".
PARAMETER_SWITCHES: dict[str, tuple[str, float]] = {
    "appeals": ("appeal_threshold", np.inf),
    "bloc_standing": ("freeze_months", np.inf),
    "peers": ("peer_weight", 0.0),
    "rivalry": ("rivalry_weight", 0.0),
    "hedging": ("hedging_gain", 0.0),
}

#: What switching a mechanism on means where a scenario or the fit leaves it off: the value each had when the
#: model was last fitted with it on (docs/ODD.md section 8). Coercion is Russia's, the one power the documents
#: report pressing its allies (002, 003).
SWITCHED_ON: dict[str, float] = {
    "rivalry_weight": 1.0,
    "hedging_gain": 0.22,
    "peer_weight": 0.66,
    "coercion_Russia": 0.5,
}


def check_mechanisms(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names, checked against MECHANISMS: InputError naming the known ones for an unknown name."""
    for name in names:
        if name not in MECHANISMS:
            known = ", ".join(MECHANISMS)
            raise InputError(f"mechanism '{name}'{suggest(name, MECHANISMS)}; the mechanisms are {known}")
    return tuple(names)


def is_on(setup: Setup, params: dict[str, Any], name: str) -> bool:
    """Whether a mechanism acts in these runs (in any of them, for parameters drawn per run)."""
    if name == "adaptive_allocation":
        return bool(setup.scenario.adaptive.any())
    if name == "coercion":
        return bool(setup.scenario.coercion.any())
    parameter, off = PARAMETER_SWITCHES[name]
    return bool(np.any(np.asarray(params[parameter]) != off))


def switch(setup: Setup, params: dict[str, Any], name: str, on: bool) -> tuple[Setup, dict[str, Any]]:
    """The set-up and parameters with one mechanism switched on or off (each run's drawn values kept for
    every other parameter). The events stay as they are."""
    check_mechanisms((name,))
    params = dict(params)
    scenario = setup.scenario
    if name == "adaptive_allocation":
        scenario = replace(scenario, adaptive=np.full_like(scenario.adaptive, on))
    elif name == "coercion":
        coercion = np.zeros_like(scenario.coercion)
        if on and "Russia" in scenario.powers:
            coercion[scenario.powers.index("Russia")] = SWITCHED_ON["coercion_Russia"]
        scenario = replace(scenario, coercion=coercion)
    else:
        parameter, off = PARAMETER_SWITCHES[name]
        params[parameter] = SWITCHED_ON.get(parameter, setup.params[parameter]) if on else off
    if scenario is not setup.scenario:
        setup = replace(prepare(scenario, setup.evidence), events=setup.events)
    return setup, params
