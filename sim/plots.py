"""Static PNG plots of simulated trajectories: what each state leans towards, how sure the runs are.

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so no global state or GUI
backend is involved and the functions are safe to call from worker processes. Names come from
user files, so no text is parsed as mathtext (a '$' in a name stays a '$').
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.colors import power_colors
from sim.trajectories import Trajectories

DPI = 110
QUANTILES = (0.05, 0.5, 0.95)
#: Style of the 5–95% bands: light enough that overlapping bands stay readable.
BAND = {"alpha": 0.2, "linewidth": 0}
#: Opacity of a heatmap cell where the runs are split as evenly as possible (full agreement = 1).
PALEST = 0.12


def plain_text(draw):
    """Draw a figure with mathtext off, so user-written names are shown as written, never parsed."""

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawn


def plain(text: object) -> str:
    """User text for a figure that keeps mathtext on (e.g. for log-axis labels): '$' escaped."""
    return str(text).replace("$", r"\$")


@plain_text
def fan_charts(traj: Trajectories, path: Path) -> Path:
    """One panel per state: median alignment with each power and its 5–95% band across runs."""
    dates = _dates(traj)
    colors = power_colors(traj.powers)
    low, mid, high = _band(traj.alignment)  # each (T, S, P)
    n_states = len(traj.states)
    ncols = min(5, n_states)
    nrows = -(-n_states // ncols)
    fig = Figure(figsize=(3.1 * ncols, 2.7 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for s, state in enumerate(traj.states):
        ax = axes[s]
        for p, power in enumerate(traj.powers):
            ax.fill_between(dates, low[:, s, p], high[:, s, p], color=colors[power], **BAND)
            ax.plot(dates, mid[:, s, p], color=colors[power], lw=1.6)
        ax.set_title(state, fontsize=11)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        _date_axis(ax, dates, max_ticks=6)
    # Empty cells of an incomplete last row: their dates go on the panel above.
    for i in range(n_states, len(axes)):
        axes[i - ncols].xaxis.set_tick_params(labelbottom=True)
        axes[i].remove()
    fig.supylabel("alignment share")
    fig.supxlabel("date")
    _power_legend(fig, traj.powers)
    fig.suptitle(_title(traj, f"alignment with each power ({_spread(traj)})"), fontsize=14)
    return _save(fig, path)


@plain_text
def dominant_heatmap(traj: Trajectories, path: Path) -> Path:
    """Most frequent dominant partner per state and month; paler cells mean fewer runs agree."""
    n_powers = len(traj.powers)
    # Share of runs in which each power is dominant: (T, S, P).
    shares = (traj.dominant[..., None] == np.arange(n_powers)).mean(axis=0)
    winner = shares.argmax(axis=-1).T  # (S, T)
    agreement = shares.max(axis=-1).T
    rgb = np.array([to_rgb(c) for c in power_colors(traj.powers).values()])[winner]
    alpha = _agreement_alpha(agreement, n_powers)[..., None]
    # Blend over white rather than use an alpha channel, so pale cells stay pale anywhere.
    image = 1 - alpha * (1 - rgb)

    dates = _dates(traj)
    x = mdates.date2num(dates)
    step = np.diff(x).mean() if len(x) > 1 else 30.0
    fig = Figure(figsize=(12, 0.42 * len(traj.states) + 2.2), layout="constrained")
    ax = fig.subplots()
    extent = (x[0] - step / 2, x[-1] + step / 2, len(traj.states) - 0.5, -0.5)
    ax.imshow(image, aspect="auto", interpolation="nearest", extent=extent)
    ax.set_yticks(range(len(traj.states)), traj.states)
    ax.set_yticks(np.arange(len(traj.states) + 1) - 0.5, minor=True)
    ax.tick_params(which="minor", left=False)
    ax.grid(which="minor", axis="y", color="white", lw=2)  # separates rows of the same colour
    ax.xaxis_date()
    _date_axis(ax, dates)
    ax.set_xlabel("date")

    grey = np.array(to_rgb("0.15"))
    cmap = LinearSegmentedColormap.from_list("agreement", [1 - PALEST * (1 - grey), grey])
    bar = fig.colorbar(ScalarMappable(Normalize(1 / n_powers, 1), cmap), ax=ax, pad=0.01, fraction=0.03)
    bar.set_label("share of runs agreeing")
    _power_legend(fig, traj.powers)
    fig.suptitle(_title(traj, f"most frequent dominant partner ({_runs(traj)}; paler = fewer runs agree)"))
    return _save(fig, path)


@plain_text
def hedging_plot(traj: Trajectories, path: Path) -> Path:
    """Median hedging index per state over time, plus the (median over runs of the) mean over states."""
    dates = _dates(traj)
    hedging = traj.hedging  # (R, T, S)
    per_state = np.median(hedging, axis=0)
    overall = np.median(hedging.mean(axis=-1), axis=0)
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    ax = fig.subplots()
    palette = colormaps["tab10" if len(traj.states) <= 10 else "tab20"].colors
    for s, state in enumerate(traj.states):
        ax.plot(dates, per_state[:, s], color=palette[s % len(palette)], lw=1.4, label=state)
    ax.plot(dates, overall, color="black", lw=3.2, label="mean over states")
    ax.set_ylim(0, 1)
    ax.set_ylabel("hedging index (0 = one patron, 1 = even split)")
    ax.set_xlabel("date")
    ax.grid(alpha=0.3)
    _date_axis(ax, dates)
    fig.legend(loc="outside right upper", frameon=False, title="state")
    fig.suptitle(_title(traj, f"hedging between powers (median of {_runs(traj)})"))
    return _save(fig, path)


@plain_text
def credibility_plot(traj: Trajectories, path: Path) -> Path:
    """Each power's credibility as a security guarantor, averaged over states: median and 5–95% band."""
    dates = _dates(traj)
    colors = power_colors(traj.powers)
    low, mid, high = _band(traj.credibility.mean(axis=2))  # each (T, P)
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    ax = fig.subplots()
    for p, power in enumerate(traj.powers):
        ax.fill_between(dates, low[:, p], high[:, p], color=colors[power], **BAND)
        ax.plot(dates, mid[:, p], color=colors[power], lw=2, label=power)
    ax.set_ylabel("credibility (mean over states)")
    ax.set_xlabel("date")
    ax.grid(alpha=0.3)
    _date_axis(ax, dates)
    fig.legend(loc="outside right upper", frameon=False, fontsize=11, title="power")
    fig.suptitle(_title(traj, f"credibility as security guarantor ({_spread(traj)})"))
    return _save(fig, path)


