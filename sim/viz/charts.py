"""Time charts as SVG: the followed state's shares and the number of states leaning to each power.

Each chart draws the run the class is driving in bold and the baseline (same seed, no teacher
changes) faint and dashed behind it, with a marker at every month an event fired (grey: the
scenario's, red: a state's decision such as an appeal, orange: the teacher's; hover for what it
was). The time axis grows two years at a time so that it does not rescale on every step. For the
presenter's screen (`PRESENTER`), the text is larger and the marks carry short labels in words.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from sim.model.model import AllianceModel
from sim.outputs.colors import power_colors
from sim.viz.teaching import origin

WIDTH, HEIGHT = 440, 290
RIGHT, BOTTOM = 22, 30


@dataclass(frozen=True)
class Look:
    """Text sizes and margins of a chart (SVG units; the page draws a chart about as wide as its viewBox), and
    whether the event marks carry short labels in words."""

    title_size: int = 19
    tick_size: int = 15
    left: int = 50
    top: int = 58
    worded: bool = False


DESK = Look()
#: For a projector: every text at least 20 units, the marks labelled.
PRESENTER = Look(title_size=23, tick_size=21, left=64, top=66, worded=True)
#: Characters a mark's label keeps (whole words), the rows of labels across the top of a chart, and a label's
#: width per character per unit of font size (a little more than a sans-serif letter's average).
LABEL_CHARACTERS, LABEL_ROWS, LABEL_WIDTH = 18, 3, 0.56
#: Colour and stroke of an event's marker by who made it happen: the teacher, a state's decision, the scenario.
MARKS = {
    "you": ("#E69F00", 'stroke-width="3"'),
    "a state": ("#C0392B", 'stroke-width="2"'),
    "scenario": ("#888888", 'stroke-width="1.5" stroke-dasharray="4 3"'),
}


class Frame:
    """Maps months and values to SVG coordinates for one chart."""

    def __init__(self, months: int, top: float, look: Look) -> None:
        self.months, self.top, self.look = months, top, look

    def x(self, month: float) -> float:
        return self.look.left + (WIDTH - self.look.left - RIGHT) * month / self.months

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - self.look.top - BOTTOM) * value / self.top


def span(model: AllianceModel) -> int:
    """Months shown: the run so far rounded up to whole two-year blocks, within the scenario."""
    return min(model.setup.scenario.months, 24 * max(1, math.ceil(model.steps / 24)))


def axes(model: AllianceModel, frame: Frame, title: str, legend: str, ticks: list[tuple[float, str]]) -> str:
    """Title, legend line, horizontal grid with value labels, and a label at each January."""
    look = frame.look
    legend_size = look.tick_size - (0 if look.worded else 1)
    parts = [
        f'<text x="8" y="{look.title_size + 5}" font-size="{look.title_size}" font-weight="bold" class="ink">'
        f"{html.escape(title)}</text>",
        f'<text x="8" y="{look.top - 13}" font-size="{legend_size}" class="ink">{legend}</text>',
    ]
    for value, label in ticks:
        y = frame.y(value)
        parts.append(f'<line x1="{look.left}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{look.left - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="{look.tick_size}" class="ink">'
            f"{label}</text>"
        )
    scenario = model.setup.scenario
    years = [m for m in range(frame.months + 1) if scenario.date(m).endswith("-01")]
    every = 1 if len(years) <= 6 else 2
    for m in years[::every]:
        x = frame.x(m)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{look.top}" y2="{HEIGHT - BOTTOM}" class="grid"/>')
        anchor = "end" if x > WIDTH - RIGHT - 15 else "middle"  # the last year stays inside the chart
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="{look.tick_size}" class="ink">'
            f"{scenario.date(m)[:4]}</text>"
        )
    return "".join(parts)


def markers(model: AllianceModel, frame: Frame) -> str:
    """A vertical mark at every month something happened, with the events as its tooltip; on the presenter's
    screen the marks with room for it also carry a short label (the teacher's first, then the states'), level,
    across the top of the plot."""
    by_month: dict[int, list] = {}
    scenario = model.setup.scenario
    dates = {scenario.date(m): m for m in range(frame.months + 1)}
    for event in model.event_log:
        if event.date in dates:
            by_month.setdefault(dates[event.date], []).append(event)
    top, bottom = frame.look.top, HEIGHT - BOTTOM
    kinds = {month: marked_kind(events) for month, events in by_month.items()}
    labels = {month: short_label(first_of(events, kinds[month])) for month, events in by_month.items()}
    places = label_places(frame, kinds, labels) if frame.look.worded else {}
    parts = []
    for month, events in sorted(by_month.items()):
        kind = kinds[month]
        color, line = MARKS[kind]
        x = frame.x(month)
        tip = "; ".join(f"{e.label} ({origin(e.source)})" for e in events)
        parts.append(
            f'<g class="marker {kind.replace(" ", "-")}"><title>{html.escape(scenario.date(month))}: '
            f'{html.escape(tip)}</title><line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" '
            f'stroke="{color}" {line}/><path d="M{x - 7:.1f},{top - 9}h14l-7,9Z" fill="{color}"/>'
            f'<rect x="{x - 8:.1f}" y="{top - 10}" width="16" height="{bottom - top + 10}" fill="transparent"/>'
            f"{mark_label(frame, places[month], labels[month]) if month in places else ''}</g>"
        )
    return "".join(parts)


def marked_kind(events: list) -> str:
    """Whose mark a month shows: the teacher's first, then a state's decision, then the scenario's."""
    kinds = {origin(e.source) for e in events}
    return next(k for k in MARKS if k in kinds)


