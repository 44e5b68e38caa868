"""The model's global parameters: default, plausible range and meaning of each.

Defaults are overridden by the fit (`calibration/fitted.yaml`, shipped in the package) and then
by a scenario's `parameters:` block. A missing or unreadable fit is an error, never a silent
fallback to the unfitted values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.inputs.documents import InputError, load_yaml, number, read_once
from sim.inputs.packaged import FITTED


@dataclass(frozen=True)
class Parameter:
    name: str
    default: float
    low: float
    high: float
    description: str


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "adjustment_rate",
        0.08,
        0.005,
        0.5,
        "share of the gap to the target orientation closed each month (1 - inertia)",
    ),
    Parameter("shock_scale", 0.03, 0.0, 0.3, "standard deviation of the monthly multiplicative shock to each share"),
    Parameter(
        "economic_weight", 1.0, 0.0, 5.0, "utility per unit of economic dependence (trade, energy routes, remittances)"
    ),
    Parameter("security_weight", 1.5, 0.0, 5.0, "utility per unit of security dependence (bases, arms, treaties)"),
    Parameter("regime_weight", 1.0, 0.0, 5.0, "utility per unit of support a power gives the ruling regime"),
    Parameter("protection_weight", 3.0, 0.0, 10.0, "utility per unit of threat-weighted protection value"),
    Parameter("balancing_weight", 3.0, 0.0, 10.0, "disutility per unit of threat coming from the power itself"),
    Parameter("outreach_weight", 1.0, 0.0, 5.0, "utility per unit of a power's outreach (exercises, investment, ties)"),
    Parameter(
        "peer_weight",
        0.0,
        0.0,
        1.0,
        "pull of neighbours' and bloc partners' orientation (at most 1: a state's own ties come first)",
    ),
    Parameter(
        "hedging_gain", 0.0, 0.0, 5.0, "how much a needy patron's leverage flattens its clients' choice (more hedging)"
    ),
    Parameter(
        "outreach_fade", 0.15, 0.0, 1.0, "monthly share of a one-off engagement push (a visit, an exercise) that fades"
    ),
    Parameter(
        "responsiveness", 0.2, 0.0, 1.0, "share of the gap to its preferred allocation an adaptive power closes a month"
    ),
    Parameter(
        "max_reallocation", 0.02, 0.0, 0.2, "largest change in the share of a power's budget one state gets in a month"
    ),
    Parameter(
        "rivalry_weight",
        0.0,
        0.0,
        5.0,
        "how much rivals' engagement in a state raises its value to an adaptive power holding it",
    ),
    Parameter(
        "coercion_trigger", 0.03, 0.0, 0.3, "fall below its remembered share at which a power starts pressing a state"
    ),
    Parameter("appeal_threshold", 0.5, 0.05, 1.0, "acute threat at which a state calls on its security patron"),
    Parameter("acute_fade", 0.5, 0.05, 1.0, "monthly share of a crisis's acute threat that passes"),
    Parameter(
        "freeze_threshold", 0.3, 0.0, 1.0, "bloc leader's credibility below which a member starts counting months"
    ),
    Parameter(
        "freeze_months", 12.0, 1.0, 60.0, "months below the threshold before a member freezes (twice that: it leaves)"
    ),
    Parameter(
        "dependence_build_rate",
        0.01,
        0.0,
        0.1,
        "dependence gained per month and unit of engagement beyond the starting level",
    ),
    Parameter(
        "dependence_decay",
        0.01,
        0.0,
        0.1,
        "monthly rate at which dependence returns toward the level the starting engagement holds",
    ),
    Parameter(
        "appeal_failure_penalty",
        0.5,
        0.0,
        1.0,
        "share of credibility a patron loses with a client whose appeal it fails",
    ),
    Parameter(
        "appeal_success_gain",
        0.2,
        0.0,
        1.0,
        "share of the remaining gap to full credibility a patron gains by answering",
    ),
    Parameter(
        "reputation_spillover",
        0.4,
        0.0,
        1.0,
        "fraction of a failure's penalty felt by the patron's other security clients",
    ),
    Parameter(
        "credibility_recovery", 0.01, 0.0, 0.1, "monthly rate at which credibility returns toward its starting level"
    ),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}

#: The weights of the utility terms and the hedging gain: what turns the evidence into choices.
UTILITY_WEIGHTS: tuple[str, ...] = (
    "economic_weight",
    "security_weight",
    "regime_weight",
    "protection_weight",
    "balancing_weight",
    "outreach_weight",
    "peer_weight",
    "hedging_gain",
)


def defaults(fit: Path = FITTED) -> dict[str, float]:
    """Built-in defaults with the fitted values over them; InputError if the fit is missing or unreadable."""
    if not Path(fit).is_file():
        raise InputError(
            f"{fit}: the fitted parameters are missing; reinstall alliance-sim, or make them with "
            "`alliance-sim calibrate`"
        )
    return dict(_defaults(fit))


@read_once
def _defaults(fit: Path) -> tuple[tuple[str, float], ...]:
    doc = load_yaml(fit, "fitted parameters")
    fitted = doc.data.get("parameters") if isinstance(doc.data, dict) else None
    if not isinstance(fitted, dict) or not fitted:
        raise doc.error(("parameters",), "expected the fitted values under 'parameters:'; run `alliance-sim calibrate`")
    values = {p.name: p.default for p in PARAMETERS}
    for name, value in fitted.items():
        if name not in BY_NAME:
            raise doc.error(("parameters", name), f"unknown parameter '{name}'; `alliance-sim params` lists them")
        values[name] = number(doc, ("parameters", name), value, BY_NAME[name].low, BY_NAME[name].high)
    return tuple(values.items())
