"""Solara components of the classroom page: controls, map, charts, shares, events and settings.

What shows the month (the date, the map, the charts, the table, the log) is built by `shown` in
one pass under the session's lock, once per model version, and painted at once by PaintAtOnce
into the panels' slots. Only the components that read the page's `tick` (bumped after every step or
event) are drawn again: `Painted` and the line under the controls every month, the controls, the causes
and the downloads only while paused. Play thus redraws a few widgets a month, not the whole page.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable

import numpy as np
import solara

from sim.outputs.colors import power_colors
from sim.viz import charts, mapview, record, why
from sim.viz.paint import PaintAtOnce
from sim.viz.presence import watched
from sim.viz.safety import guarded
from sim.viz.session import Session, Settings
from sim.viz.teaching import LEVERS, TeachingModel, china_investment_surge, crisis, origin, us_exercises

#: Play's pace: seconds per month.
SPEEDS = {"0.3 s per month": 0.3, "0.5 s per month": 0.5, "1 s per month": 1.0, "2 s per month": 2.0}
CHANGED = "changed: press Reset to apply"
#: Seconds the run must rest on a month before the "why" panel works out its causes.
QUIET = 0.5
#: Row class in the event log for each origin.
KIND = {"you": "teacher", "a state": "decision", "scenario": "scenario"}


@solara.component
def Slot(name: str, classes: list[str], attributes: dict[str, str] | None = None) -> None:
    """An empty element that PaintAtOnce (paint.py) fills with the panel called `name`."""
    solara.HTML(tag="div", unsafe_innerHTML="", classes=classes, attributes={**(attributes or {}), "data-panel": name})


@solara.component
def Controls(
    session: Session,
    tick: solara.Reactive[int],
    playing: solara.Reactive[bool],
    speed: solara.Reactive[str],
    changed: bool,
    on_step: Callable[[], None],
    on_back: Callable[[], None],
    on_reset: Callable[[], None],
) -> None:
    """The month in large type, Reset / Play / Step / Back, Play's pace, and the cue that settings wait for Reset."""
    while_paused(tick, playing.value)
    model = session.model
    with session.lock:  # Play's thread may be stepping
        steps = model.steps
    with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}, classes=["controls"]):
        Slot("month", ["date"])
        with solara.Tooltip("Start again from the first month, with the scenario, seed and sliders below"):
            solara.Button(
                "Reset", on_click=on_reset, outlined=not changed, classes=["tone-main" if changed else "tone-plain"]
            )
        with solara.Tooltip("Play month after month at the pace chosen on the right; press again, or Space, to pause"):
            solara.Button(
                "❚❚ Pause" if playing.value else "▶ Play",
                on_click=lambda: playing.set(not playing.value),
                disabled=not session.running,
                classes=["tone-main", "pause-button" if playing.value else "play-button"],
            )
        with solara.Tooltip("Advance one month (right arrow key)"):
            solara.Button(
                "Step", on_click=on_step, disabled=playing.value or not session.running, classes=["tone-main"]
            )
        with solara.Tooltip("Go back one month, to the same numbers as before (left arrow key)"):
            solara.Button("Back", on_click=on_back, disabled=playing.value or steps == 0, classes=["tone-main"])
        solara.Select("Play pace", values=list(SPEEDS), value=speed, style={"width": "170px", "flex": "0 0 auto"})
        solara.HTML(
            tag="span",
            unsafe_innerHTML=f"{html.escape(model.setup.scenario.name)}, seed {model.seed}",
            classes=["scenario-name"],
        )
        Cue(changed)
    Slot(
        "announcement",
        ["visually-hidden"],
        attributes={"role": "status", "aria-live": "polite", "aria-atomic": "true", "id": "month-announcement"},
    )


@solara.component
def Cue(changed: bool) -> None:
    """The reminder that settings wait for Reset; always in place (empty when nothing changed) so that the
    elements after it keep their order."""
    solara.HTML(tag="div", unsafe_innerHTML=CHANGED if changed else "", classes=["changed" if changed else "same"])


def monthly(tick: solara.Reactive[int]) -> int:
    """Read the page's tick, bumped after every step and event: the component that reads it is drawn again each
    month, and only it (the page around it is not, which would cost Play most of its month)."""
    return tick.value


