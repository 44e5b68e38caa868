"""Static PNG plots of simulated trajectories: what each state leans towards, how sure the runs are.

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so no global state or GUI
backend is involved and the functions are safe to call from worker processes. Names come from
user files, so no text is parsed as mathtext (a '$' in a name stays a '$').
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import textwrap
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import FormatStrFormatter, MultipleLocator

from sim.inputs.sources import PROJECTION
from sim.model.events import APPEAL
from sim.model.trajectories import Trajectories
from sim.outputs.colors import power_colors
from sim.outputs.cores import spare_cores
from sim.outputs.destination import TOOL

DPI = 110
#: zlib level of the PNGs: these flat-coloured figures compress at 3 within a few per cent of the default 6, in
#: two thirds of the time.
PNG_LEVEL = 3
#: Processes drawing figures at once: each figure's cost does not depend on the number of runs, so two cores
#: halve the plots' share of a command.
PLOT_WORKERS = min(2, os.cpu_count() or 1)
QUANTILES = (0.05, 0.5, 0.95)
#: Style of the 5–95% bands: light enough that overlapping bands stay readable.
BAND = {"alpha": 0.2, "linewidth": 0}
PROJECTION_LABEL = "documents end, projection begins"
#: What a scheduled event changes for it to be named beside a fall of a power's credibility.
CREDIBILITY_CAUSES = ("credibility", "free_capacity", "capability")
#: A fall of a power's median credibility over DROP_MONTHS months at least this large is labelled.
DROP_MONTHS, DROP_MIN = 3, 0.02
#: Room below 0 and above 1 so that a line lying at 0 or 1 stays visible above the axis.
SHARE_LIMITS = (-0.025, 1.025)
#: Opacity of a heatmap cell where the runs are split as evenly as possible (full agreement = 1).
PALEST = 0.12
#: Where a panel's title sits, in panel heights: just above it. Given, matplotlib does not measure every tick
#: label of the row to find room above decorations, which time panels never have there.
TITLE_Y = 1.0


def plain_text[**A, R](draw: Callable[A, R]) -> Callable[A, R]:
    """Draw a figure with mathtext off, so user-written names are shown as written, never parsed."""

    @functools.wraps(draw)
    def drawn(*args: A.args, **kwargs: A.kwargs) -> R:
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawn


def plain(text: object) -> str:
    """User text for a figure that keeps mathtext on (e.g. for log-axis labels): '$' escaped."""
    return str(text).replace("$", r"\$")


@dataclass
class Bands:
    """What the run plots draw, computed once from the runs' arrays: quantiles (5%, median, 95%) over runs
    and the share of runs in which each power is dominant. The figures read only this, so drawing costs
    the same whatever the number of runs."""

    scenario: str
    dates: list[str]
    states: list[str]
    powers: list[str]
    runs: int
    alignment: np.ndarray  # (3, T, S, P)
    credibility: np.ndarray  # (3, T, P): mean over states
    hedging: np.ndarray  # (3, T, S)
    hedging_mean: np.ndarray  # (3, T): mean over states
    dominant: np.ndarray  # (T, S, P): share of runs

    @classmethod
    def of(cls, traj: Trajectories) -> Bands:
        hedging = traj.hedging
        shares = (traj.dominant[..., None] == np.arange(len(traj.powers))).mean(axis=0)
        return cls(
            traj.scenario,
            list(traj.dates),
            list(traj.states),
            list(traj.powers),
            len(traj.runs),
            _band(traj.alignment),
            _band(traj.credibility.mean(axis=2)),
            _band(hedging),
            _band(hedging.mean(axis=-1)),
            shares,
        )


@plain_text
def fan_charts(bands: Bands) -> Figure:
    """One panel per state: median alignment with each power and its 5–95% band across runs."""
    dates = _dates(bands)
    colors = power_colors(bands.powers)
    low, mid, high = bands.alignment  # each (T, S, P)
    fig, axes = state_panels(len(bands.states))
    for s, (ax, state) in enumerate(zip(axes, bands.states, strict=True)):
        for p, power in enumerate(bands.powers):
            ax.fill_between(dates, low[:, s, p], high[:, s, p], color=colors[power], **BAND)
            ax.plot(dates, mid[:, s, p], color=colors[power], lw=1.6)
        _state_panel(ax, state, dates, first=s == 0)
    fig.supylabel("alignment share")
    _power_legend(fig, bands.powers)
    fig.suptitle(_title(bands, f"alignment with each power ({_spread(bands)})"), fontsize=14)
    return fig


@plain_text
def dominant_heatmap(bands: Bands) -> Figure:
    """Most frequent dominant partner per state and month; paler cells mean fewer runs agree."""
    n_powers = len(bands.powers)
    shares = bands.dominant  # (T, S, P)
    winner = shares.argmax(axis=-1).T  # (S, T)
    agreement = shares.max(axis=-1).T
    rgb = np.array([to_rgb(c) for c in power_colors(bands.powers).values()])[winner]
    alpha = _agreement_alpha(agreement, n_powers)[..., None]
    # Blend over white rather than use an alpha channel, so pale cells stay pale anywhere.
    image = 1 - alpha * (1 - rgb)

    dates = _dates(bands)
    fig = Figure(figsize=(12, 0.42 * len(bands.states) + 2.2), layout="constrained")
    ax = fig.subplots()
    extent = (dates[0] - 1 / 24, dates[-1] + 1 / 24, len(bands.states) - 0.5, -0.5)  # a month per cell
    ax.imshow(image, aspect="auto", interpolation="nearest", extent=extent)
    ax.set_yticks(range(len(bands.states)), bands.states)
    ax.set_yticks(np.arange(len(bands.states) + 1) - 0.5, minor=True)
    ax.tick_params(which="minor", left=False)
    ax.grid(which="minor", axis="y", color="white", lw=2)  # separates rows of the same colour
    _date_axis(ax, dates)
    ax.set_xlabel("date")
    projection_marker(ax, dates, color="black")

    grey = np.array(to_rgb("0.15"))
    cmap = LinearSegmentedColormap.from_list("agreement", [1 - PALEST * (1 - grey), grey])
    bar = fig.colorbar(ScalarMappable(Normalize(1 / n_powers, 1), cmap), ax=ax, pad=0.01, fraction=0.03)
    bar.set_label("share of runs agreeing")
    _power_legend(fig, bands.powers)
    fig.suptitle(_title(bands, f"most frequent dominant partner ({_runs(bands)}; paler = fewer runs agree)"))
    return fig


@plain_text
def hedging_plot(bands: Bands) -> Figure:
    """One small panel per state: median hedging index and its 5–95% band, over the mean of all states (dashed),
    in greys, so no state borrows a power's colour and no line hides another."""
    dates = _dates(bands)
    low, mid, high = bands.hedging  # each (T, S)
    fig, axes = state_panels(len(bands.states))
    for s, (ax, state) in enumerate(zip(axes, bands.states, strict=True)):
        ax.plot(dates, bands.hedging_mean[1], color="0.55", lw=1.2, ls="--")
        ax.fill_between(dates, low[:, s], high[:, s], color="0.3", **BAND)
        ax.plot(dates, mid[:, s], color="black", lw=1.8)
        _state_panel(ax, state, dates, first=s == 0)
    fig.supylabel("hedging index (0 = one patron, 1 = even split)")
    handles = [
        Line2D([], [], color="black", lw=1.8, label="this state (median)"),
        Patch(color="0.3", alpha=BAND["alpha"], label="5–95% of runs"),
        Line2D([], [], color="0.55", lw=1.2, ls="--", label="mean of all states"),
    ]
    fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize=10)
    fig.suptitle(_title(bands, f"hedging between powers ({_spread(bands)})"), fontsize=14)
    return fig


