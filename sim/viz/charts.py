"""Time charts as SVG: the followed state's shares and the number of states leaning to each power.

Each chart draws the run the class is driving in bold and the baseline (same seed, no teacher
changes) faint and dashed behind it, with a marker at every month an event fired (grey: the
scenario's, red: a state's decision such as an appeal, orange: the teacher's; hover for what it
was). The time axis grows two years at a time so that it does not rescale on every step.
"""

from __future__ import annotations

import html
import math

import numpy as np

from sim.model.model import AllianceModel
from sim.outputs.colors import power_colors
from sim.viz.teaching import origin

WIDTH, HEIGHT = 440, 290
LEFT, RIGHT, TOP, BOTTOM = 50, 22, 58, 30
TITLE_SIZE, TICK_SIZE = 19, 15
#: Colour and stroke of an event's marker by who made it happen: the teacher, a state's decision, the scenario.
MARKS = {
    "you": ("#E69F00", 'stroke-width="3"'),
    "a state": ("#C0392B", 'stroke-width="2"'),
    "scenario": ("#888888", 'stroke-width="1.5" stroke-dasharray="4 3"'),
}


class Frame:
    """Maps months and values to SVG coordinates for one chart."""

    def __init__(self, months: int, top: float) -> None:
        self.months, self.top = months, top

    def x(self, month: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * month / self.months

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / self.top


def span(model: AllianceModel) -> int:
    """Months shown: the run so far rounded up to whole two-year blocks, within the scenario."""
    return min(model.setup.scenario.months, 24 * max(1, math.ceil(model.steps / 24)))


def axes(model: AllianceModel, frame: Frame, title: str, legend: str, ticks: list[tuple[float, str]]) -> str:
    """Title, legend line, horizontal grid with value labels, and a label at each January."""
    parts = [
        f'<text x="8" y="24" font-size="{TITLE_SIZE}" font-weight="bold" class="ink">{html.escape(title)}</text>',
        f'<text x="8" y="45" font-size="{TICK_SIZE - 1}" class="ink">{legend}</text>',
    ]
    for value, label in ticks:
        y = frame.y(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="{TICK_SIZE}" class="ink">{label}</text>'
        )
    scenario = model.setup.scenario
    years = [m for m in range(frame.months + 1) if scenario.date(m).endswith("-01")]
    every = 1 if len(years) <= 6 else 2
    for m in years[::every]:
        x = frame.x(m)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" class="grid"/>')
        anchor = "end" if x > WIDTH - RIGHT - 15 else "middle"  # the last year stays inside the chart
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="{TICK_SIZE}" class="ink">'
            f"{scenario.date(m)[:4]}</text>"
        )
    return "".join(parts)


def markers(model: AllianceModel, frame: Frame) -> str:
    """A vertical mark at every month something happened, with the events as its tooltip."""
    by_month: dict[int, list] = {}
    scenario = model.setup.scenario
    dates = {scenario.date(m): m for m in range(frame.months + 1)}
    for event in model.event_log:
        if event.date in dates:
            by_month.setdefault(dates[event.date], []).append(event)
    parts = []
    for month, events in sorted(by_month.items()):
        kinds = {origin(e.source) for e in events}
        kind = next(k for k in ("you", "a state", "scenario") if k in kinds)  # the teacher's mark shows first
        color, line = MARKS[kind]
        x = frame.x(month)
        tip = "; ".join(f"{e.label} ({origin(e.source)})" for e in events)
        parts.append(
            f'<g class="marker {kind.replace(" ", "-")}"><title>{html.escape(scenario.date(month))}: '
            f'{html.escape(tip)}</title><line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
            f'stroke="{color}" {line}/><path d="M{x - 7:.1f},{TOP - 9}h14l-7,9Z" fill="{color}"/>'
            f'<rect x="{x - 8:.1f}" y="{TOP - 10}" width="16" height="{HEIGHT - BOTTOM - TOP + 10}" '
            'fill="transparent"/></g>'
        )
    return "".join(parts)


def polyline(frame: Frame, values: np.ndarray, color: str, baseline: bool, steps: bool = False) -> str:
    """A series as an SVG polyline: bold for the run, faint and dashed for the baseline."""
    points = []
    for m, v in enumerate(values):
        if steps and m:
            points.append(f"{frame.x(m):.1f},{frame.y(values[m - 1]):.1f}")
        points.append(f"{frame.x(m):.1f},{frame.y(v):.1f}")
    style = 'stroke-width="2" stroke-dasharray="6 4" opacity="0.45"' if baseline else 'stroke-width="3.5"'
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" {style}/>'


def legend(powers: list[str], colors: dict[str, str]) -> str:
    keys = " ".join(f'<tspan fill="{colors[p]}">■</tspan> {html.escape(p)}' for p in powers)
    return f"{keys}  ┄ as written"


def svg(body: str, label: str) -> str:
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">{body}</svg>'
    )


def state_history(model: AllianceModel, baseline: AllianceModel, state: str) -> str:
    """One state's share with each power, month by month, over the baseline's."""
    colors = power_colors(model.powers)
    s = model.states.index(state)
    frame = Frame(span(model), 100.0)
    run = 100 * np.stack(model.history["alignment"])[:, s, :]
    base = 100 * np.stack(baseline.history["alignment"])[:, s, :]
    ticks = [(v, f"{v:.0f}%") for v in (0, 25, 50, 75, 100)]
    body = [axes(model, frame, f"{state}: share with each power", legend(model.powers, colors), ticks)]
    body += [polyline(frame, base[:, p], colors[power], True) for p, power in enumerate(model.powers)]
    body.append(markers(model, frame))
    body += [polyline(frame, run[:, p], colors[power], False) for p, power in enumerate(model.powers)]
    return svg("".join(body), f"{state}'s alignment with each power over time")


def leaning_counts(model: AllianceModel, baseline: AllianceModel) -> str:
    """How many states lean to each power (largest share), month by month, over the baseline's."""
    colors = power_colors(model.powers)
    count = len(model.states)
    frame = Frame(span(model), count + 0.5)
    run, base = (np.stack(m.history["alignment"]).argmax(axis=2) for m in (model, baseline))
    ticks = [(v, str(v)) for v in range(0, count + 1, 2)]
    body = [axes(model, frame, "States leaning to each power", legend(model.powers, colors), ticks)]
    for p, power in enumerate(model.powers):
        offset = 0.12 * (p - (len(model.powers) - 1) / 2)  # keeps equal counts apart
        body.append(polyline(frame, (base == p).sum(axis=1) + offset, colors[power], True, steps=True))
    body.append(markers(model, frame))
    for p, power in enumerate(model.powers):
        offset = 0.12 * (p - (len(model.powers) - 1) / 2)
        body.append(polyline(frame, (run == p).sum(axis=1) + offset, colors[power], False, steps=True))
    return svg("".join(body), "Number of states leaning to each power over time")