def while_paused(tick: solara.Reactive[int], playing: bool) -> None:
    """Follow the tick only while paused: what matters only between months (Step, Back, the causes, the downloads)
    is not drawn again for every month Play shows, but as soon as it stops."""
    if not playing:
        monthly(tick)


@solara.component
def Painted(session: Session, tick: solara.Reactive[int], state: str, presenter: bool, reveal: bool) -> None:
    """Every panel that shows the month, built once per model version and painted at once."""
    monthly(tick)
    panels = solara.use_memo(
        lambda: shown(session, state, presenter, reveal), [session, session.version, state, presenter, reveal]
    )
    PaintAtOnce(panels=panels)


def shown(session: Session, state: str, presenter: bool = False, reveal: bool = False) -> dict[str, str]:
    """The HTML of every panel that shows the month, for the model's version now, read in one pass under the
    session's lock so that they all show the same month; `frame` names this version for PaintAtOnce. For the
    presenter's screen the map and charts are drawn with larger text and worded event marks; with `reveal`, the
    record's facts after the documents' end are judged on the run and marked on the state chart."""
    sizes, look = (mapview.PRESENTER, charts.PRESENTER) if presenter else (mapview.DESK, charts.DESK)
    with session.lock:  # Play's thread may be stepping
        model, baseline = session.model, session.baseline
        followed = state if state in model.states else model.states[0]
        date, steps, months = model.date, model.steps, model.setup.scenario.months
        facts: list[record.Fact] = []

        def record_panel() -> str:
            facts.extend(record.judged(model))
            return record.panel(facts, date)

        revealed = guarded("record", record_panel) if reveal else ""  # a broken record file: one line
        dates = model.setup.scenario.dates
        about = [(dates.index(f.month), f.verdict == record.MET, f.target.claim) for f in facts
                 if f.verdict != record.LATER and followed in f.target.states]  # fmt: skip
        return {
            "frame": f"{id(session)}:{session.version}:{followed}:{presenter}:{reveal}",
            "month": f'<span id="month">{date}</span> '
            f'<span class="of">month <span id="step">{steps}</span> of {months}</span>',
            "announcement": f"{date}, month {steps} of {months}",
            "this-month": guarded("month's summary", lambda: html.escape(session.this_month())),
            "map": guarded("map", lambda: mapview.alignment_map(model, sizes, baseline)),
            "state-chart": guarded("chart", lambda: charts.state_history(model, baseline, followed, look, about)),
            "leaning-chart": guarded("chart", lambda: charts.leaning_counts(model, baseline, look)),
            "shares": guarded("table", lambda: shares_table(model, baseline)),
            "acts-in": f"<b>Trigger an event now</b> (it acts in {model.setup.scenario.date(steps + 1)})",
            "log": guarded("event log", lambda: event_log(model)),
            "record": revealed,
        }


@solara.component
def ThisMonth(session: Session, tick: solara.Reactive[int]) -> None:
    """One line under the controls: the largest move this month and its cause, and below it what went wrong."""
    with solara.Column(gap="2px"):
        Slot("this-month", ["this-month"])
        Notes(session, monthly(tick))


@solara.component
def Notes(session: Session, tick: int) -> None:
    """One line per problem with the input or the run (a bad seed, a broken scenario), never a traceback."""
    with solara.Column(gap="2px"):
        for note in session.model.notes:
            solara.Warning(note, dense=True, classes=["note"])
        if session.error:
            solara.Error(f"The run stopped: {session.error}", dense=True, classes=["note"])


@solara.component
def AlignmentMap() -> None:
    """The map of pies (its borders and powers are drawn once)."""
    Slot("map", ["alignment-map"])


@solara.component
def StateChart(states: list[str], follow: solara.Reactive[str]) -> None:
    """A state picker and that state's shares over time, over the baseline's."""
    state = follow.value if follow.value in states else states[0]
    with solara.Column(gap="0px"):
        with solara.Tooltip("The state whose shares the chart below follows"):
            solara.Select("State to follow", values=states, value=state, on_value=follow.set, dense=True)
        Slot("state-chart", ["chart", "state-chart"])


