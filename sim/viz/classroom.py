"""The classroom page's content for one browser: its Session, the controls and every panel.

The Session is made when the page first renders (and again on Reset), so each browser has its
own model; Reset writes its settings into the page's address, so that a reload starts afresh
from them. A slider acts at once, from the month shown on; the scenario and the seed wait for
Reset. Play runs in a thread of this page, one month per interval, drawing included; Pause
stops on the month the browser showed when it was pressed, going back to it if Play had already
stepped past it, and Play stops once no browser shows the page. Presenter mode (`?presenter=1` in
the address keeps it) sets everything in large type, the map beside one chart on a 1280x720
screen, and folds the settings away.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import solara
import solara.lab

from sim.viz import takeaway
from sim.viz.components import (
    SPEEDS,
    AlignmentMap,
    Controls,
    EventPanel,
    LeaningChart,
    Painted,
    RecordPanel,
    SettingsPanel,
    SharesTable,
    StateChart,
    ThisMonth,
    WhyPanel,
    while_paused,
)
from sim.viz.keys import TeacherKeys
from sim.viz.presence import watched
from sim.viz.session import Session, Settings
from sim.viz.teaching import one_line


def presenting(query: str | None) -> bool:
    """Whether the page's address asks for presenter mode (`presenter=1`)."""
    return parse_qs(query or "").get("presenter", ["0"])[-1] == "1"


def address(settings: Settings, presenter: bool) -> str:
    """The page's query for these settings, and presenter mode if on: a reload or a bookmark starts from it."""
    return settings.query() + ("&presenter=1" if presenter else "")


def start(settings: Settings, folder: Path) -> Session | str:
    """A new Session, or one line saying why none can be made (the page then shows only that line)."""
    try:
        return Session(settings, folder)
    except Exception as exc:  # the baseline itself or the evidence is broken: never a traceback in the page
        return one_line(exc, settings.scenario)


@solara.component
def Classroom(folder: Path, choices: list[str]) -> None:
    """One Session per browser; the controls stay on top, the map full width, charts and events below."""
    router = solara.use_router()
    pending = solara.use_reactive(Settings.from_query(router.search, choices))
    generation = solara.use_reactive(0)  # bumped by Reset: a new Session from the pending settings
    session = solara.use_memo(lambda: start(pending.value, folder), [generation.value])
    tick = solara.use_reactive(0)  # bumped after every step and event so that the pictures redraw
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(next(iter(SPEEDS)))
    paused_on = solara.use_ref(None)  # the month the browser showed when Pause was pressed
    follow = solara.use_reactive("Armenia")  # the state the state chart follows
    presenter = solara.use_reactive(presenting(router.search))
    reveal = solara.use_reactive(False)  # what really happened after the documents' end, on the charts
    seen = solara.use_memo(watched, [])

    def step() -> None:
        session.step()
        tick.set(tick.value + 1)

    def back(to: int | None = None) -> None:
        """Back to month `to` (default: the month before), the sliders where they stood then."""
        if session.back(to):
            pending.set(Settings(pending.value.scenario, pending.value.seed, session.settings.levers))
            tick.set(tick.value + 1)

    def lever(name: str, factor: float) -> None:
        """A slider moved: it acts on the run from the month shown on, and Reset keeps it."""
        pending.set(pending.value.with_lever(name, factor))
        session.move(name, factor)
        tick.set(tick.value + 1)

    def pause_pressed(shown: dict[str, object]) -> None:
        if playing.value and isinstance(shown.get("shown"), int):
            paused_on.current = shown["shown"]

    def pick(clicked: dict[str, object]) -> None:
        """A state's pie clicked on the map: the state chart and the causes follow it."""
        if isinstance(session, Session) and clicked.get("state") in session.model.states:
            follow.set(str(clicked["state"]))

    def key(pressed: dict[str, object]) -> None:
        """Space plays and pauses, the right arrow steps and the left arrow goes back (both while paused);
        "pause" is a click on Pause."""
        what = pressed.get("key")
        if (what == "pause" and playing.value) or (what == "space" and (playing.value or session.running)):
            pause_pressed(pressed)
            playing.set(not playing.value)
        elif what == "right" and not playing.value and session.running:
            step()
        elif what == "left" and not playing.value:
            back()

    def reset() -> None:
        paused_on.current = None
        playing.set(False)
        generation.set(generation.value + 1)
        router.push(f"{router.path}?{address(pending.value, presenter.value)}")  # a reload starts from these

    def present(on: bool) -> None:
        presenter.set(on)
        router.push(f"{router.path}?{address(session.reset_settings, on)}")

    def event(make: Callable) -> None:
        """An event pressed: the state chart and the causes follow the state it acts on, if it acts on one."""
        touched = session.trigger(make)
        if len(touched) == 1:
            follow.set(touched[0])
        tick.set(tick.value + 1)

    def play(cancel: threading.Event) -> None:
        """While playing: one month per interval, the drawing's time included, until paused or finished.
        Once paused (this thread starts after Play's has stopped): back to the month shown at the click."""
        if not playing.value:
            shown, paused_on.current = paused_on.current, None
            if shown is not None:
                back(shown)
            return
        paused_on.current = None  # a Pause press whose click never came stops nothing later
        while playing.value and not cancel.is_set():
            if not seen():
                playing.set(False)  # shown paused if the page comes back
                return
            started = time.monotonic()
            if not session.step():
                playing.set(False)
                tick.set(tick.value + 1)
                return
            tick.set(tick.value + 1)
            if cancel.wait(max(0.0, SPEEDS[speed.value] - (time.monotonic() - started))):
                return

    solara.use_thread(play, dependencies=[playing.value, session], intrusive_cancel=False)
    if isinstance(session, str):  # not even the baseline could be built
        solara.Error(session)
        return
    changed = pending.value != session.settings
    with solara.Column(gap="6px", classes=["classroom", "presenter" if presenter.value else "desk"]):
        TeacherKeys(event_key=key, event_pick=pick)
        Painted(session, tick, follow.value, presenter.value, reveal.value)
        with solara.v.Sheet(class_="top-bar", elevation=2):
            with solara.Row(gap="16px", style={"align-items": "center", "justify-content": "space-between"}):
                Controls(session, tick, playing, speed, changed, step, back, reset)
                with solara.Row(gap="8px", style={"align-items": "center"}):
                    with solara.Tooltip("Large type, the map beside one chart, the settings folded away"):
                        solara.Switch(label="Presenter", value=presenter.value, on_value=present)
                    solara.lab.ThemeToggle()
            ThisMonth(session, tick)
        if presenter.value:
            with solara.Row(gap="12px", classes=["stage"]):
                AlignmentMap()
                StateChart(session.model.states, follow)
            WhyPanel(session, follow.value, playing.value, tick)
            with solara.ColumnsResponsive(default=12, medium=[7, 5]):
                EventPanel(session, event)
                LeaningChart()
            RecordPanel(reveal)
            TakeAway(session, follow.value, tick, playing.value)
            SettingsDrawer(session, pending, choices, lever, open_=False)
            SharesTable()
            return
        AlignmentMap()
        WhyPanel(session, follow.value, playing.value, tick)
        with solara.ColumnsResponsive(default=12, medium=4):
            StateChart(session.model.states, follow)
            LeaningChart()
            EventPanel(session, event)
        RecordPanel(reveal)
        TakeAway(session, follow.value, tick, playing.value)
        with solara.ColumnsResponsive(default=12, medium=[5, 7]):
            SharesTable()
            SettingsDrawer(session, pending, choices, lever, open_=True)