def first_of(events: list, kind: str) -> str:
    """The label of the month's first event of the kind its mark shows."""
    return next(e.label for e in events if origin(e.source) == kind)


def label_places(frame: Frame, kinds: dict[int, str], labels: dict[int, str]) -> dict[int, tuple[float, float, str]]:
    """Where each labelled mark's words go, (x, y, anchor): across the top of the plot beside the mark's line, in
    one of LABEL_ROWS rows, the teacher's marks first, then the states', then the scenario's; a mark whose words
    would overlap others in every row keeps only its tooltip."""
    size = frame.look.tick_size
    taken: list[list[tuple[float, float]]] = [[] for _ in range(LABEL_ROWS)]
    places = {}
    for month in sorted(kinds, key=lambda month: (list(MARKS).index(kinds[month]), month)):
        x, width = frame.x(month), LABEL_WIDTH * size * len(labels[month])
        at, anchor = (x + 5, "start") if x + 5 + width <= WIDTH - RIGHT else (x - 5, "end")
        start = at if anchor == "start" else at - width
        if start < frame.look.left:
            continue
        for row, spans in enumerate(taken):
            if all(start > b + 6 or start + width < a - 6 for a, b in spans):
                spans.append((start, start + width))
                places[month] = (at, frame.look.top + (row + 1) * 1.2 * size, anchor)
                break
    return places


def short_label(label: str) -> str:
    """An event's label in a few words: up to its first ; , or :, whole words up to LABEL_CHARACTERS."""
    first = label.removeprefix("the ").split(";")[0].split(",")[0].split(":")[0].strip()
    words, kept = first.split(), ""
    for word in words:
        if len(f"{kept} {word}".strip()) > LABEL_CHARACTERS:
            return f"{kept}…"
        kept = f"{kept} {word}".strip()
    return kept


def mark_label(frame: Frame, place: tuple[float, float, str], label: str) -> str:
    """A mark's short label, level, at its place beside the line (a halo keeps it readable over the lines)."""
    x, y, anchor = place
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{frame.look.tick_size}" '
        f'class="ink mark-label">{html.escape(label)}</text>'
    )


def fact_marks(frame: Frame, facts: list[tuple[int, bool, str]]) -> str:
    """The record's facts judged by this run, (month, met, claim): at each month a dotted line and how many
    were met (✓) and missed (✗), the claims as its tooltip."""
    by_month: dict[int, list[tuple[bool, str]]] = {}
    for month, met, claim in facts:
        by_month.setdefault(month, []).append((met, claim))
    parts = []
    for month, judged in sorted(by_month.items()):
        met = sum(m for m, _ in judged)
        kind = "met" if met == len(judged) else "missed"
        said = " ".join(part for part in (f"✓{met}" * bool(met), f"✗{len(judged) - met}" * (met < len(judged))) if part)
        tip = "; ".join(f"{'met' if m else 'missed'}: {claim}" for m, claim in judged)
        x, size = frame.x(month), frame.look.tick_size
        parts.append(
            f'<g class="fact {kind}"><title>{html.escape(tip)}</title>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.look.top}" y2="{HEIGHT - BOTTOM}" stroke-width="2.5" '
            f'stroke-dasharray="2 3"/><text x="{x - 4:.1f}" y="{frame.look.top + size}" text-anchor="end" '
            f'font-size="{size}" font-weight="bold">{said}</text></g>'
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


def state_history(
    model: AllianceModel,
    baseline: AllianceModel,
    state: str,
    look: Look = DESK,
    facts: list[tuple[int, bool, str]] | None = None,
) -> str:
    """One state's share with each power, month by month, over the baseline's, with the record's facts about the
    state judged so far (`fact_marks`), if given."""
    colors = power_colors(model.powers)
    s = model.states.index(state)
    frame = Frame(span(model), 100.0, look)
    run = 100 * np.stack(model.history["alignment"])[:, s, :]
    base = 100 * np.stack(baseline.history["alignment"])[:, s, :]
    ticks = [(v, f"{v:.0f}%") for v in (0, 25, 50, 75, 100)]
    body = [axes(model, frame, f"{state}: share with each power", legend(model.powers, colors), ticks)]
    body += [polyline(frame, base[:, p], colors[power], True) for p, power in enumerate(model.powers)]
    body.append(markers(model, frame))
    body.append(fact_marks(frame, facts or []))
    body += [polyline(frame, run[:, p], colors[power], False) for p, power in enumerate(model.powers)]
    return svg("".join(body), f"{state}'s alignment with each power over time")


def leaning_counts(model: AllianceModel, baseline: AllianceModel, look: Look = DESK) -> str:
    """How many states lean to each power (largest share), month by month, over the baseline's."""
    colors = power_colors(model.powers)
    count = len(model.states)
    frame = Frame(span(model), count + 0.5, look)
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
