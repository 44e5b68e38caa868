"""Figures comparing scenarios: differences, overlaid fan charts, dominant partners, bloc sizes, hedging.

Powers keep their colours from :mod:`sim.outputs.colors` everywhere; scenarios are told apart by line style
(solid for the first, the reference, then dashed, dotted, ...).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.outputs.colors import power_colors
from sim.outputs.comparison import PAIRED, UNPAIRED, Digest
from sim.outputs.destination import slug
from sim.outputs.folders import Outcome
from sim.outputs.plots import (
    BAND,
    SHARE_LIMITS,
    TITLE_Y,
    _agreement_alpha,
    _dates,
    _power_legend,
    _save,
    captioned,
    dot_rows,
    draw_all,
    plain_text,
    saved,
    state_panels,
    time_panel,
)

STYLES = ["solid", "dashed", "dotted", "dashdot", (0, (6, 2, 1, 2, 1, 2)), (0, (10, 3))]
#: Each scenario's colour where scenarios share a panel: the reference near black, then colours apart from one
#: another under the common colour-vision deficiencies (Paul Tol's "vibrant" set); the line style differs too.
SCENARIO_COLORS = ["#222222", "#EE7733", "#0077BB", "#EE3377", "#009988", "#33BBEE", "#CC3311"]
#: Lighter bands for the scenarios after the first, so the reference's band stays readable beneath.
OTHER_BAND = {"alpha": 0.1, "linewidth": 0}

#: How to read each figure, for the report page.
SUMMARY_CAPTION = (
    "Each state's change in alignment with each power at the last month, scenario minus {ref}: dot, the "
    "difference of the medians; bar, 5–95% of the run-by-run differences. A bar clear of zero is a clear change."
)
DIFFERENCE_CAPTION = (
    "How much more (above zero) or less (below) each state leans towards each power in {other} than in {ref}. "
    "Line: difference of the medians; band: 5–95% of the run-by-run differences, {noise}"
)
PAIRED_NOTE = "runs paired by seed, so shocks common to both scenarios cancel."
UNPAIRED_NOTE = "runs matched at random (different seeds or runs), so the band includes run-to-run noise."
FAN_CAPTION = (
    "Alignment with {power} in each state: median across runs and its 5–95% band, one line style per scenario."
)
DOMINANT_CAPTION = (
    "Each state's most frequent dominant partner (the power it leans towards most) at each horizon, with the share "
    "of runs in which that power leads; paler cells mean the runs disagree more."
)
BLOC_CAPTION = (
    "How many of the states have each power as their dominant partner: the mean across runs, i.e. the expected "
    "size of each power's bloc."
)
HEDGING_CAPTION = (
    "Hedging index (0 = leans on one power only, 1 = even split among all): median across runs, band 5–95% of "
    "runs; the first panel is the mean over states."
)


def write_comparison_plots(
    outcomes: list[Outcome],
    digests: list[Digest],
    bands: list[np.ndarray],
    pairing: list[bool],
    horizons: list[str],
    outdir: Path,
    formats: tuple[str, ...] = ("png",),
    version: str | None = None,
) -> list[tuple[Path, str]]:
    """Write every comparison figure into `outdir` in each of `formats` (drawn in figure workers); return each
    figure's first file with a caption saying how to read it. Given the `version` that draws them, each figure
    carries that caption and a source line (`comparison_source`) inside it."""
    outdir.mkdir(parents=True, exist_ok=True)
    ref = outcomes[0]
    source = None if version is None else comparison_source(outcomes, version)

    def job(draw, args: tuple, name: str, caption: str) -> tuple:
        return saved, (draw, args, outdir / name, formats, None if source is None else (caption, source))

    captions = [SUMMARY_CAPTION.format(ref=ref.name)]
    jobs = [job(change_dots, (outcomes, bands), "summary", captions[0])]
    for other, band, paired in zip(outcomes[1:], bands, pairing, strict=True):
        captions.append(difference_caption(ref, other, paired))
        name = f"difference_{slug(other.name) or 'scenario'}"
        jobs.append(job(difference_chart, (ref, other, band, paired), name, captions[-1]))
    fans = {p: (outdir / f"alignment_{slug(p)}", FAN_CAPTION.format(power=p)) for p in ref.powers}
    jobs.append((overlaid_fans, (outcomes, digests, fans, formats, source)))
    captions += [caption for _, caption in fans.values()]
    for draw, args, name, caption in (
        (dominant_grid, (outcomes, digests, horizons), "dominant_partner", DOMINANT_CAPTION),
        (bloc_chart, (outcomes, digests), "blocs", BLOC_CAPTION),
        (hedging_chart, (outcomes, digests), "hedging", HEDGING_CAPTION),
    ):
        jobs.append(job(draw, args, name, caption))
        captions.append(caption)
    # A figure costs about its number of panels; the power figures, drawn on one laid-out figure, about twice one.
    panels = {difference_chart: len(ref.states), hedging_chart: len(ref.states)}
    weights = [2 * len(ref.states) if draw is overlaid_fans else panels.get(args[0], 1) for draw, args in jobs]
    firsts: list[Path] = []
    for (draw, _), paths in zip(jobs, draw_all(jobs, weights), strict=True):
        firsts += [each[0] for each in paths] if draw is overlaid_fans else [paths[0]]
    return list(zip(firsts, captions, strict=True))


def difference_caption(ref: Outcome, other: Outcome, paired: bool) -> str:
    """How to read the figure of `other` minus `ref`."""
    noise = PAIRED_NOTE if paired else UNPAIRED_NOTE
    return DIFFERENCE_CAPTION.format(other=other.name, ref=ref.name, noise=noise)


def comparison_source(outcomes: list[Outcome], version: str) -> str:
    """Where a comparison figure comes from: the version that drew it and each scenario with its runs and seed."""
    each = "; ".join(f"{o.name}, {o.runs:,} runs, seed {o.seed}" for o in outcomes)
    return f"Source: alliance-sim {version}, compare of {each}."


@plain_text
def change_dots(outcomes: list[Outcome], bands: list[np.ndarray]) -> Figure:
    """The comparison at a glance: per scenario, the change at the last month in each state's alignment with each
    power (dot: difference of medians; bar: 5–95% of run differences), zero marked."""
    ref = outcomes[0]
    fig = Figure(figsize=(4.6 * len(bands) + 2.2, 0.55 * len(ref.states) + 1.8), layout="constrained")
    axes = fig.subplots(1, len(bands), sharey=True, squeeze=False)[0]
    limit = max(max(float(np.abs(band[:, -1]).max()) for band in bands) * 1.08, 0.02)
    for ax, other, band in zip(axes, outcomes[1:], bands, strict=True):
        ax.axvline(0, color="0.25", lw=1, gid="zero")
        dot_rows(ax, ref.states, ref.powers, *band[:, -1])
        ax.set_xlim(-limit, limit)
        ax.set_title(_wrap(f"{other.name} − {ref.name}", 40), fontsize=11, y=TITLE_Y)
        ax.set_xlabel(f"change in alignment share at {ref.dates[-1]}")
    handles = [Patch(color=c, label=p) for p, c in power_colors(ref.powers).items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=10)
    fig.suptitle(f"Change at {ref.dates[-1]} (dot: difference of medians; bar: 5–95% of run differences)", fontsize=12)
    return fig


@plain_text
def difference_chart(ref: Outcome, other: Outcome, band: np.ndarray, paired: bool) -> Figure:
    """One panel per state: `other` minus `ref` in alignment with each power, line and band from `band`."""
    dates = _dates(ref)
    colors = power_colors(ref.powers)
    low, middle, high = band
    limit = max(float(np.abs(band).max()) * 1.08, 0.01)
    fig, axes = state_panels(len(ref.states))
    for s, (ax, state) in enumerate(zip(axes, ref.states, strict=True)):
        ax.axhline(0, color="0.25", lw=0.9)
        for p, power in enumerate(ref.powers):
            ax.fill_between(dates, low[:, s, p], high[:, s, p], color=colors[power], **BAND)
            ax.plot(dates, middle[:, s, p], color=colors[power], lw=1.6)
        time_panel(ax, state, dates, label=s == 0)
        ax.set_ylim(-limit, limit)
    fig.supylabel(f"alignment share: {other.name} − {ref.name}")
    _power_legend(fig, ref.powers)
    spread = f"5–95% of run differences, {PAIRED if paired else UNPAIRED}"
    fig.suptitle(
        f"{other.name} minus {ref.name}: change in alignment with each power\n"
        f"line: difference of medians; band: {spread}; {other.runs} vs {ref.runs} runs",
        fontsize=13,
    )
    return fig


@plain_text
def overlaid_fans(
    outcomes: list[Outcome],
    digests: list[Digest],
    figures: dict[str, tuple[Path, str]],
    formats: tuple[str, ...] = ("png",),
    source: str | None = None,
) -> list[list[Path]]:
    """For each power, its figure at its path (without suffix) in each of `formats`, with its caption and the
    `source` line inside when a source is given: one panel per state, every scenario's median alignment with
    that power and its 5–95% band, each scenario in its own colour and line style. The figures share their axes,
    scale and legend and differ only in data and texts, so one figure is laid out once and drawn for each power
    in turn."""
    first = outcomes[0]
    dates = _dates(first)
    top = min(SHARE_LIMITS[1], max(float(d.alignment[2].max()) for d in digests) * 1.1 + 0.02)
    fig, axes = state_panels(len(first.states))
    for s, (ax, state) in enumerate(zip(axes, first.states, strict=True)):
        time_panel(ax, state, dates, label=s == 0)
        ax.set_ylim(SHARE_LIMITS[0], top)
    _scenario_legend(fig, outcomes)
    ylabel, title = fig.supylabel(""), fig.suptitle("", fontsize=13)  # texts set per power, placed by the layout
    caption_text = None
    written = []
    for power, (path, caption) in figures.items():
        p = first.powers.index(power)
        drawn = []
        for s, ax in enumerate(axes):
            for i, (low, middle, high) in enumerate(d.alignment[..., s, p] for d in digests):
                color = _scenario_color(i)
                drawn.append(ax.fill_between(dates, low, high, color=color, **(OTHER_BAND if i else BAND)))
                if i:
                    drawn += [
                        ax.plot(dates, edge, color=color, lw=0.7, ls=_style(i), alpha=0.7)[0] for edge in (low, high)
                    ]
                drawn += ax.plot(dates, middle, color=color, lw=1.8, ls=_style(i))
        ylabel.set_text(f"alignment share with {power}")
        title.set_text(f"Alignment with {power}: {_versus(outcomes)} (median, 5–95% of runs)")
        if source is not None and caption_text is None:
            caption_text = captioned(fig, caption, source)  # lays the figure out once, with room for the caption
        elif caption_text is not None:
            caption_text.set_text(caption)
        written.append([_save(fig, path.with_suffix("." + kind)) for kind in formats])
        fig.set_layout_engine("none")  # the layout found for the first power holds for the others
        for artist in drawn:
            artist.remove()
    return written


@plain_text
def dominant_grid(outcomes: list[Outcome], digests: list[Digest], horizons: list[str]) -> Figure:
    """Side by side for each horizon: per state and scenario, the most frequent dominant partner and its share."""
    first = outcomes[0]
    n_states, n_powers = len(first.states), len(first.powers)
    rgb = np.array([to_rgb(c) for c in power_colors(first.powers).values()])
    width = 1.5 * len(outcomes) * len(horizons) + 2.6
    fig = Figure(figsize=(width, 0.5 * n_states + 1.9), layout="constrained")
    axes = fig.subplots(1, len(horizons), sharey=True, squeeze=False)[0]
    for ax, date in zip(axes, horizons, strict=True):
        t = first.dates.index(date)
        shares = np.stack([d.dominant_share[t] for d in digests], axis=1)  # (S, scenarios, P)
        winner, agreement = shares.argmax(axis=-1), shares.max(axis=-1)
        alpha = _agreement_alpha(agreement, n_powers)[..., None]
        cells = 1 - alpha * (1 - rgb[winner])
        ax.imshow(cells, aspect="auto", interpolation="nearest")
        for s in range(n_states):
            for j in range(len(outcomes)):
                ax.text(
                    j,
                    s,
                    f"{first.powers[winner[s, j]]} {agreement[s, j]:.0%}",
                    ha="center",
                    va="center",
                    fontsize=9.5,
                    color=_text_color(cells[s, j]),
                )
        ax.set_xticks(range(len(outcomes)), [_wrap(o.name) for o in outcomes], fontsize=9.5)
        ax.xaxis.tick_top()
        ax.set_yticks(range(n_states), first.states)
        ax.set_xticks(np.arange(len(outcomes) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(n_states + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", lw=2)
        ax.tick_params(which="both", length=0)
        ax.set_title(date, fontsize=12, fontweight="bold")
        for spine in ax.spines.values():
            spine.set_visible(False)
    _power_legend(fig, first.powers)
    fig.suptitle(
        f"Most frequent dominant partner: {_versus(outcomes)}\n(share of runs in which it leads; "
        "paler = runs disagree more)",
        fontsize=12,
    )
    return fig


@plain_text
def bloc_chart(outcomes: list[Outcome], digests: list[Digest]) -> Figure:
    """One panel per power: number of states leaning most towards it, per scenario, over time."""
    first = outcomes[0]
    dates = _dates(first)
    colors = power_colors(first.powers)
    sizes = [d.bloc_sizes for d in digests]  # each (T, P)
    ncols = min(4, len(first.powers))
    nrows = -(-len(first.powers) // ncols)
    fig = Figure(figsize=(3.4 * ncols + 1.6, 2.9 * nrows + 1.0), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    for p, (ax, power) in enumerate(zip(axes[: len(first.powers)], first.powers, strict=True)):
        for i, size in enumerate(sizes):
            ax.plot(dates, size[:, p], color=_scenario_color(i), lw=1.8, ls=_style(i))
        time_panel(ax, power, dates, label=p == 0)
        ax.title.set_color(colors[power])
        ax.set_ylim(-0.2, len(first.states) + 0.2)
    for ax in axes[len(first.powers) :]:
        ax.remove()
    fig.supylabel("number of states")
    _scenario_legend(fig, outcomes)
    fig.suptitle(
        f"Bloc sizes: number of states whose dominant partner is each power\n{_versus(outcomes)} (mean of runs)",
        fontsize=12,
    )
    return fig


@plain_text
def hedging_chart(outcomes: list[Outcome], digests: list[Digest]) -> Figure:
    """Median hedging index per scenario: the mean over states first, then one panel per state."""
    first = outcomes[0]
    dates = _dates(first)
    titles = ["mean over states", *first.states]
    quantiles = [d.hedging for d in digests]  # each (3, T, S+1)
    bottom = max(0.0, min(float(q[0].min()) for q in quantiles) - 0.05)
    fig, axes = state_panels(len(titles), ncols=4)
    for k, (ax, title) in enumerate(zip(axes, titles, strict=True)):
        for i, (low, middle, high) in enumerate(quantiles):
            ax.fill_between(dates, low[:, k], high[:, k], color=_scenario_color(i), **(OTHER_BAND if i else BAND))
            ax.plot(dates, middle[:, k], color=_scenario_color(i), lw=1.6, ls=_style(i))
        time_panel(ax, title, dates, label=k == 0)
        ax.set_ylim(bottom, 1)
    axes[0].title.set_fontweight("bold")
    fig.supylabel("hedging index (0 = one patron, 1 = even split)")
    _scenario_legend(fig, outcomes)
    fig.suptitle(f"Hedging between powers: {_versus(outcomes)} (median, 5–95% of runs)", fontsize=13)
    return fig


def _text_color(background: np.ndarray) -> str:
    """Black or white, whichever contrasts more with the cell (WCAG relative luminance)."""
    linear = np.where(background <= 0.04045, background / 12.92, ((background + 0.055) / 1.055) ** 2.4)
    luminance = float(np.dot(linear, (0.2126, 0.7152, 0.0722)))
    return "black" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "white"


def _style(i: int):
    return STYLES[i % len(STYLES)]


def _scenario_color(i: int) -> str:
    return SCENARIO_COLORS[i % len(SCENARIO_COLORS)]


def _scenario_legend(fig: Figure, outcomes: list[Outcome]) -> Legend:
    handles = [
        Line2D([], [], color=_scenario_color(i), lw=2, ls=_style(i), label=_wrap(o.name))
        for i, o in enumerate(outcomes)
    ]
    return fig.legend(
        handles=handles, loc="outside right upper", frameon=False, fontsize=10.5, title="scenario", handlelength=3
    )


def _versus(outcomes: list[Outcome]) -> str:
    return " vs ".join(o.name for o in outcomes)


def _wrap(text: str, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text
