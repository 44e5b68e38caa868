"""Plots of a fit and of a check against the targets: loss trace, posterior marginals, targets met, and the
reliability and sharpness of the probabilities a check gives the facts.

Built with ``matplotlib.figure.Figure`` (no pyplot state), like `sim.outputs.plots`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.outputs.plots import plain

DPI = 110
MET, UNMET = "#009E73", "#D55E00"  # Okabe-Ito green and vermillion
#: Colours of the samples a reliability or sharpness figure draws, in order (Okabe-Ito blue, orange, purple).
SAMPLES = ("#0072B2", "#E69F00", "#CC79A7")
#: Bins of predicted probability in the reliability and sharpness figures.
PROBABILITY_BINS = np.linspace(0.0, 1.0, 11)


def target_margins(frame: pd.DataFrame, path: Path, title: str) -> Path:
    """One bar per target: how far the observed median is on the documented side (green) or not (red),
    annotated with observed against expected."""
    n = len(frame)
    fig = Figure(figsize=(11, 0.42 * n + 1.6), layout="constrained")
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    colors = [MET if met else UNMET for met in frame["met"]]
    ax.barh(y, frame["margin"], color=colors, height=0.6)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(y, [plain(t) for t in frame["target"]], fontsize=9)
    limit = max(0.05, float(np.abs(frame["margin"]).max()) * 1.05)
    ax.set_xlim(-limit, limit * 1.9)
    for yi, (_, row) in zip(y, frame.iterrows(), strict=True):
        text = plain(f"observed {row['observed']:+.3f}  |  expected {row['expected']}  [{row['date']}]")
        ax.text(max(row["margin"], 0) + limit * 0.02, yi, text, va="center", fontsize=7.5)
    ax.set_xlabel("margin: distance of the observed median from the documented threshold (> 0 = met)")
    ax.grid(axis="x", alpha=0.3)
    met = int(frame["met"].sum())
    ax.set_title(plain(f"{title}: {met} of {n} targets met ({100 * met / n:.0f}%)"), fontsize=12)
    return _save(fig, path)


def loss_trace(losses: np.ndarray, met: np.ndarray, path: Path, n_targets: int) -> Path:
    """Loss of every evaluated point in search order with the running best, and targets met."""
    fig = Figure(figsize=(10, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    order = np.arange(1, len(losses) + 1)
    top.scatter(order, losses, s=6, alpha=0.35, color="#0072B2", label="evaluated point")
    top.plot(order, np.minimum.accumulate(losses), color="black", lw=1.8, label="best so far")
    top.set_yscale("symlog", linthresh=1.0)
    top.set_ylabel("loss (unmet targets + smooth hinge)")
    top.legend(loc="upper right")
    top.grid(alpha=0.3)
    bottom.scatter(order, met, s=6, alpha=0.35, color="#0072B2")
    bottom.plot(order, np.maximum.accumulate(met), color="black", lw=1.8)
    bottom.set_ylim(-0.5, n_targets + 0.5)
    bottom.set_ylabel(f"targets met (of {n_targets})")
    bottom.set_xlabel("evaluation")
    bottom.grid(alpha=0.3)
    fig.suptitle("calibration: loss of every parameter point tried", fontsize=13)
    return _save(fig, path)


def posterior_marginals(
    points: pd.DataFrame,
    accepted: np.ndarray,
    bounds: dict[str, tuple[float, float]],
    fitted: dict[str, float],
    path: Path,
) -> Path:
    """Histogram of each fitted parameter over all evaluated points and over the accepted ones."""
    names = list(bounds)
    ncols = 4
    nrows = -(-len(names) // ncols)
    fig = Figure(figsize=(3.3 * ncols, 2.5 * nrows + 0.8))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        low, high = bounds[name]
        bins = np.linspace(low, high, 21)
        ax.hist(points[name], bins=bins, color="#999999", alpha=0.5, label="all evaluated")
        ax.hist(points.loc[accepted, name], bins=bins, color="#0072B2", alpha=0.85, label="accepted")
        ax.axvline(fitted[name], color="black", lw=1.6, label="fitted")
        ax.set_title(name, fontsize=10)
        ax.set_xlim(low, high)
        ax.tick_params(labelsize=8)
    for ax in axes[len(names) :]:
        ax.remove()
    axes[0].legend(fontsize=7)
    fig.subplots_adjust(hspace=0.45, wspace=0.25, top=0.9)
    fig.suptitle(
        f"approximate posterior: {int(accepted.sum())} accepted points of {len(points)} evaluated", fontsize=13
    )
    return _save(fig, path)


def reliability(probabilities: Mapping[str, np.ndarray | pd.Series], path: Path, title: str) -> Path:
    """Reliability diagram of the probabilities each sample's facts were given: every fact happened, so each
    fact is a point at (p, 1) and every bin's observed frequency is 1, with its count; the diagonal is where a
    calibrated forecaster's bins would lie if false statements were scored too."""
    fig = Figure(figsize=(8.5, 7), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="0.4", lw=1, ls="--", label="perfect calibration")
    lift = 0.025
    for i, (label, p) in enumerate(probabilities.items()):
        p, color, y = np.asarray(p, dtype=float), SAMPLES[i % len(SAMPLES)], 1.0 - lift * i
        ax.scatter(p, np.full_like(p, y), s=28, alpha=0.6, color=color, marker="|", linewidths=2)
        counts, _ = np.histogram(p, bins=PROBABILITY_BINS)
        which = np.clip(np.digitize(p, PROBABILITY_BINS[1:-1]), 0, len(counts) - 1)
        centres = [p[which == b].mean() for b in range(len(counts)) if counts[b]]
        ax.scatter(centres, np.full(len(centres), y), s=70, color=color, edgecolor="black", zorder=3, label=label)
        for x, n in zip(centres, counts[counts > 0], strict=True):
            ax.annotate(str(n), (x, y), xytext=(0, -14 - 11 * i), textcoords="offset points", ha="center", fontsize=8)
        ax.axvline(p.mean(), color=color, lw=1, alpha=0.7, ls=":")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.08)
    ax.set_xlabel("probability the model gave the fact (share of runs meeting it)")
    ax.set_ylabel("observed frequency in the bin")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(plain(title), fontsize=12)
    fig.text(
        0.01,
        -0.01,
        "Every fact scored happened, so each bin's observed frequency is 1: a fact is a tick at (p, 1), a dot "
        "marks a bin's mean p with its count\nbelow, a dotted line the mean p. The distance of a fact below 1 "
        "is what the Brier score squares. With no false statement scored, the\ndiagram shows how much "
        "confidence the facts that happened were denied, never over-confidence in what did not happen.",
        fontsize=8.5,
        va="top",
    )
    return _save(fig, path)


def sharpness(probabilities: Mapping[str, np.ndarray | pd.Series], path: Path, title: str) -> Path:
    """Histogram of the probabilities each sample's facts were given: how far from a coin the model commits."""
    fig = Figure(figsize=(8.5, 5), layout="constrained")
    ax = fig.subplots()
    width = np.diff(PROBABILITY_BINS)[0] / (len(probabilities) + 1)
    for i, (label, p) in enumerate(probabilities.items()):
        counts, _ = np.histogram(np.asarray(p, dtype=float), bins=PROBABILITY_BINS)
        ax.bar(
            PROBABILITY_BINS[:-1] + width * (i + 0.5),
            counts,
            width=width,
            align="edge",
            label=label,
            color=SAMPLES[i % len(SAMPLES)],
        )
    ax.set_xticks(PROBABILITY_BINS)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability the model gave the fact (share of runs meeting it)")
    ax.set_ylabel("facts")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=9)
    ax.set_title(plain(title), fontsize=12)
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return Path(path)
