"""What the fit assumes of each global parameter: which it fits, the prior of each fitted one and what
the evidence says of it, and why the others are held at their defaults (docs/ODD.md section 7.4).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sim.inputs.parameters import BY_NAME, UTILITY_WEIGHTS

#: Parameters the fit adjusts: the utility weights and the rates the targets constrain.
FITTED = (
    "adjustment_rate",
    *(name for name in UTILITY_WEIGHTS if name not in ("peer_weight", "hedging_gain")),
    "appeal_failure_penalty",
    "reputation_spillover",
)
#: Parameters held at their built-in defaults, and why (the fit report sweeps each across its range).
HELD = {
    "shock_scale": "stands for unmodelled month-to-month events, whose size no document reports; the targets only "
    "bound it from above (noise erodes the leads the order targets ask for), so fitting it would drive it toward "
    "a model without chance",
    "dependence_build_rate": "turns outreach into dependence over years: across its whole range it changes no "
    "target's outcome within the window",
    "appeal_success_gain": "the credibility an answered appeal earns; no document reports it, and across its range "
    "it changes no target's outcome",
    "outreach_fade": "how fast a one-off push (a visit, an exercise) fades back to the strategy's level; the "
    "documents date such pushes but not how long they last, and most fall late in the window: held at a half-life "
    "of about four months",
    "credibility_recovery": "no document reports credibility recovering (the reported falls come at most six months "
    "before the window ends); across its range it changes no target's outcome",
    "dependence_decay": "how fast dependence returns to the level the starting engagement holds once engagement "
    "changes: trade routes, arms and bases change over years; held at a half-life of about six years (0.01 a "
    "month), near the pace the documents report for Kazakhstan's oil sent around Russia in 2022 (about 1.5 of "
    "some 70 million tonnes a year, 004_aaee4ce7cbe7aa07.txt)",
    "responsiveness": "how fast an adaptive power moves its effort; no document reports a reallocation's speed, and "
    "the window is too short for reallocations to show in the targets: held at a fifth of the gap a month",
    "max_reallocation": "cap on a month's reallocation (two points of a power's budget per state): a bureaucratic "
    "limit no document measures",
    "rivalry_weight": "how much rivals' engagement raises a state's value to an adaptive power holding it; no "
    "document measures it, and the ablation finds that it does not earn its place: held at 0 (off)",
    "hedging_gain": "how much a needy patron's leverage flattens its clients' choice; the ablation finds that it "
    "neither improves the out-of-sample score nor produces a documented fact: held at 0 (off)",
    "peer_weight": "pull of neighbours' and bloc partners' orientation; the ablation finds that it neither "
    "improves the out-of-sample score by the margin nor produces a documented fact: held at 0 (off)",
    "coercion_trigger": "the drift a power tolerates before pressing (three points below the share it remembers); "
    "the documents report coercive words but not the drift that set them off",
    "appeal_threshold": "acute threat at which a state calls for help: half the scale, a crisis rated serious; "
    "the documented calls (Kazakhstan's unrest, the attack on Armenia) lie above it",
    "acute_fade": "a crisis's acute phase halves each month: the documented ones (the January 2022 unrest, the "
    "September 2022 shelling) were over within weeks",
    "freeze_threshold": "credibility below which a security bloc's member starts counting months: 0.3, the "
    "credibility the evidence gives a power with no record as a guarantor",
    "freeze_months": "a year of low credibility before a member freezes its participation; no document reports "
    "the delay",
}


@dataclass(frozen=True)
class Prior:
    """Uniform over `low` to `high`, and what the documents say of the parameter."""

    low: float
    high: float
    reason: str


#: The prior of each fitted parameter: uniform, over the range the evidence leaves open. The documents show
#: which way each utility term pulls (the model's signs) but weigh none of them, so each weight's prior is its
#: whole plausible range; only the adjustment rate's is narrowed, by how fast the documented moves came.
PRIORS = {
    "adjustment_rate": Prior(
        0.019,
        0.5,
        "the documents see orientations move within months of a shock (toward Moscow as the Taliban advanced in "
        "2021, 001; Kazakhstan's distance within weeks of the invasion, 002 and 004): half a gap closed in at most "
        "about three years (0.019 a month), at fastest in a month (0.5)",
    ),
    "economic_weight": Prior(
        0.0,
        5.0,
        "trade and routes bind (Kazakhstan's oil through Russia, Uzbekistan's trade, 004), but no document says "
        "how much they weigh against other ties",
    ),
    "security_weight": Prior(
        0.0,
        5.0,
        "bases and arms bind (the 201st base in Tajikistan, 000 and 001), but no document weighs them",
    ),
    "regime_weight": Prior(
        0.0,
        5.0,
        "the CSTO mission of January 2022 shored up Tokayev's presidency (002): regime support counts, by how "
        "much no document says",
    ),
    "protection_weight": Prior(
        0.0,
        10.0,
        "states in a crisis call on their patron (Kazakhstan's unrest, the attack on Armenia, 002): protection "
        "counts, by how much no document says",
    ),
    "balancing_weight": Prior(
        0.0,
        10.0,
        "a patron's own threat pushes its clients away (Kazakhstan after Moscow questioned its statehood, 002), "
        "by how much no document says",
    ),
    "outreach_weight": Prior(
        0.0,
        5.0,
        "visits, exercises and investment are dated (000, 003), their pull is not",
    ),
    "appeal_failure_penalty": Prior(
        0.0,
        1.0,
        "Russia's standing fell after Armenia's appeal went unanswered (002, 004), by how much no document says",
    ),
    "reputation_spillover": Prior(
        0.0,
        1.0,
        "Russia's reputation as a guarantor is said to fall across the region (002), together with the rout near "
        "Kharkiv, so the documents do not separate how far one failure spreads",
    ),
}


def prior(name: str) -> Prior:
    """A fitted parameter's prior; a parameter with none listed (a custom fit) is uniform over its range."""
    spec = BY_NAME[name]
    return PRIORS.get(name, Prior(spec.low, spec.high, "no prior listed: uniform over the plausible range"))


def prior_bounds(names: tuple[str, ...]) -> np.ndarray:
    """(D, 2): the low and high end of each parameter's prior."""
    return np.array([(prior(n).low, prior(n).high) for n in names])


def priors_record(names: tuple[str, ...]) -> dict[str, dict[str, float | str]]:
    """The priors as the fitted-values file records them."""
    return {n: asdict(prior(n)) for n in names}