@solara.component
def SettingsDrawer(
    session: Session,
    pending: solara.Reactive[Settings],
    choices: list[str],
    on_lever: Callable[[str, float], None],
    open_: bool,
) -> None:
    """The settings (scenario, seed, sliders) in a panel that folds away: open at a desk, closed when presenting."""
    opened, set_opened = solara.use_state_or_update(open_)
    with solara.v.ExpansionPanels(
        v_model=0 if opened else None, on_v_model=lambda v: set_opened(v == 0), class_="settings-drawer"
    ):
        with solara.v.ExpansionPanel():
            solara.v.ExpansionPanelHeader(children=["Settings: scenario, seed and sliders"])
            with solara.v.ExpansionPanelContent():
                SettingsPanel(session, pending, choices, on_lever)


@solara.component
def TakeAway(session: Session, state: str, tick: solara.Reactive[int], playing: bool) -> None:
    """Buttons that download the map and the charts as PNG, the months shown as CSV and a printable handout,
    each made when pressed; named for the month, so they wait for a pause."""
    while_paused(tick, playing)
    with session.lock:
        date = session.model.date
    files = [
        (f"map_{date}.png", "Map (PNG)", lambda: takeaway.png(takeaway.pictures(session, state)["map"])),
        (f"chart_{state}_{date}.png", "Chart (PNG)", lambda: takeaway.png(takeaway.pictures(session, state)["state"])),
        (f"leaning_{date}.png", "Leaning (PNG)", lambda: takeaway.png(takeaway.pictures(session, state)["leaning"])),
        (f"run_to_{date}.csv", "Run so far (CSV)", lambda: takeaway.csv(session)),
        (f"handout_{date}.html", "Handout (HTML, to print)", lambda: takeaway.handout(session, state)),
    ]
    with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}, classes=["takeaway"]):
        solara.HTML(tag="b", unsafe_innerHTML="Take it to class (pause first):" if playing else "Take it to class:")
        for filename, label, data in files:
            with solara.FileDownload(data, filename=filename, mime_type=mime(filename)):
                solara.Button(label, outlined=True, disabled=playing, classes=["tone-plain"])


def mime(filename: str) -> str:
    """The type a download is sent as, by its file name's ending."""
    return {"png": "image/png", "csv": "text/csv", "html": "text/html"}[filename.rsplit(".", 1)[1]]
