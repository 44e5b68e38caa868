"""The map as SVG: each state a pie of its alignment at a schematic place, the powers around the edge.

A thin ring around each pie shows the same month of the run as written (same seed, nothing the
teacher changed), so that what the class changed shows where the class looks.

SVG text and pies stay sharp on a projector at any size, carry their own tooltips (`<title>`),
and take the page's text colour, so the map reads in light and dark themes. The static part
(borders, power names) is built once per set of states and powers; a step redraws only the pies. On the
presenter's screen the map is drawn narrower, so its text is larger in SVG units (`PRESENTER`).
"""

from __future__ import annotations

import functools
import html
import math
from dataclasses import dataclass

import numpy as np

from sim.inputs.geography import LAND_BORDERS, POSITIONS
from sim.model.model import AllianceModel
from sim.outputs.colors import power_colors

WIDTH, HEIGHT = 1200, 450
PIE_RADIUS = 36
RING_RADIUS, RING_WIDTH = PIE_RADIUS + 5, 4  # the as-written ring, clear of the pie
OUTER = RING_RADIUS + RING_WIDTH / 2  # how far a state's drawing reaches from its centre; its labels start there


@dataclass(frozen=True)
class Sizes:
    """Text sizes of the map in SVG units: a state's name, its main partner, a power's name."""

    name: int = 17
    partner: int = 16
    power: int = 22


DESK = Sizes()
#: For the presenter's screen, where the map is drawn about 0.65 times its viewBox: at least 20 px on screen.
PRESENTER = Sizes(name=32, partner=31, power=34)
#: Schematic places (SVG units) that keep each pie and its two labels apart; roughly where the states lie.
PLACES: dict[str, tuple[float, float]] = {
    "Belarus": (170, 95),
    "Moldova": (170, 285),
    "Georgia": (420, 120),
    "Armenia": (365, 315),
    "Azerbaijan": (530, 225),
    "Turkmenistan": (655, 330),
    "Uzbekistan": (805, 235),
    "Kazakhstan": (860, 85),
    "Kyrgyzstan": (1025, 210),
    "Tajikistan": (935, 345),
}
POWER_PLACES: dict[str, tuple[float, float]] = {
    "Russia": (640, 30),
    "US": (45, 200),
    "China": (1140, 405),
    "Turkey": (215, 420),
    "EU": (45, 30),
}


def place(state: str) -> tuple[float, float]:
    """Where a state is drawn: its schematic place, or its capital projected onto the map."""
    if state in PLACES:
        return PLACES[state]
    lon, lat = POSITIONS.get(state, (50.0, 45.0))
    return (lon - 17) / 68 * WIDTH, (58 - lat) / 25.5 * HEIGHT


def power_place(power: str, index: int) -> tuple[float, float]:
    return POWER_PLACES.get(power, (1150, 40 + 45 * index))


@functools.lru_cache(maxsize=32)
def background(
    states: tuple[str, ...], powers: tuple[str, ...], conflicts: frozenset[frozenset[str]], sizes: Sizes = DESK
) -> str:
    """Land borders as grey lines (dashed where the two states are in conflict) and the powers' names in their
    colours: drawn once, reused every step."""
    colors = power_colors(list(powers))
    parts = []
    for a, b in borders(states):
        (x1, y1), (x2, y2) = place(a), place(b)
        kind = "border conflict" if frozenset((a, b)) in conflicts else "border"
        parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" class="{kind}"/>')
    for index, power in enumerate(powers):
        x, y = power_place(power, index)
        width, height = 18 + 0.62 * sizes.power * len(power), round(1.55 * sizes.power)
        x = min(max(x, width / 2 + 2), WIDTH - width / 2 - 2)  # the whole name inside the map
        parts.append(
            f'<g class="power"><title>{html.escape(power)}: a power courting the states</title>'
            f'<rect x="{x - width / 2:.0f}" y="{y - height / 2:.0f}" width="{width:.0f}" height="{height}" rx="8" '
            f'fill="{colors[power]}" fill-opacity="0.15" stroke="{colors[power]}" stroke-width="2.5"/>'
            f'<text x="{x:.0f}" y="{y + round(0.36 * sizes.power)}" text-anchor="middle" font-size="{sizes.power}" '
            f'font-weight="bold" class="ink">{html.escape(power)}</text></g>'
        )
    return "".join(parts)


def borders(states: tuple[str, ...]) -> list[tuple[str, str]]:
    """The land borders between the states drawn, each pair in the states' order."""
    return [(a, b) for i, a in enumerate(states) for b in states[i + 1 :] if frozenset((a, b)) in LAND_BORDERS]


def _arc_to(x: float, y: float, start: float, end: float, radius: float) -> tuple[str, str]:
    """An arc's first point, and the SVG arc command from there to its last, clockwise from the top."""
    x1, y1 = x + radius * math.sin(2 * math.pi * start), y - radius * math.cos(2 * math.pi * start)
    x2, y2 = x + radius * math.sin(2 * math.pi * end), y - radius * math.cos(2 * math.pi * end)
    large = 1 if end - start > 0.5 else 0
    return f"{x1:.1f},{y1:.1f}", f"A{radius},{radius} 0 {large},1 {x2:.1f},{y2:.1f}"