@solara.component
def WhyPanel(session: Session, state: str, playing: bool, tick: solara.Reactive[int]) -> None:
    """Why the followed state moved, this month and since the start (a pie clicked on the map picks it), for the
    session's `version`: worked out in a thread once the run has rested on a month for QUIET seconds, and given
    up as soon as it moves on or nobody sees it, since each event is left out of a replay in turn (which Step must
    not wait for)."""
    while_paused(tick, playing)
    state = state if state in session.model.states else session.model.states[0]
    key = (id(session), session.version, state)
    found = solara.use_reactive(("", ""))  # (the key it was made for, its HTML)
    seen = solara.use_memo(watched, [])

    def explained(cancel: threading.Event) -> str:
        if why.replays(session, stop=lambda: cancel.is_set() or not seen()) is None:
            return ""
        return why.panel(why.why(session, state))

    def work(cancel: threading.Event) -> None:
        if playing or cancel.wait(QUIET) or not seen():
            return
        with session.lock:
            made = key == (id(session), session.version, state)
        if made:
            text = guarded("causes", lambda: explained(cancel))
            if not cancel.is_set():
                found.set((repr(key), text))

    solara.use_thread(work, dependencies=[key, playing], intrusive_cancel=False)
    if found.value[0] == repr(key):
        text = found.value[1]
    elif playing:
        text = f"<b>Why {html.escape(state)} moved</b>: pause to see (or click a state on the map)"
    else:
        text = f"<b>Why {html.escape(state)} moved</b>: working it out, each event left out in turn…"
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=["why-panel"], attributes={"aria-live": "polite"})


@solara.component
def RecordPanel(reveal: solara.Reactive[bool]) -> None:
    """The switch that reveals what really happened after the documents' end, and the facts judged on the run."""
    with solara.Column(gap="0px", classes=["record"]):
        with solara.Tooltip("Once the run is past 2023-03: the public record since then, met or missed by this run"):
            solara.Switch(label="What really happened", value=reveal)
        Slot("record", ["record-panel"])


@solara.component
def LeaningChart() -> None:
    """How many states lean to each power over time, over the baseline's."""
    Slot("leaning-chart", ["chart", "leaning-chart"])


@solara.component
def SharesTable() -> None:
    """Current shares in per cent, one row per state, the largest in bold, and the change from as written."""
    Slot("shares", [])


def shares_table(model: TeachingModel, baseline: TeachingModel) -> str:
    """The shares table for the model's month, and for each state the largest change from the run as written
    (same seed, no teacher changes) in points, with the power it concerns (cells carry ids for tests)."""
    colors = power_colors(model.powers)
    shares, written = model.world.alignment[0], baseline.world.alignment[0]
    head = "".join(
        f'<th title="share of each state\'s orientation toward {html.escape(p)}">'
        f'<span style="color:{colors[p]}">■</span> {html.escape(p)}</th>'
        for p in model.powers
    )
    rows = []
    for s, state in enumerate(model.states):
        top = int(shares[s].argmax())
        cells = "".join(
            f'<td id="share-{html.escape(state)}-{html.escape(p)}"{' class="top"' if i == top else ""}>'
            f"{100 * shares[s, i]:.1f}</td>"
            for i, p in enumerate(model.powers)
        )
        change = 100 * (shares[s] - written[s])
        most = int(np.abs(change).argmax())
        moved = f"{html.escape(model.powers[most])} {change[most]:+.1f}" if abs(change[most]) >= 0.05 else "none"
        rows.append(f'<tr><th>{html.escape(state)}</th>{cells}<td id="change-{html.escape(state)}">{moved}</td></tr>')
    changed = '<th title="the largest change from the run as written (same seed, nothing you changed), in points">'
    return (
        f'<table class="shares"><caption>Shares in {model.date}, % (largest in bold)</caption>'
        f"<tr><th></th>{head}{changed}change vs as written</th></tr>{''.join(rows)}</table>"
    )


