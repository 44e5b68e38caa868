"""Plots of a fit and of a check against the targets: loss trace, posterior marginals, targets met.

Built with ``matplotlib.figure.Figure`` (no pyplot state), like `sim.outputs.plots`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.outputs.plots import plain

DPI = 110
MET, UNMET = "#009E73", "#D55E00"  # Okabe-Ito green and vermillion


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


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return Path(path)
