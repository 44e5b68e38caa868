"""Matplotlib figures of a running model for the visualizer: the map of alignments and two time charts.

Pure functions of the model (no Solara), drawn with the Figure API so that several browser
sessions can render at once; colours come from `sim.colors` like the CLI plots.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Wedge

from ..colors import power_colors
from ..geography import POSITIONS, POWER_POSITIONS
from ..model import AllianceModel

#: Nudges (degrees) so that close capitals (the Caucasus, Uzbekistan/Tajikistan) get room for a pie and a label.
NUDGE: dict[str, tuple[float, float]] = {
    "Georgia": (-3.0, 3.6),
    "Armenia": (0.0, -1.6),
    "Azerbaijan": (3.0, 0.4),
    "Turkmenistan": (0.0, -0.6),
    "Uzbekistan": (-3.0, 2.6),
    "Tajikistan": (1.8, -1.6),
    "Kyrgyzstan": (3.4, 0.0),
}
PIE_RADIUS = 1.7


def map_position(state: str) -> tuple[float, float]:
    """Where a state is drawn: its capital, nudged apart from close neighbours."""
    (x, y), (dx, dy) = POSITIONS[state], NUDGE.get(state, (0.0, 0.0))
    return x + dx, y + dy


def alignment_map(model: AllianceModel) -> Figure:
    """States at their map positions, each a pie of its alignment, labelled with its dominant partner."""
    colors = power_colors(model.powers)
    shares = model.world.alignment[0]
    fig = Figure(figsize=(8.4, 3.5))
    fig.subplots_adjust(left=0.005, right=0.995, bottom=0.01, top=0.93)
    ax = fig.add_subplot()
    for i, j, kind in model.setup.edges:
        if kind == "border":
            (x1, y1), (x2, y2) = map_position(model.states[i]), map_position(model.states[j])
            ax.plot([x1, x2], [y1, y2], color="#bbbbbb", linewidth=1.0, zorder=1)
    wedges, faces = [], []
    for s, state in enumerate(model.states):
        x, y = map_position(state)
        edges = 90 - 360 * np.concatenate([[0.0], np.cumsum(shares[s])])  # clockwise from the top, like a clock
        for p, power in enumerate(model.powers):
            wedges.append(Wedge((x, y), PIE_RADIUS, edges[p + 1], edges[p]))
            faces.append(colors[power])
        top = int(shares[s].argmax())
        ax.text(x, y - PIE_RADIUS - 0.35, state, ha="center", va="top", fontsize=9, fontweight="bold", zorder=3)
        ax.text(
            x,
            y - PIE_RADIUS - 1.75,
            f"{model.powers[top]} {shares[s, top]:.0%}",
            ha="center",
            va="top",
            fontsize=8.5,
            color=colors[model.powers[top]],
            zorder=3,
        )
    ax.add_collection(PatchCollection(wedges, facecolors=faces, edgecolors="white", linewidths=0.6, zorder=2))
    for power in model.powers:
        x, y = POWER_POSITIONS.get(power, (20.0, 56.0 - 3 * model.powers.index(power)))
        ax.text(
            x,
            y,
            power,
            ha="center",
            va="center",
            fontsize=13,
            fontweight="bold",
            color=colors[power],
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": colors[power]},
        )
    ax.set_xlim(17, 85)
    ax.set_ylim(32.5, 58.0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#f6f6f2")
    ax.set_title(
        f"{model.setup.scenario.name}: alignment in {model.date} (pie = shares, text = main partner)", fontsize=10
    )
    return fig


def state_history(model: AllianceModel, state: str) -> Figure:
    """One state's alignment shares over the months so far, stacked, in the powers' colours."""
    colors = power_colors(model.powers)
    s = model.states.index(state)
    shares = np.stack(model.history["alignment"])[:, s, :]
    months = np.arange(len(shares))
    fig = Figure(figsize=(4.4, 3.0))
    fig.subplots_adjust(left=0.15, right=0.77, bottom=0.12, top=0.9)
    ax = fig.add_subplot()
    ax.stackplot(months, shares.T, colors=[colors[p] for p in model.powers], labels=model.powers, alpha=0.9)
    _month_axis(ax, model, months)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of alignment", fontsize=10)
    ax.set_title(f"{state}: alignment over time", fontsize=12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False, reverse=True)
    return fig


def leaning_counts(model: AllianceModel) -> Figure:
    """How many states lean to each power (largest share) month by month, from the DataCollector."""
    colors = power_colors(model.powers)
    data = model.datacollector.get_model_vars_dataframe()
    months = np.arange(len(data) + 1)  # one more month so that the latest count shows as a step
    fig = Figure(figsize=(4.4, 3.0))
    fig.subplots_adjust(left=0.15, right=0.77, bottom=0.12, top=0.9)
    ax = fig.add_subplot()
    for p, power in enumerate(model.powers):
        counts = data[f"leaning_{power}"].to_numpy(dtype=float)
        offset = 0.08 * (p - (len(model.powers) - 1) / 2)  # keeps equal counts apart
        ax.step(
            months, np.append(counts, counts[-1]) + offset, where="post", color=colors[power], linewidth=2, label=power
        )
    _month_axis(ax, model, months)
    ax.set_ylim(-0.3, len(model.states) + 0.3)
    ax.set_ylabel("number of states", fontsize=10)
    ax.set_title("States leaning to each power", fontsize=12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False)
    return fig


def _month_axis(ax, model: AllianceModel, months: np.ndarray) -> None:
    """Month labels on the x axis, spanning at least a year so the first steps are not squeezed."""
    last = max(int(months[-1]), 12)
    ticks = np.unique(np.linspace(0, last, 5).round().astype(int))
    ax.set_xlim(0, last)
    ax.set_xticks(ticks, [model.setup.scenario.date(int(t)) for t in ticks], fontsize=8)
    ax.tick_params(axis="y", labelsize=9)
    ax.grid(alpha=0.3)


def png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (light compression: redrawn every step, so speed matters more than size)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()
