"""TeachingModel: AllianceModel with the levers a teacher moves and the events a teacher triggers.

The levers are multipliers on what the scenario says (1 = as written). They act from the first
month on, after the states' historical ties are settled, so moving a lever sets states drifting
instead of being absorbed into the starting equilibrium. Bad input (a seed that is not a whole
number, a broken scenario file) never raises: the model falls back and says so in `notes`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..evidence import EVIDENCE, Evidence, load_evidence
from ..geography import REGIONS
from ..inputs import InputError
from ..model import AllianceModel, LoggedEvent
from ..parameters import BY_NAME
from ..scenario import BASELINE, SCENARIOS, Change
from ..world import _indexes, apply_change

TEACHER = "teacher"


@dataclass(frozen=True)
class Lever:
    """A slider: a multiplier on one power's attribute or on one model parameter."""

    name: str
    subject: str
    low: float
    high: float
    attribute: str  # a World attribute, or a parameter name when `power` is None
    power: str | None = None

    @property
    def label(self) -> str:
        return f"{self.subject} ×"


LEVERS: tuple[Lever, ...] = (
    Lever("russia_capacity", "Russia's free capacity", 0.25, 1.4, "free_capacity", "Russia"),
    Lever("china_outreach", "China's investment push", 0.0, 3.0, "outreach", "China"),
    Lever("us_outreach", "US engagement", 0.0, 3.0, "outreach", "US"),
    Lever("turkey_outreach", "Turkey's engagement", 0.0, 3.0, "outreach", "Turkey"),
    Lever("inertia", "Speed of change", 0.25, 4.0, "adjustment_rate"),
    Lever("noise", "Noise", 0.0, 3.0, "shock_scale"),
)


def scenario_files(folder: Path = SCENARIOS) -> list[str]:
    """File names of the scenarios offered in the picker, baseline first."""
    names = sorted(p.name for p in Path(folder).glob("*.yaml"))
    return sorted(names, key=lambda name: name != BASELINE.name)


@functools.cache
def shared_evidence() -> Evidence:
    """The evidence file, read once per server: Reset then only re-reads the (small) scenario file."""
    return load_evidence(EVIDENCE)


def parse_seed(text: str | int) -> int | None:
    """The seed typed into the page as a whole number >= 0, or None if it is not one."""
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if value >= 0 else None


class TeachingModel(AllianceModel):
    """The alignment model as a classroom demo: scenario by file name, seed as typed, levers as multipliers."""

    def __init__(
        self,
        scenario_name: str = BASELINE.name,
        seed: str | int = "0",
        scenarios_dir: str | Path = SCENARIOS,
        russia_capacity: float = 1.0,
        china_outreach: float = 1.0,
        us_outreach: float = 1.0,
        turkey_outreach: float = 1.0,
        inertia: float = 1.0,
        noise: float = 1.0,
    ) -> None:
        notes = []
        chosen = parse_seed(seed)
        if chosen is None:
            notes.append(f"Seed '{seed}' is not a whole number ≥ 0: using seed 0 instead.")
            chosen = 0
        path = Path(scenarios_dir) / scenario_name
        try:
            super().__init__(path, rng=chosen, evidence=shared_evidence())
        except InputError as exc:
            notes.append(f"Could not load {scenario_name}: {exc}. Showing the baseline instead.")
            path = BASELINE
            super().__init__(path, rng=chosen, evidence=shared_evidence())
        self.scenario_name, self.seed, self.notes = path.name, chosen, notes
        self.levers: dict[str, float] = {}  # subject -> factor, for the sliders moved away from 1
        factors = {
            "russia_capacity": russia_capacity, "china_outreach": china_outreach, "us_outreach": us_outreach,
            "turkey_outreach": turkey_outreach, "inertia": inertia, "noise": noise,
        }  # fmt: skip
        for lever in LEVERS:
            if float(factors[lever.name]) != 1.0:
                self._pull(lever, float(factors[lever.name]))

    def _pull(self, lever: Lever, factor: float) -> None:
        """Apply a lever from the first month on and log it at the start date."""
        if lever.power is None:
            spec = BY_NAME[lever.attribute]
            self.params[lever.attribute] = float(np.clip(self.params[lever.attribute] * factor, spec.low, spec.high))
        elif lever.power in self.powers:
            targets = self.states if lever.attribute == "outreach" else []
            apply_change(
                self.world, self.change(lever.attribute, "multiply", factor, targets, lever.power), self.params
            )
        else:
            self.notes.append(f"{lever.subject}: {lever.power} is not in this scenario, so this slider does nothing.")
            return
        self.levers[lever.subject] = factor
        self.event_log.append(LoggedEvent(self.date, f"{lever.subject} × {factor:g} (slider)", TEACHER))

    def change(
        self, attribute: str, operation: str, value: float, targets: list[str], power: str, label: str = ""
    ) -> Change:
        """A Change on this model's world, its targets (states, regions, blocs) resolved to indexes."""
        names: list[str] = []
        for target in targets:
            names += [s for s in REGIONS[target] if s in self.states] if target in REGIONS else [target]
        states = _indexes(np.array(names, dtype=object), self.states, self.setup.members)
        return Change(attribute, operation, float(value), states, self.powers.index(power), TEACHER, label)


# --- events a teacher triggers live ----------------------------------------------------------------


def appeal_states(model: TeachingModel) -> list[str]:
    """States that can appeal to the CSTO: its members in the evidence file."""
    return [model.states[i] for i in model.setup.members["CSTO"]]


def csto_appeal(model: TeachingModel, state: str) -> list[Change]:
    """A state under acute attack appeals to the CSTO; Russia answers only as far as its free forces allow."""
    label = f"{state} appeals to the CSTO under acute threat"
    return [model.change("appeal", "appeal", 1.0, [state], "Russia", label)]


def china_investment_surge(model: TeachingModel) -> list[Change]:
    """China announces an investment surge: its outreach in Central Asia × 1.5."""
    return [
        model.change(
            "outreach",
            "multiply",
            1.5,
            ["Central Asia"],
            "China",
            "China announces an investment surge in Central Asia",
        )
    ]


def us_exercises(model: TeachingModel) -> list[Change]:
    """US exercises in Central Asia: more security ties and more engagement."""
    label = "US exercises in Central Asia"
    return [
        model.change("security", "add", 0.1, ["Central Asia"], "US", f"{label}: security ties"),
        model.change("outreach", "add", 0.3, ["Central Asia"], "US", f"{label}: engagement"),
    ]
