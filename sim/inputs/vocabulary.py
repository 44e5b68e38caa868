"""The words the input files use: attributes, operations, policies, designs, and the limits on outreach.

Kept apart from the schema (which needs pydantic) so that the model can name them without loading it.
"""

from __future__ import annotations

from sim.inputs.geography import POWER_POSITIONS

PAIR_ATTRIBUTES = ("alignment", "economic", "security", "regime", "coercion", "credibility")
STATE_ATTRIBUTES = ("neighbour_threat", "insurgent_threat", "acute_threat")
POWER_ATTRIBUTES = ("capability", "free_capacity", "leverage")
STRUCTURE = ("membership", "border", "rivalry")
ATTRIBUTES = PAIR_ATTRIBUTES + STATE_ATTRIBUTES + POWER_ATTRIBUTES + STRUCTURE
#: What an event may change: a state-power pair's ties, a power's interest in a state (a lasting
#: strategy change) or a one-off push there, a state's threats, a power's means and budget.
EVENT_ATTRIBUTES = (
    tuple(a for a in PAIR_ATTRIBUTES if a != "alignment")
    + ("interest", "push")
    + STATE_ATTRIBUTES
    + POWER_ATTRIBUTES
    + ("budget",)
)
#: Powers an evidence entry may name: the four of every scenario and those a scenario may add (e.g. the EU).
KNOWN_POWERS = tuple(POWER_POSITIONS)
#: Largest budget, interest or one-off push a scenario may give a power.
MAX_OUTREACH = 5.0
#: A power's effort: the attributes that go up to MAX_OUTREACH rather than 1.
EFFORT = ("interest", "push", "budget")


def attribute_kind(attribute: str) -> str:
    """Whose an event's attribute is: "power" (a power's own means and budget), "state" (a state's threats) or
    "pair" (a state's with a power: its ties, the power's credibility, interest and push there). The scenario
    reader checks an event's targets by it, and the world indexes its arrays by it."""
    if attribute in POWER_ATTRIBUTES or attribute == "budget":
        return "power"
    return "state" if attribute in STATE_ATTRIBUTES else "pair"


def attribute_bound(attribute: str) -> float:
    """The highest level an attribute takes: MAX_OUTREACH for a power's effort, 1 for shares, ties and levels."""
    return MAX_OUTREACH if attribute in EFFORT else 1.0


POLICIES = ("adaptive", "scripted")
#: `restore` returns an attribute to where the run started (its evidence-derived level): it takes no value.
OPERATIONS = ("set", "add", "multiply", "restore")
METHODS = ("lhs", "sobol", "morris")
STORES = ("trajectories", "outcomes")
#: Runs per chunk unless an experiment says otherwise: a chunk's arrays stay a few hundred MB.
CHUNK_RUNS = 1000
#: The quantiles a forecast file gives of each share it forecasts, by the key it writes them under.
FORECAST_QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}
