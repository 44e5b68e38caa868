"""TeachingModel: AllianceModel with the levers a teacher moves and the events a teacher triggers.

The levers are multipliers on what the scenario says (1 = as written). Set at Reset, they act
from the first month on, after the states' historical ties are settled, so moving a lever sets
states drifting instead of being absorbed into the starting equilibrium; moved during a run
(`move`), they act from that month on. LEVERS is a small table: the powers'
budgets and Russia's free forces (their strategies), and the two utility weights that moved
outcomes most at both ends of their range; a Morris screening of the baseline ranks speed of
change and the pull of neighbours higher, but at 4x and 2x they moved no share by 5 points by
2025. Re-select when the model changes: tests/test_viz.py holds every slider to moving a share by
5 points or a main partner by 2025 at each end.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.geography import REGIONS
from sim.inputs.packaged import BASELINE, EVIDENCE, SCENARIOS
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Change
from sim.inputs.vocabulary import attribute_bound
from sim.model.events import LEVER, MODEL, LoggedEvent
from sim.model.model import AllianceModel

TEACHER = "teacher"
#: Source the model gives the events its agents decide (appeals, answers, bloc exits).
DECIDED = MODEL


@dataclass(frozen=True)
class Lever:
    """A slider: a multiplier on one power's attributes (`power` set) or on one model parameter."""

    name: str
    label: str
    tip: str
    low: float
    high: float
    attributes: tuple[str, ...]  # World attributes of `power`, or one parameter name when `power` is None
    power: str | None = None
    step: float = 0.1


LEVERS: tuple[Lever, ...] = (
    Lever("russia_forces", "Russia's free forces ×", "forces Russia can spare for the region (the war still takes "
          "its share)", 0.25, 2.0, ("free_capacity",), "Russia", 0.05),
    Lever("russia_engagement", "Russia's engagement ×", "Russia's budget for bases, arms, trade and regime support",
          0.0, 3.0, ("budget",), "Russia"),
    Lever("us_engagement", "US engagement ×", "the US budget for exercises, aid and partnership",
          0.0, 3.0, ("budget",), "US"),
    Lever("china_engagement", "China's investment ×", "China's budget for investment and trade",
          0.0, 3.0, ("budget",), "China"),
    Lever("turkey_engagement", "Turkey's engagement ×", "Turkey's budget for Turkic ties, energy routes and arms",
          0.0, 3.0, ("budget",), "Turkey"),
    Lever("protection", "Need for protection ×", "how much a state under threat values a protector's forces",
          0.0, 2.0, ("protection_weight",)),
    Lever("resentment", "Resentment of pressure ×", "how strongly a state turns away from a power that threatens "
          "or presses it", 0.0, 2.0, ("balancing_weight",)),
)  # fmt: skip
BY_LEVER: dict[str, Lever] = {lever.name: lever for lever in LEVERS}


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


