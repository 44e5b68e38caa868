"""One browser's run: the model the class is driving and its baseline twin, with the settings they came from.

The baseline is the same scenario and seed with no teacher changes (no sliders moved, no events
triggered), stepped alongside, so the page can show what the class changed. Back replays the run
from its seed to the month before, with the teacher's events and slider moves at the months they
were made: a seed fixes every number, so the month comes back as it was shown. Plain Python, no Solara: the
page holds one Session per browser, and tests and benchmarks drive it directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import numpy as np

from sim.inputs.scenario import Change
from sim.viz.teaching import BY_LEVER, LEVERS, TeachingModel, one_line, origin

#: An event the teacher triggers: builds its changes for the model it acts on.
Event = Callable[[TeachingModel], list[Change]]
#: What the teacher did in a month, replayed by Back: an event pressed, or a slider moved (lever name, factor).
Action = Event | tuple[str, float]


@dataclass(frozen=True)
class Settings:
    """What Reset builds from: a scenario file name, the seed as typed, and the sliders' factors."""

    scenario: str
    seed: str = "0"
    levers: tuple[tuple[str, float], ...] = field(default_factory=tuple)  # (lever name, factor), sorted

    def with_lever(self, name: str, factor: float) -> Settings:
        levers = dict(self.levers) | {name: round(float(factor), 4)}
        moved = sorted((lever, f) for lever, f in levers.items() if f != 1.0)  # a slider back at 1 is no change
        return Settings(self.scenario, self.seed, tuple(moved))

    def factor(self, name: str) -> float:
        return dict(self.levers).get(name, 1.0)

    def query(self) -> str:
        """These settings as a URL query, so that reloading the page starts afresh from them."""
        return urlencode({"scenario": self.scenario, "seed": self.seed, **{n: f"{f:g}" for n, f in self.levers}})

    @classmethod
    def from_query(cls, query: str | None, choices: list[str]) -> Settings:
        """Settings from the page's URL query; a scenario not offered, an unknown slider or a factor out of
        its range is left at its default."""
        asked = {key: values[-1] for key, values in parse_qs(query or "").items()}
        scenario = asked["scenario"] if asked.get("scenario") in choices else choices[0]
        settings = cls(scenario, asked.get("seed", "0")[:40])
        for lever in LEVERS:
            try:
                factor = float(asked[lever.name])
            except (KeyError, ValueError):
                continue
            if lever.low <= factor <= lever.high:
                settings = settings.with_lever(lever.name, factor)
        return settings


def act(model: TeachingModel, written: TeachingModel, action: Action) -> None:
    """Apply what the teacher did to `model`: an event now, or a slider from now on (what the scenario says
    read from `written`, the same run with no teacher changes)."""
    if isinstance(action, tuple):
        name, factor = action
        model.move(BY_LEVER[name], factor, written)
        return
    for change in action(model):
        model.trigger(change)


class Session:
    """A model and its baseline, stepped together; events from the page go to the model only."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.reset_settings, self.folder = settings, folder
        self.settings = settings  # as Reset set them, with the sliders moved since
        self.model, self.baseline = self._fresh()
        self.error: str | None = None  # one line if a step failed; the run then stops
        #: Play's thread, the page's buttons and every panel that reads the models take it.
        self.lock = threading.Lock()
        self.pressed: list[tuple[int, Action]] = []  # the teacher's events and slider moves, with their month
        self.version = 0  # bumped whenever what the panels show changes (a step, an event, Back)

    def _fresh(self) -> tuple[TeachingModel, TeachingModel]:
        settings = self.reset_settings
        model = TeachingModel(settings.scenario, settings.seed, self.folder, dict(settings.levers))
        return model, TeachingModel(model.scenario_name, model.seed, self.folder)

    @property
    def running(self) -> bool:
        return self.error is None and self.model.steps < self.model.setup.scenario.months

    def step(self) -> bool:
        """One month for both models; False (and `error` set) if the run cannot go on."""
        with self.lock:
            if not self.running:
                return False
            try:
                self.model.step()
                self.baseline.step()
            except Exception as exc:  # a scenario that loads but breaks the equations: one line, no traceback
                self.error = one_line(exc, self.model.scenario_name)
                return False
            finally:
                self.version += 1
            return True

    def trigger(self, make: Event) -> list[str]:
        """Apply an event the teacher triggered (built for this model) now; the states it touches, as logged."""
        with self.lock:
            logged = len(self.model.event_log)
            self.pressed.append((self.model.steps, make))
            self._apply(make)
            self.version += 1
            touched = [name for event in self.model.event_log[logged:] for name in event.touched]
        return list(dict.fromkeys(touched))

    def move(self, name: str, factor: float) -> None:
        """Set a slider from the month shown on, logged; Back replays it at this month."""
        with self.lock:
            self.pressed.append((self.model.steps, (name, factor)))
            self._apply((name, factor))
            self.version += 1

    def _apply(self, action: Action) -> None:
        act(self.model, self.baseline, action)
        if isinstance(action, tuple):
            self.settings = self.settings.with_lever(*action)

    def back(self, to: int | None = None) -> bool:
        """Return to month `to` (default: the month before), as it was shown: replayed from the seed with the
        teacher's events and slider moves up to then; False at the first month."""
        with self.lock:
            target = self.model.steps - 1 if to is None else to
            if not 0 <= target < self.model.steps:
                return False
            self.pressed = [(month, action) for month, action in self.pressed if month <= target]
            self.model, self.baseline = self._fresh()
            self.settings = self.reset_settings
            for month in range(target + 1):
                for _, action in (p for p in self.pressed if p[0] == month):
                    self._apply(action)
                if month < target:
                    self.model.step()
                    self.baseline.step()
            self.error = None
            self.version += 1
            return True

    def this_month(self) -> str:
        """One line: the largest move in any share this month and what caused it."""
        model = self.model
        shares = model.history["alignment"]
        if len(shares) < 2:
            return f"{model.date}: the starting picture. Press Step or Play."
        change = shares[-1] - shares[-2]
        s, p = np.unravel_index(int(np.abs(change).argmax()), change.shape)
        state, power = model.states[s], model.powers[p]
        moved = f"{model.date}: largest move {state} {power} {100 * change[s, p]:+.1f} points"
        fired = [e for e in model.event_log if e.date == model.date]
        about = [e for e in fired if state in e.touched]
        if about:
            return f"{moved}, after: {about[0].label} ({origin(about[0].source)})"
        if fired:
            more = f" and {len(fired) - 1} more" if len(fired) > 1 else ""
            return f"{moved}; this month: {fired[0].label} ({origin(fired[0].source)}){more}"
        return f"{moved}: still answering earlier events (none this month)"
