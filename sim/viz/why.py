"""Why a state moved: the causes of its move this month and since the start, by the decomposition of
`alliance-sim explain --moves` (sim.experiments.attribution): each event left out in turn, its part is what
the move loses without it.

Here an event is a scheduled change of the scenario, an event the teacher pressed or a slider the teacher
set (at Reset or during the run). Each is left out of a replay of the class's run from its seed to the month
shown (as Back replays it); the replays serve every state at once, so they are made once per month shown.
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.experiments.attribution import event_parts, removable
from sim.viz.session import Action, Session, act
from sim.viz.teaching import BY_LEVER, TeachingModel

#: Causes named for each move, at most.
SHOWN = 3
#: What a replay leaves out: ("scheduled", (month, i)), ("pressed", its place in the list) or ("lever", name).
Leave = tuple[str, object]


@dataclass(frozen=True)
class Run:
    """What a replay needs of the class's run: its settings at Reset, what the teacher did, the month shown."""

    scenario: str
    seed: int
    folder: Path
    levers: tuple[tuple[str, float], ...]
    pressed: tuple[tuple[int, Action], ...]
    steps: int


@dataclass(frozen=True)
class Move:
    """A state's move with one power over a span, in points, and the events behind it, largest first."""

    since: str
    power: str
    change: float
    causes: tuple[tuple[str, str, float], ...]  # (date, label, points)


@dataclass(frozen=True)
class Why:
    """A state's move this month (None at the first month) and since the start, each with its causes."""

    state: str
    date: str
    month: Move | None
    start: Move


@dataclass(frozen=True)
class Replays:
    """The shares at the start, the month before and the month shown (3, S, P): in the run, and without each
    event (E, 3, S, P), with each event's date and label."""

    run: Run
    shares: np.ndarray
    without: np.ndarray
    events: list[tuple[str, str]]


#: The replays made for each session, for the version they were made at.
MADE: weakref.WeakKeyDictionary[Session, tuple[int, Replays]] = weakref.WeakKeyDictionary()


def replays(session: Session, stop: Callable[[], bool] = lambda: False) -> Replays | None:
    """The replays for the month the session shows (made once per version); None if `stop` said so between two
    replays (the page has moved on: a Step, Back or Play)."""
    with session.lock:
        version, model = session.version, session.model
        if session in MADE and MADE[session][0] == version:
            return MADE[session][1]
        run = Run(
            model.scenario_name,
            model.seed,
            session.folder,
            session.reset_settings.levers,
            tuple(session.pressed),
            model.steps,
        )
        shares = np.stack([model.history["alignment"][m] for m in spans(run.steps)])
        leaves, events = causes_of(run, model)
    replayed = []
    for leave in leaves:
        if stop():
            return None
        replayed.append(replay(run, leave))
    without = np.stack(replayed) if replayed else np.empty((0, *shares.shape))
    made = Replays(run, shares, without, events)
    with session.lock:
        MADE[session] = (version, made)
    return made


def spans(steps: int) -> tuple[int, int, int]:
    """The months a move is read at: the start, the month before the one shown, and the one shown."""
    return 0, max(0, steps - 1), steps


def causes_of(run: Run, model: TeachingModel) -> tuple[list[Leave], list[tuple[str, str]]]:
    """Every event that can have moved a share by the month shown, as what a replay leaves out and (date, label):
    the sliders set at Reset, the scenario's changes fired so far, and what the teacher did before this month."""
    scenario = model.setup.scenario
    leaves: list[Leave] = []
    events: list[tuple[str, str]] = []
    for name, factor in run.levers:
        leaves.append(("lever", name))
        events.append((scenario.date(0), f"{BY_LEVER[name].label} {factor:g} from the start"))
    for month, i in removable(model.setup):
        if month <= run.steps:
            change = model.setup.events[month][i]
            leaves.append(("scheduled", (month, i)))
            events.append((change.date, change.label.split(";")[0]))
    for k, (month, action) in enumerate(run.pressed):
        if month < run.steps:
            leaves.append(("pressed", k))
            events.append((scenario.date(month + 1), f"you: {pressed_label(model, action)}"))
    return leaves, events


def pressed_label(model: TeachingModel, action: Action) -> str:
    """What the teacher did, in a few words."""
    if isinstance(action, tuple):
        name, factor = action
        return f"{BY_LEVER[name].label.removesuffix(' ×')} set to ×{factor:g}"
    return action(model)[0].label.split(":")[0]


def replay(run: Run, leave: Leave) -> np.ndarray:
    """The run replayed from its seed to the month shown without one event: shares at `spans` (3, S, P)."""
    levers = {name: factor for name, factor in run.levers if leave != ("lever", name)}
    model = TeachingModel(run.scenario, run.seed, run.folder, levers)
    written = TeachingModel(model.scenario_name, model.seed, run.folder)
    moves = any(isinstance(action, tuple) for _, action in run.pressed)  # only a slider reads the run as written
    if leave[0] == "scheduled":
        model.leave_out(leave[1])  # type: ignore[arg-type]
    seen = {0: model.world.alignment[0].copy()}
    for month in range(run.steps + 1):
        for k, (when, action) in enumerate(run.pressed):
            if when == month and leave != ("pressed", k):
                act(model, written, action)
        if month < run.steps:
            model.step()
            if moves:
                written.step()
            seen[month + 1] = model.world.alignment[0].copy()
    return np.stack([seen[m] for m in spans(run.steps)])


def why(session: Session, state: str) -> Why:
    """The causes of `state`'s largest move this month and since the start, with the power each concerns."""
    made = replays(session)
    assert made is not None  # nothing stops it
    model = session.model
    s = model.states.index(state)
    scenario = model.setup.scenario

    def move(first: int, since: str) -> Move:
        change = made.shares[2, s] - made.shares[first, s]
        p = int(np.abs(change).argmax())
        others = [float(w[2, s, p] - w[first, s, p]) for w in made.without]
        parts = event_parts(float(change[p]), others, made.events)
        causes = tuple((date, label, 100 * part) for date, label, part in parts[:SHOWN])
        return Move(since, model.powers[p], 100 * float(change[p]), causes)

    this_month = move(1, scenario.date(made.run.steps - 1)) if made.run.steps else None
    return Why(state, scenario.date(made.run.steps), this_month, move(0, scenario.date(0)))


def sentence(state: str, move: Move, span: str) -> str:
    """'Armenia Russia -4.0 points since 2021-01: Russia invades Ukraine (2022-03) -3.1, ...'."""
    said = f"{state} {move.power} {move.change:+.1f} points {span}"
    causes = [f"{label} ({date}) {part:+.1f}" for date, label, part in move.causes if abs(part) >= 0.05]
    if not causes:
        return f"{said}: no event accounts for it (the states' own answers to earlier moves, and chance)"
    return f"{said}: " + ", ".join(causes)


def panel(found: Why) -> str:
    """The causes as the page shows them, user text escaped."""
    lines = [sentence(found.state, found.start, f"since {found.start.since}")]
    if found.month is not None:
        lines.insert(0, sentence(found.state, found.month, f"this month ({found.date})"))
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return f'<div class="why"><b>Why {html.escape(found.state)} moved</b><ul>{items}</ul></div>'