@solara.component
def EventPanel(session: Session, on_event: Callable[[Callable], None]) -> None:
    """Buttons that trigger an event now, and the log of what has happened, in a panel of fixed height."""
    model = session.model
    target = solara.use_reactive("Kyrgyzstan")
    has = set(model.powers)
    who = target.value if target.value in model.states else model.states[0]
    with solara.Column(gap="6px", classes=["events"]):
        Slot("acts-in", [])
        with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "wrap"}):
            with solara.Tooltip("The state that comes under attack"):
                solara.Select("Attack on", values=model.states, value=who, on_value=target.set, dense=True,
                              style={"width": "160px", "flex": "0 0 auto"})  # fmt: skip
            with solara.Tooltip("A sudden threat: the state may appeal to its security patron, who answers "
                                "as far as its free forces allow (failing costs it trust)"):  # fmt: skip
                solara.Button(
                    "Attack: it calls for help",
                    outlined=True,
                    classes=["tone-attack"],
                    on_click=lambda: on_event(lambda m: crisis(m, who)),
                )
        with solara.Tooltip("Central Asia matters 1.5 times as much to China from now on: more investment there"):
            solara.Button(
                "China: investment surge",
                outlined=True,
                classes=["tone-china"],
                disabled="China" not in has,
                on_click=lambda: on_event(china_investment_surge),
            )
        with solara.Tooltip("More US security ties in Central Asia, and a push of engagement that fades"):
            solara.Button(
                "US exercises in Central Asia",
                outlined=True,
                classes=["tone-plain"],
                disabled="US" not in has,
                on_click=lambda: on_event(us_exercises),
            )
        Slot("log", ["log-panel"])


def event_log(model: TeachingModel) -> str:
    """What happened at each date: the scenario's events, the states' decisions and the teacher's, newest first."""
    rows = []
    for event in reversed(model.event_log):
        answered = "" if event.answered is None else f" <i>(answered {event.answered:.0%})</i>"
        who = origin(event.source)
        rows.append(
            f'<tr class="{KIND[who]}"><td>{event.date}</td>'
            f"<td>{html.escape(event.label)}{answered}</td><td>{who}</td></tr>"
        )
    body = "".join(rows) or '<tr><td colspan="3">nothing yet: press Step or Play</td></tr>'
    return f'<table class="event-log"><tr><th>date</th><th>event</th><th>by</th></tr>{body}</table>'


@solara.component
def SettingsPanel(
    session: Session,
    pending: solara.Reactive[Settings],
    choices: list[str],
    on_lever: Callable[[str, float], None],
) -> None:
    """Scenario, seed and sliders. A slider acts on the run at once (its value is marked while it is not as
    written); a scenario or seed that differs from the running model is marked until Reset applies it."""
    applied, wanted = session.settings, pending.value
    scenario = session.model.setup.scenario
    with solara.Column(gap="4px", classes=["settings"]):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<b>{html.escape(scenario.name)}</b> (seed {session.model.seed}): "
            f"{html.escape(scenario.description)}",
            classes=["question"],
        )
        Cue(wanted != applied)
        with solara.Row(gap="12px", style={"flex-wrap": "wrap"}):
            with solara.Tooltip("The scenario file to run: the baseline or a what-if"):
                solara.Select(
                    "Scenario",
                    values=choices,
                    value=wanted.scenario,
                    on_value=lambda name: pending.set(Settings(name, wanted.seed, wanted.levers)),
                    style={"width": "260px", "flex": "0 0 auto"},
                )
            with solara.Tooltip("The same seed gives the same run; another seed, other random shocks"):
                solara.InputText(
                    "Seed (whole number)",
                    value=wanted.seed,
                    on_value=lambda text: pending.set(Settings(wanted.scenario, text, wanted.levers)),
                    continuous_update=True,
                    style={"width": "170px", "flex": "0 0 auto"},
                )
        for lever in LEVERS:
            factor = wanted.factor(lever.name)
            moved = factor != 1.0
            with solara.Tooltip(f"{lever.tip} (1 = as the scenario says); acts from the month shown on"):
                with solara.Row(gap="8px", style={"align-items": "center"}, classes=["lever"]):
                    solara.SliderFloat(
                        lever.label,
                        value=factor,
                        min=lever.low,
                        max=lever.high,
                        step=lever.step,
                        thumb_label=False,
                        on_value=lambda value, name=lever.name: on_lever(name, value),
                    )
                    solara.HTML(
                        tag="span",
                        unsafe_innerHTML=f"{factor:g}",
                        classes=["lever-value", "moved" if moved else "same"],
                    )
