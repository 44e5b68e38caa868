"""What the class takes away: the map and the charts as PNG, the months shown so far as a long-form CSV,
and a printable handout of the lesson with the current settings and their figures.

Each is built when its button is pressed (Solara's FileDownload calls these), from the session under its
lock. Every name a user wrote (a scenario's name and description, states, event labels) is data: it is
escaped in HTML and SVG, and made safe for spreadsheets in the CSV.
"""

from __future__ import annotations

import functools
import html
import re

import markdown
import pandas as pd
import resvg_py

from sim.outputs.results import spreadsheet_safe
from sim.viz import charts, mapview
from sim.viz.components import event_log, shares_table
from sim.viz.session import Session
from sim.viz.teaching import BY_LEVER

#: The page's rules for what an SVG leaves to CSS, in the light theme, so that a PNG or a printout shows it.
SVG_STYLE = """
.ink { fill: #1a1a1a; }
.grid { stroke: #1a1a1a; stroke-opacity: 0.15; }
line.border { stroke: #9a9a9a; stroke-width: 2; }
line.border.conflict { stroke-dasharray: 8 5; }
.pie path { stroke: white; stroke-width: 1; }
.fact.met line { stroke: #1B7F3B; } .fact.met text { fill: #1B7F3B; }
.fact.missed line { stroke: #B00020; } .fact.missed text { fill: #B00020; }
"""
#: PNG pixels per SVG unit: sharp on a slide.
ZOOM = 2.0


#: The pictures a class can take, by name: what each shows.
PICTURES = {"map": "the map", "state": "the followed state's chart", "leaning": "the leaning chart"}


def pictures(session: Session, state: str) -> dict[str, str]:
    """The map and the two charts of the month shown, as SVG, by the names of PICTURES."""
    with session.lock:
        model, baseline = session.model, session.baseline
        followed = state if state in model.states else model.states[0]
        return {
            "map": mapview.alignment_map(model, written=baseline),
            "state": charts.state_history(model, baseline, followed),
            "leaning": charts.leaning_counts(model, baseline),
        }


def png(svg: str) -> bytes:
    """An SVG of the page as a PNG on white."""
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, style_sheet=SVG_STYLE, background="#ffffff", zoom=ZOOM))


def run_table(session: Session) -> pd.DataFrame:
    """The months shown so far in long form: one row per month, state and power, with every series."""
    with session.lock:
        table: pd.DataFrame = session.model.trajectories().to_table().to_pandas()
    return table.assign(**{c: table[c].astype(str) for c in ("date", "state", "power")}).drop(columns="run")


def csv(session: Session) -> str:
    """`run_table` as CSV, every text cell safe for a spreadsheet."""
    return spreadsheet_safe(run_table(session)).to_csv(index=False)


def settings_lines(session: Session) -> list[str]:
    """The settings the run was made with, in words (plain text: the caller escapes them)."""
    model = session.model
    scenario = model.setup.scenario
    moved = [f"{BY_LEVER[name].label} {factor:g}" for name, factor in session.settings.levers]
    return [
        f"Scenario: {scenario.name} ({model.scenario_name}): {scenario.description}",
        f"Seed: {model.seed}",
        f"Sliders: {', '.join(moved) if moved else 'all at 1 (as the scenario says)'}",
        f"Month shown: {model.date} (month {model.steps} of {scenario.months})",
    ]


@functools.cache
def lesson_html() -> str:
    """The lesson's text as HTML, without its screenshots (the handout shows this run's figures instead)."""
    from sim.viz import lesson

    text = re.sub(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$", "", lesson.render(), flags=re.MULTILINE)
    return str(markdown.markdown(re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)))


def handout(session: Session, state: str) -> str:
    """A printable page: the settings, the map, the charts, the shares and the log of this run, then the lesson."""
    figures = "".join(f"<figure>{svg}</figure>" for svg in pictures(session, state).values())
    with session.lock:
        model = session.model
        title = f"{model.setup.scenario.name} in {model.date}"
        table, log = shares_table(model, session.baseline), event_log(model)
        settings = "".join(f"<li>{html.escape(line)}</li>" for line in settings_lines(session))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Handout: {html.escape(title)}</title>'
        f"<style>{HANDOUT_STYLE}{SVG_STYLE}</style></head><body>"
        f"<h1>Post-Soviet alignment: {html.escape(title)}</h1><ul>{settings}</ul>{figures}{table}"
        f'<h2>What happened</h2>{log}<hr><div class="lesson">{lesson_html()}</div></body></html>'
    )


HANDOUT_STYLE = """
body { font-family: sans-serif; max-width: 900px; margin: 1em auto; color: #1a1a1a; }
figure { margin: 0.5em 0; page-break-inside: avoid; } figure svg { width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 2px 8px; text-align: left; }
table.shares td.top { font-weight: bold; }
@media print { .lesson { page-break-before: always; } }
"""