@plain_text
def credibility_plot(bands: Bands, events: pd.DataFrame | None = None) -> Figure:
    """Each power's credibility as a security guarantor, averaged over states: median and 5–95% band from 0,
    with each power's largest fall labelled (and, when the log is given, the events of those months that act on
    that power in most runs)."""
    dates = _dates(bands)
    colors = power_colors(bands.powers)
    low, mid, high = bands.credibility  # each (T, P)
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    ax = fig.subplots()
    for p, power in enumerate(bands.powers):
        ax.fill_between(dates, low[:, p], high[:, p], color=colors[power], alpha=0.25, linewidth=0)
        for edge in (low, high):
            ax.plot(dates, edge[:, p], color=colors[power], lw=0.6, alpha=0.6)
        ax.plot(dates, mid[:, p], color=colors[power], lw=2, label=power)
    ax.set_ylim(0, max(1.0, float(high.max()) * 1.05))
    drops = [(p, *d) for p in range(len(bands.powers)) if (d := largest_drop(mid[:, p])) is not None]
    top = 0.95  # labels stacked in the empty top of the plot, each below the one before, arrows to the falls
    for p, t, size in drops:
        power = bands.powers[p]
        text = f"{power} −{size:.2f} by {bands.dates[t]}" + _events_near(events, bands.dates, t, power)
        ax.annotate(
            text,
            (dates[t], mid[t, p]),
            xytext=(dates[t], top),
            textcoords=("data", "axes fraction"),
            ha="left",
            va="top",
            fontsize=9,
            color=colors[power],
            arrowprops={"arrowstyle": "->", "color": colors[power], "lw": 0.8, "relpos": (0.03, 0)},
            gid="drop",
        )
        top -= 0.045 * (text.count("\n") + 1) + 0.03
    ax.set_ylabel("credibility (mean over states)")
    ax.set_xlabel("date")
    ax.grid(alpha=0.3)
    _date_axis(ax, dates)
    projection_marker(ax, dates)
    fig.legend(loc="outside right upper", frameon=False, fontsize=11, title="power")
    fig.suptitle(_title(bands, f"credibility as security guarantor ({_spread(bands)})"))
    return fig