def one_line(exc: Exception, name: str) -> str:
    """An exception as the one line a page shows: the input's own message, or what failed in which file."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if name in text else f"{name}: {text}"


class TeachingModel(AllianceModel):
    """The alignment model as a classroom demo: scenario by file name, seed as typed, levers as multipliers.

    Bad input never raises: a seed that is not a whole number becomes 0, and a scenario that
    cannot be loaded gives the baseline; each says so in one line in `notes`.
    """

    def __init__(
        self,
        scenario_name: str = BASELINE.name,
        seed: str | int = "0",
        scenarios_dir: str | Path = SCENARIOS,
        levers: Mapping[str, float] | None = None,
    ) -> None:
        notes = []
        chosen = parse_seed(seed)
        if chosen is None:
            notes.append(f"Seed '{seed}' is not a whole number ≥ 0: using seed 0 instead.")
            chosen = 0
        path = Path(scenarios_dir) / scenario_name
        try:
            super().__init__(path, rng=chosen, evidence=shared_evidence())
        except Exception as exc:  # any broken file: the page shows one line, never a traceback
            notes.append(f"{one_line(exc, scenario_name)} (showing the baseline instead)")
            path = BASELINE
            super().__init__(path, rng=chosen, evidence=shared_evidence())
        self.scenario_name, self.seed, self.notes = path.name, chosen, notes
        self.left_out: Change | None = None  # a scheduled change this run leaves out (`leave_out`)
        self.levers: dict[str, float] = {}  # lever name -> factor, for the sliders moved away from 1
        moved = {name: float(factor) for name, factor in (levers or {}).items() if float(factor) != 1.0}
        for name in sorted(moved, key=lambda name: BY_LEVER[name].power is not None):  # parameters first
            self._pull(BY_LEVER[name], moved[name])

    def leave_out(self, event: tuple[int, int]) -> None:
        """Leave one scheduled change out of this run (as `attribution.removable` names it): it never fires."""
        month, i = event
        self.left_out = self.setup.events[month][i]

    def trigger(self, change: Change) -> None:
        """Apply a change now, unless it is the scheduled change this run leaves out."""
        if change is not self.left_out:
            super().trigger(change)

    def _pull(self, lever: Lever, factor: float) -> None:
        """Apply a lever and log it at the start date. A parameter's lever says how strongly states answer
        what changes: the start is settled again with it, so it stays a rest point. A power's lever changes
        what the power does from the first month on."""
        if lever.power is None:
            (name,) = lever.attributes
            spec = BY_NAME[name]
            self.params[name] = float(np.clip(self.params[name] * factor, spec.low, spec.high))
            self.world = self.setup.initial(1, self.params)
            self.start, self.snapshot = self.world.copy(), self.world
        elif lever.power in self.powers:
            p = self.powers.index(lever.power)
            for attribute in lever.attributes:
                values = getattr(self.world, attribute)
                values[..., p] = np.clip(values[..., p] * factor, 0.0, attribute_bound(attribute))
        else:
            self.notes.append(f"{lever.label.rstrip(' ×')}: {lever.power} is not in this scenario, so it does nothing.")
            return
        self.levers[lever.name] = factor
        self.event_log.append(self.lever_record(lever, f"{lever.label} {factor:g} (slider)"))

    def move(self, lever: Lever, factor: float, written: AllianceModel) -> None:
        """Set a lever to `factor` from this month on, without settling the start again: what the scenario says
        now (read from `written`, the same run with no teacher changes) times the factor, logged. A second move
        of the same lever in the same month replaces the first in the log."""
        if lever.power is None:
            (name,) = lever.attributes
            spec = BY_NAME[name]
            self.params[name] = float(np.clip(written.params[name] * factor, spec.low, spec.high))
        elif lever.power in self.powers:
            p = self.powers.index(lever.power)
            for attribute in lever.attributes:
                scaled = getattr(written.world, attribute)[..., p] * factor
                getattr(self.world, attribute)[..., p] = np.clip(scaled, 0.0, attribute_bound(attribute))
        else:
            return
        self.levers.pop(lever.name, None)
        if factor != 1.0:
            self.levers[lever.name] = factor
        said = self.lever_record(lever, f"teacher set {lever.label.removesuffix(' ×')} to ×{factor:g}")
        last = self.event_log[-1] if self.event_log else None
        if last and (last.date, last.kind, last.attribute) == (said.date, said.kind, said.attribute):
            self.event_log.pop()
        self.event_log.append(said)

    def lever_record(self, lever: Lever, label: str) -> LoggedEvent:
        """This month's record of a slider moved: the lever by name and the power it acts on."""
        return LoggedEvent(self.date, label, TEACHER, kind=LEVER, power=lever.power or "", attribute=lever.name)

    def change(
        self, attribute: str, operation: str, value: float, targets: list[str], power: str | None, label: str
    ) -> Change:
        """A Change on this model's world, its targets (states, regions, blocs) resolved to indexes."""
        names: list[str] = []
        for target in targets:
            names += [s for s in REGIONS[target] if s in self.states] if target in REGIONS else [target]
        index = None if power is None else self.powers.index(power)
        return self.setup.resolve(Change(attribute, operation, float(value), tuple(names), index, TEACHER, label))


# --- events a teacher triggers live ----------------------------------------------------------------


def origin(source: str) -> str:
    """Who made an event happen, as the page says it: "you", "a state" (a decision in the model) or "scenario"."""
    return {TEACHER: "you", DECIDED: "a state"}.get(source, "scenario")


def crisis(model: TeachingModel, state: str) -> list[Change]:
    """A state comes under attack: its acute threat flares, so it may appeal to its security patron next month."""
    return [model.change("acute_threat", "set", 0.9, [state], None, f"{state} comes under attack")]


def china_investment_surge(model: TeachingModel) -> list[Change]:
    """China announces an investment surge: Central Asia matters 1.5 times as much to it from now on."""
    label = "China announces an investment surge in Central Asia"
    return [model.change("interest", "multiply", 1.5, ["Central Asia"], "China", label)]


def us_exercises(model: TeachingModel) -> list[Change]:
    """US exercises in Central Asia: lasting security ties and a push of engagement that fades."""
    label = "US exercises in Central Asia"
    return [
        model.change("security", "add", 0.1, ["Central Asia"], "US", f"{label}: security ties"),
        model.change("push", "add", 0.3, ["Central Asia"], "US", f"{label}: engagement"),
    ]