def wedge(x: float, y: float, start: float, end: float, radius: float = PIE_RADIUS) -> str:
    """SVG path of a pie slice from `start` to `end` (fractions of a turn, clockwise from the top)."""
    if end - start >= 0.9999:
        whole = f"a{radius},{radius} 0 1,1"
        return f"M{x - radius:.1f},{y:.1f}{whole} {2 * radius},0{whole} {-2 * radius},0Z"
    first, to = _arc_to(x, y, start, end, radius)
    return f"M{x:.1f},{y:.1f}L{first}{to}Z"


def arc(x: float, y: float, start: float, end: float, radius: float) -> str:
    """SVG path of an open arc from `start` to `end` (fractions of a turn, clockwise from the top)."""
    if end - start >= 0.9999:
        whole = f"a{radius},{radius} 0 1,1"
        return f"M{x:.1f},{y - radius:.1f}{whole} 0,{2 * radius}{whole} 0,{-2 * radius}"
    first, to = _arc_to(x, y, start, end, radius)
    return f"M{first}{to}"


def listed(powers: list[str], shares: np.ndarray) -> str:
    """'Russia 46%, US 20%, ...' for a tooltip."""
    return ", ".join(f"{p} {100 * v:.0f}%" for p, v in zip(powers, shares, strict=True))


def cuts(powers: list[str], shares: np.ndarray) -> list[tuple[str, float, float]]:
    """Each power's slice of a turn, (power, start, end), clockwise from the top; slivers too thin to see left out."""
    edges = np.concatenate([[0.0], np.cumsum(shares)])
    return [(power, edges[p], edges[p + 1]) for p, power in enumerate(powers) if shares[p] > 0.0005]


def pie(
    state: str,
    powers: list[str],
    shares: np.ndarray,
    colors: dict[str, str],
    sizes: Sizes = DESK,
    written: np.ndarray | None = None,
) -> str:
    """One state's pie, name and main partner, with a tooltip listing every share; with `written`, the ring of
    the shares as written around it, and those in the tooltip too."""
    x, y = place(state)
    top = int(shares.argmax())
    tip = f"{state}: {listed(powers, shares)}"
    ring = ""
    if written is not None:
        tip += f"; as written (the ring): {listed(powers, written)}"
        ring = "".join(
            f'<path d="{arc(x, y, start, end, RING_RADIUS)}" class="ring" fill="none" '
            f'style="stroke:{colors[power]};stroke-width:{RING_WIDTH}"/>'
            for power, start, end in cuts(powers, written)
        )
    name = sizes.name + 3  # below the pie: the name, then the main partner
    partner = name + sizes.partner + 2
    slices = "".join(
        f'<path d="{wedge(x, y, start, end)}" fill="{colors[power]}"/>' for power, start, end in cuts(powers, shares)
    )
    return (
        f'<g class="pie" data-state="{html.escape(state)}"><title>{html.escape(tip)}</title>{slices}{ring}'
        f'<text x="{x:.0f}" y="{y + OUTER + name:.0f}" text-anchor="middle" font-size="{sizes.name}" '
        f'font-weight="bold" class="ink">{html.escape(state)}</text>'
        f'<text x="{x:.0f}" y="{y + OUTER + partner:.0f}" text-anchor="middle" font-size="{sizes.partner}" '
        f'class="ink"><tspan fill="{colors[powers[top]]}">● </tspan>{html.escape(powers[top])} '
        f"{100 * shares[top]:.0f}%</text></g>"
    )


def height(sizes: Sizes) -> int:
    """The map's height in SVG units: HEIGHT, or more if the lowest state's two labels need it at these sizes."""
    lowest = max(y for _, y in PLACES.values())
    return max(HEIGHT, math.ceil(lowest + OUTER + sizes.name + sizes.partner + 11))


def alignment_map(model: AllianceModel, sizes: Sizes = DESK, written: AllianceModel | None = None) -> str:
    """The whole map for the model's current month as one SVG element; with `written` (the run as written,
    stepped alongside), each pie's ring shows its shares."""
    colors = power_colors(model.powers)
    states = model.states
    conflicts = frozenset(frozenset((states[i], states[j])) for i, j, kind in model.setup.edges if kind == "rival")
    static = background(tuple(states), tuple(model.powers), conflicts, sizes)
    shares = model.world.alignment[0]
    as_written = None if written is None else written.world.alignment[0]
    pies = "".join(
        pie(state, model.powers, shares[s], colors, sizes, None if as_written is None else as_written[s])
        for s, state in enumerate(model.states)
    )
    label = f"Alignment of each state in {model.date}: pie slices are shares, the line under a name its main partner"
    if written is not None:
        label += ", the ring around a pie the run as written"
    return (
        f'<svg viewBox="0 0 {WIDTH} {height(sizes)}" role="img" aria-label="{html.escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">{static}{pies}</svg>'
    )