@plain_text
def summary_dots(bands: Bands) -> Figure:
    """The run at a glance: each state's alignment with each power at the last month (dot: median, bar: 5–95%
    of runs) beside where it started (hollow circle: median of the first month)."""
    low, mid, high = bands.alignment[:, -1]  # each (S, P)
    start = bands.alignment[1, 0]
    fig = Figure(figsize=(9, 0.55 * len(bands.states) + 1.6), layout="constrained")
    ax = fig.subplots()
    dot_rows(ax, bands.states, bands.powers, low, mid, high, start)
    ax.set_xlim(*SHARE_LIMITS)
    ax.set_xlabel(f"alignment share at {bands.dates[-1]}")
    handles = [Patch(color=c, label=p) for p, c in power_colors(bands.powers).items()]
    handles.append(Line2D([], [], color="0.3", marker="o", ls="", mfc="none", label=f"median at {bands.dates[0]}"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=10)
    fig.suptitle(_title(bands, f"where each state ends, {bands.dates[-1]} ({_spread(bands)})"))
    return fig


def dot_rows(
    ax: Axes,
    states: list[str],
    powers: list[str],
    low: np.ndarray,
    mid: np.ndarray,
    high: np.ndarray,
    start: np.ndarray | None = None,
) -> None:
    """One row per state, one dot per power (offset within the row) with its band as a bar; arrays (S, P)."""
    colors = power_colors(powers)
    offsets = np.linspace(-0.3, 0.3, len(powers)) if len(powers) > 1 else np.zeros(1)
    for p, power in enumerate(powers):
        y = np.arange(len(states)) + offsets[p]
        ax.hlines(y, low[:, p], high[:, p], color=colors[power], lw=2.2, alpha=0.55, gid="band")
        ax.plot(mid[:, p], y, "o", color=colors[power], ms=6)
        if start is not None:
            ax.plot(start[:, p], y, "o", mfc="none", mec=colors[power], ms=6, mew=1.2)
    ax.set_yticks(range(len(states)), states)
    ax.set_ylim(len(states) - 0.5, -0.5)
    ax.set_yticks(np.arange(len(states) + 1) - 0.5, minor=True)
    ax.tick_params(which="minor", left=False)
    ax.grid(which="minor", axis="y", color="0.85")
    ax.grid(axis="x", alpha=0.3)


#: Height added at the foot of a figure for its caption and source line.
CAPTION_INCHES = 0.45
#: The files a figure may be written as.
FIGURE_FORMATS = ("png", "svg", "pdf")
#: What each run figure shows, drawn under it with the source line so that a copied figure keeps them.
CAPTIONS = {
    "summary": "Each state's final share of alignment with each power: the median over runs and its 5-95% range.",
    "fan_charts": "Each state's alignment with each power by month: the median over runs and its 5-95% band.",
    "dominant_partner": "The power each state leans to most in most runs, by month; paler where fewer runs agree.",
    "hedging": "How evenly each state spreads its alignment over the powers by month (0: one partner only).",
    "credibility": "Each power's credibility as a security guarantor by month, with the events behind its falls.",
}


def write_plots(
    traj: Trajectories | Bands | pd.DataFrame,
    outdir: Path,
    events: pd.DataFrame | None = None,
    formats: tuple[str, ...] = ("png",),
    made: tuple[int, int, str] | None = None,
) -> list[Path]:
    """Write every run figure into ``outdir`` (created if missing) in each of `formats` and return their paths:
    from the runs, their bands, or the long-form table (`sim.simulate(...).trajectories`); `events` (the run's
    event log) names what happened where credibility falls most. Given how many `runs` with which `seed` and
    `version` they come from, each figure carries its caption and source line inside it (`source_line`)."""
    if isinstance(traj, pd.DataFrame):
        traj = Trajectories.from_frame(traj, str(traj.attrs.get("scenario", "")))
    bands = traj if isinstance(traj, Bands) else Bands.of(traj)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    figures = [
        ("summary", summary_dots, (bands,)),
        ("fan_charts", fan_charts, (bands,)),
        ("dominant_partner", dominant_heatmap, (bands,)),
        ("hedging", hedging_plot, (bands,)),
        ("credibility", credibility_plot, (bands, events)),
    ]
    source = None if made is None else source_line(bands, *made)
    jobs = [
        (saved, (draw, args, outdir / name, formats, None if source is None else (CAPTIONS[name], source)))
        for name, draw, args in figures
    ]
    return [path for paths in draw_all(jobs) for path in paths]


def saved(
    draw, args: tuple, path: Path, formats: tuple[str, ...] = ("png",), caption: tuple[str, str] | None = None
) -> list[Path]:
    """Draw a figure, its `caption` and source line under it if given, and write it to `path` with each of
    `formats` as suffix (a job `draw_all` can hand to a worker process)."""
    fig = draw(*args)
    if caption is not None:
        captioned(fig, *caption)
    return [_save(fig, path.with_suffix("." + kind)) for kind in formats]


def source_line(bands: Bands, runs: int, seed: int, version: str) -> str:
    """Where a run figure comes from: the version that drew it, the scenario, its runs and seed, the runs drawn."""
    count = f"{runs:,} run" + ("" if runs == 1 else "s")
    return (
        f"Source: alliance-sim {version}, scenario {bands.scenario}, {count}, seed {seed}; "
        f"figures drawn from runs 0 to {bands.runs - 1}."
    )


def captioned(fig: Figure, caption: str, source: str) -> Text:
    """The caption and source line at the foot of the figure as plain text (no mathtext, no TeX), in room added
    below the figure's own: the panels are laid out above it, then fixed, with the legends beside them. Returns
    the caption's text, which a figure drawn again for another subject can change."""
    width, height = fig.get_size_inches()
    total = height + CAPTION_INCHES
    fig.set_size_inches(width, total)
    room = (0, CAPTION_INCHES / total, 1, height / total)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=room)
        FigureCanvasAgg(fig)
        engine.execute(fig)
        fig.set_layout_engine("none")
    for legend in fig.legends:  # placed against the laid-out room, not the whole figure
        legend.set_bbox_to_anchor(room, transform=fig.transFigure)
    label = fig._supxlabel  # the figure's x label, laid out at the foot of the whole figure (no public handle)
    if label is not None:
        label.set_y(room[1])
        label.set_verticalalignment("bottom")
    texts = []
    for line, (text, size) in enumerate(((caption, 9), (source, 8))):
        y = (CAPTION_INCHES - 0.08 - 0.18 * line) / total
        texts.append(
            fig.text(0.01, y, text, fontsize=size, color="0.25", ha="left", va="top", usetex=False, parse_math=False)
        )
    return texts[0]


