"""Solara components of the classroom page: map, charts, current shares, event buttons and log.

Each reads Mesa's `update_counter` so that it redraws after Step, Play, Reset and after a
teacher triggers an event (`force_update`), the pattern Mesa's own components use.
"""

from __future__ import annotations

import html

import solara
from mesa.visualization.utils import force_update, update_counter

from ..colors import power_colors
from ..scenario import Change
from . import figures
from .teaching import TeachingModel, appeal_states, china_investment_surge, csto_appeal, us_exercises

#: The state whose history is charted and the state that appeals to the CSTO (per browser session).
focus_state = solara.reactive("Armenia")
appellant = solara.reactive("Kyrgyzstan")


def use_png(draw, model: TeachingModel, *keys) -> bytes:
    """A figure of the model as PNG, redrawn only when the model has moved on (not when an event is merely logged)."""
    return solara.use_memo(lambda: figures.png(draw()), dependencies=[model, model.steps, *keys])


@solara.component
def AlignmentMap(model: TeachingModel) -> None:
    """The states as pies of their alignment at their places on a map, the powers around them."""
    update_counter.get()
    with solara.Div(classes=["alignment-map"]):
        solara.Image(use_png(lambda: figures.alignment_map(model), model), width="100%")


@solara.component
def StateChart(model: TeachingModel) -> None:
    """A state picker and that state's alignment over time."""
    update_counter.get()
    state = focus_state.value if focus_state.value in model.states else model.states[0]
    with solara.Column(gap="0px"):
        solara.Select("State to follow", values=model.states, value=state, on_value=focus_state.set)
        solara.Image(use_png(lambda: figures.state_history(model, state), model, state), width="100%")


@solara.component
def LeaningChart(model: TeachingModel) -> None:
    """How many states lean to each power over time."""
    update_counter.get()
    solara.Image(use_png(lambda: figures.leaning_counts(model), model), width="100%")


@solara.component
def SharesTable(model: TeachingModel) -> None:
    """Current alignment shares in per cent, one row per state (cells carry ids for tests and screen readers)."""
    update_counter.get()
    colors = power_colors(model.powers)
    shares = model.world.alignment[0]
    head = "".join(f'<th style="color:{colors[p]}">{html.escape(p)}</th>' for p in model.powers)
    rows = []
    for s, state in enumerate(model.states):
        top = int(shares[s].argmax())
        cells = "".join(
            f'<td id="share-{state}-{p}"{' class="top"' if i == top else ""}>{100 * shares[s, i]:.1f}</td>'
            for i, p in enumerate(model.powers)
        )
        rows.append(f"<tr><th>{html.escape(state)}</th>{cells}</tr>")
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f'<table class="shares"><caption>Alignment in {model.date}, % (largest in bold)</caption>'
        f"<tr><th></th>{head}</tr>{''.join(rows)}</table>",
        style={"font-size": "13px"},
    )


@solara.component
def EventPanel(model: TeachingModel) -> None:
    """Buttons that trigger an event now, and the log of everything that has happened so far."""
    update_counter.get()

    def fire(changes: list[Change]) -> None:
        for change in changes:
            model.trigger(change)
        force_update()

    members = appeal_states(model)
    has = set(model.powers)
    wide = {"width": "100%"}
    with solara.Column(gap="6px"):
        when = model.setup.scenario.date(model.steps + 1)
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>Trigger an event now</b> (it takes effect in {when})")
        if members:
            who = appellant.value if appellant.value in members else members[0]
            with solara.Row(gap="6px", style={"align-items": "center"}):
                solara.Select(
                    "Appeal from", values=members, value=who, on_value=appellant.set, style={"max-width": "140px"}
                )
                solara.Button(
                    "Appeal to the CSTO",
                    color="error",
                    outlined=True,
                    disabled="Russia" not in has,
                    on_click=lambda: fire(csto_appeal(model, who)),
                )
        solara.Button(
            "China: investment surge",
            color="success",
            outlined=True,
            disabled="China" not in has,
            on_click=lambda: fire(china_investment_surge(model)),
            style=wide,
        )
        solara.Button(
            "US exercises in Central Asia",
            color="primary",
            outlined=True,
            disabled="US" not in has,
            on_click=lambda: fire(us_exercises(model)),
            style=wide,
        )
        EventLog(model)


@solara.component
def EventLog(model: TeachingModel) -> None:
    """What happened at each date: scenario events and the teacher's, newest first."""
    update_counter.get()
    rows = []
    for event in reversed(model.event_log):
        answered = "" if event.answered is None else f" <i>(answered {event.answered:.0%})</i>"
        who = "teacher" if event.source == "teacher" else "scenario"
        rows.append(
            f'<tr class="{who}"><td>{event.date}</td><td>{html.escape(event.label)}{answered}</td><td>{who}</td></tr>'
        )
    body = "".join(rows) or '<tr><td colspan="3">nothing yet: press Step or Play</td></tr>'
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f'<table class="event-log"><tr><th>date</th><th>event</th><th>by</th></tr>{body}</table>',
        style={"max-height": "230px", "overflow-y": "auto", "font-size": "13px"},
    )


@solara.component
def ScenarioInfo(model: TeachingModel) -> None:
    """The month reached, the scenario's question, and any note about the input (a bad seed, a broken file)."""
    update_counter.get()
    scenario = model.setup.scenario
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>Month: {model.date}</b> (step {model.steps} of {scenario.months})",
        style={"font-size": "16px", "margin-bottom": "8px"},
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>{html.escape(scenario.name)}</b> (seed {model.seed}): "
        f"{html.escape(scenario.description)}",
    )
    moved = ", ".join(f"{subject} × {factor:g}" for subject, factor in model.levers.items())
    solara.HTML(tag="div", unsafe_innerHTML=f"Sliders in effect: {html.escape(moved) or 'none (all at 1)'}")
    for note in model.notes:
        solara.Warning(note, dense=True)