def write_plots(traj: Trajectories, outdir: Path) -> list[Path]:
    """Write all four figures into ``outdir`` (created if missing) and return their paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    return [
        fan_charts(traj, outdir / "fan_charts.png"),
        dominant_heatmap(traj, outdir / "dominant_partner.png"),
        hedging_plot(traj, outdir / "hedging.png"),
        credibility_plot(traj, outdir / "credibility.png"),
    ]


def _dates(traj: Trajectories) -> np.ndarray:
    """The 'YYYY-MM' labels as month-precision datetimes, which matplotlib plots on a date axis."""
    return np.array(traj.dates, dtype="datetime64[M]")


def _date_axis(ax: Axes, dates: np.ndarray, max_ticks: int = 12) -> None:
    """Year ticks on a date axis, every n-th year when more than ``max_ticks`` would crowd it."""
    years = int(dates[-1].astype("datetime64[Y]") - dates[0].astype("datetime64[Y]")) + 1
    ax.xaxis.set_major_locator(mdates.YearLocator(base=-(-years // max_ticks)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


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


def _title(traj: Trajectories, text: str) -> str:
    """Prefix the scenario's name so figures from different scenarios cannot be confused."""
    return f"{traj.scenario}: {text}" if traj.scenario else text[0].upper() + text[1:]


def _runs(traj: Trajectories) -> str:
    """'N runs' for titles, singular when there is one."""
    n = traj.alignment.shape[0]
    return f"{n} run" if n == 1 else f"{n} runs"


def _spread(traj: Trajectories) -> str:
    """What the line and band show; with one run there is no band to describe."""
    return _runs(traj) if traj.alignment.shape[0] == 1 else f"median, 5–95% of {_runs(traj)}"


def _save(fig: Figure, path: Path) -> Path:
    """Write a PNG cropped to its content; the figure has no pyplot reference, so it is freed after."""
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return Path(path)