def draw_all(jobs: list[tuple], weights: list[float] | None = None, pool: Executor | None = None) -> list:
    """Run (figure function, arguments) jobs and return their results in order: in the `pool` given, else in
    PLOT_WORKERS processes forked for them when this process has no other thread (forking is then safe) and the
    machine has a core for each (on a busy machine two forked workers drew no sooner than this process alone, for
    0.8 CPU-seconds more), else one after the other here. The heaviest jobs (by `weights`) are handed out first,
    so the last to finish is a light one."""
    forkable = PLOT_WORKERS > 1 and len(jobs) > 1 and threading.active_count() == 1
    if pool is None and forkable and spare_cores(PLOT_WORKERS):
        with ProcessPoolExecutor(PLOT_WORKERS, mp_context=multiprocessing.get_context("fork")) as own:
            return _hand_out(jobs, weights, own)
    return _hand_out(jobs, weights, pool)


def _hand_out(jobs: list[tuple], weights: list[float] | None, pool: Executor | None) -> list:
    if pool is None:
        return [draw(*args) for draw, args in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -weights[i]) if weights else range(len(jobs))
    futures = {i: pool.submit(jobs[i][0], *jobs[i][1]) for i in order}
    return [futures[i].result() for i in range(len(jobs))]


def largest_drop(series: np.ndarray, months: int = DROP_MONTHS, least: float = DROP_MIN) -> tuple[int, float] | None:
    """The month ending the largest fall over `months` months and its size, or None if no fall reaches `least`."""
    if len(series) <= months:
        return None
    falls = series[:-months] - series[months:]
    t = int(falls.argmax())
    return (t + months, float(falls[t])) if falls[t] >= least else None


def projection_marker(ax: Axes, dates: np.ndarray, label: bool = True, color: str = "0.35") -> None:
    """A dashed vertical line where the documents end and the projection begins, if that month is shown."""
    month = decimal_year(PROJECTION)
    if not dates[0] < month <= dates[-1]:
        return
    ax.axvline(month, color=color, lw=1.1, ls=(0, (4, 3)), gid="projection", zorder=1.5)
    if label:
        ax.annotate(
            PROJECTION_LABEL + " ▸",
            (month, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color=color,
            gid="projection-label",
        )


def state_panels(n: int, ncols: int = 5) -> tuple[Figure, list[Axes]]:
    """A figure of `n` small panels sharing axes; dates stay visible under an incomplete last row."""
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(3.1 * ncols + 1.6, 2.7 * nrows + 1.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for i in range(n, len(axes)):
        axes[i - ncols].xaxis.set_tick_params(labelbottom=True)
        axes[i].remove()
    fig.supxlabel("date")
    return fig, list(axes[:n])


def _events_near(events: pd.DataFrame | None, dates: list[str], t: int, power: str, months: int = DROP_MONTHS) -> str:
    """'(label; label)' for the events of the months of a fall that bear on `power`'s credibility (a change of
    its credibility or capacity, an appeal to it) and happen in most runs, at most two, each whole; '' if none or
    no log."""
    if events is None or events.empty or not {"date", "label"} <= set(events.columns):
        return ""
    window = events["date"].astype(str).isin(set(dates[max(0, t - months) : t + 1]))
    if {"power", "kind", "attribute"} <= set(events.columns):
        bearing = events["attribute"].isin(CREDIBILITY_CAUSES) | events["kind"].eq(APPEAL)
        window &= events["power"].fillna("").astype(str).eq(power) & bearing
    if "runs" in events:
        runs = pd.to_numeric(events["runs"], errors="coerce")
        window &= runs >= 0.5 * runs.max()  # scheduled events happen in every run: the most runs any event has
    near = events.loc[window]
    if "attribute" in near:  # a change of the credibility itself first, then the latest month first
        near = near.assign(_direct=~near["attribute"].eq("credibility"), _date=near["date"].astype(str))
        near = near.sort_values(["_direct", "_date"], ascending=[True, False], kind="stable")
    labels = list(dict.fromkeys(str(x) for x in near["label"]))
    if not labels:
        return ""
    text = "; ".join(labels[:2]) + (f"; and {len(labels) - 2} more" if len(labels) > 2 else "")
    return "\n" + textwrap.fill(f"({text})", width=62)


def decimal_year(month: str) -> float:
    """'YYYY-MM' as a year with the month as its fraction (2023-03 is 2023.167): the x of every time plot. Plain
    numbers rather than datetimes, so ticks are cheap to draw."""
    year, number = month.split("-")[:2]
    return int(year) + (int(number) - 1) / 12


def _dates(traj) -> np.ndarray:
    """The months of anything with `dates` ('YYYY-MM' labels) as decimal years."""
    return np.array([decimal_year(d) for d in traj.dates])


def time_panel(ax: Axes, title: str, dates: np.ndarray, label: bool = False) -> None:
    """A panel of a small-multiples figure over time: title, grid, year ticks and the projection marker (its
    words on the panel where `label`)."""
    ax.set_title(title, fontsize=11, y=TITLE_Y)
    for axis in (ax.xaxis, ax.yaxis):  # the figure labels its axes once: a panel's own labels stay empty, and
        axis.set_label_coords(0.5, 0.5)  # placed, matplotlib need not measure the tick labels of the row to place them
    ax.grid(alpha=0.3)
    _date_axis(ax, dates, max_ticks=6)
    projection_marker(ax, dates, label=label)


def _state_panel(ax, state: str, dates, first: bool) -> None:
    """One state's panel of a small-multiples figure: a time panel on the 0-1 share axis."""
    time_panel(ax, state, dates, label=first)
    ax.set_ylim(*SHARE_LIMITS)


def _date_axis(ax: Axes, dates: np.ndarray, max_ticks: int = 12) -> None:
    """Year ticks on a date axis, every n-th year when more than ``max_ticks`` would crowd it."""
    years = int(dates[-1]) - int(dates[0]) + 1
    ax.xaxis.set_major_locator(MultipleLocator(-(-years // max_ticks)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))


def _band(values: np.ndarray) -> np.ndarray:
    """5th, 50th and 95th percentile over the run axis (first axis); all equal when there is one run."""
    return np.quantile(values, QUANTILES, axis=0)


def _agreement_alpha(agreement: np.ndarray, n_powers: int) -> np.ndarray:
    """Map the winner's share of runs, from 1/P (an even split) to 1 (unanimous), onto opacity."""
    certainty = (agreement - 1 / n_powers) / (1 - 1 / n_powers)
    return PALEST + (1 - PALEST) * np.clip(certainty, 0, 1)


def _power_legend(fig: Figure, powers: list[str]) -> None:
    """One legend entry per power in its colour, right of the panels so it covers no data."""
    handles = [Patch(color=c, label=p) for p, c in power_colors(powers).items()]
    fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize=11, title="power")


def _title(traj: Trajectories | Bands, text: str) -> str:
    """Prefix the scenario's name so figures from different scenarios cannot be confused."""
    return f"{traj.scenario}: {text}" if traj.scenario else text[0].upper() + text[1:]


def _runs(traj: Trajectories | Bands) -> str:
    """'N runs' for titles, singular when there is one."""
    n = traj.runs if isinstance(traj, Bands) else len(traj.runs)
    return f"{n} run" if n == 1 else f"{n} runs"


def _spread(traj: Trajectories | Bands) -> str:
    """What the line and band show; with one run there is no band to describe."""
    return _runs(traj) if _runs(traj) == "1 run" else f"median, 5–95% of {_runs(traj)}"


def _save(fig: Figure, path: Path) -> Path:
    """Write the figure as a PNG without alpha (figures are opaque: the channel would cost bytes and time), at
    PNG_LEVEL, or as SVG (text kept as text) or PDF by the path's suffix, without a date so the same runs give
    the same file; the figure has no pyplot reference, so it is freed after."""
    if path.suffix in (".svg", ".pdf"):
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": TOOL}):
            date = {"Date": None} if path.suffix == ".svg" else {"CreationDate": None}
            fig.savefig(path, format=path.suffix[1:], metadata={"Creator": TOOL, **date})
        return Path(path)
    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    PIL.Image.fromarray(rgb).save(path, format="png", compress_level=PNG_LEVEL, dpi=(DPI, DPI))
    return Path(path)
