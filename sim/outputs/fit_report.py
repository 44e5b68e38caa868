"""The fit report (fit_report.md): what `alliance-sim calibrate` fitted to what, how well, and why any target
stays unmet, written from a `FitReport` record the fit fills in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.inputs.parameters import BY_NAME

#: Fewest posterior points from which the report judges whether a parameter is constrained.
JUDGED = 20


@dataclass(frozen=True)
class FitMethod:
    """The fit's settings the report quotes: the loss's hinge width and prior weight, the recheck, the sweeps."""

    smoothing: float
    prior_weight: float
    recheck: int
    replication: int
    sweep: int
    informs: float


@dataclass(frozen=True)
class FitReport:
    """Everything the fit report shows.

    `record` is the fitted-values file's content; `targets` the targets table at the fitted point; `informs`
    maps each fitted parameter to the targets whose margins follow it (with Spearman's rho); `unmet` says why
    each unmet target (by id) is missed; `met_across_search` is each target's share of evaluated points meeting
    it; `sweeps` the targets met across each held parameter's range."""

    record: dict[str, Any]
    method: FitMethod
    names: tuple[str, ...]
    targets: pd.DataFrame
    last_month: str
    first_generation: int
    informs: dict[str, list[tuple[str, float]]]
    sweeps: dict[str, list[int]]
    met_across_search: np.ndarray
    unmet: dict[str, str]
    projection: pd.DataFrame
    seconds: float
    fitted_path: Path


def fit_report(report: FitReport) -> str:
    """The report as Markdown."""
    return "\n".join(
        _heading(report)
        + _parameters(report)
        + _informing(report)
        + _held(report)
        + _targets(report)
        + _projection(report)
        + ["", "## Plots", "", "![loss trace](plots/loss_trace.png)", "", "![posterior marginals](plots/posterior.png)"]
        + ["", "![targets met](plots/targets.png)", ""]
    )


def _heading(report: FitReport) -> list[str]:
    record, method = report.record, report.method
    return [
        "# Calibration report",
        "",
        f"- created: {record['created']}",
        f"- command: `{record['command']}`",
        f"- scenario: {record['scenario']}, cut at the last target month ({report.last_month})",
        f"- targets: {record['targets_file']} ({len(report.targets)} dated stylized facts)",
        f"- evaluations: {record['evaluations']} parameter points x {record['runs_per_point']} replicates; "
        f"the best {method.recheck} re-run with {method.replication * record['runs_per_point']} fresh replicates",
        f"- wall time: {report.seconds:.1f} s",
        f"- result: **{record['targets_met']} targets met**, loss {record['loss']} (written to `{report.fitted_path}`)",
        "",
        "Loss = number of unmet targets + sum over targets of softplus(-margin / "
        f"{method.smoothing}) + {method.prior_weight} x sum of squared distances of the parameters from their "
        "built-in defaults (in units of each search range). A margin is the observed median's distance from the "
        "documented threshold (positive when met). The last term is a weak prior: it keeps parameters the "
        "targets leave free near their defaults, where a free parameter could otherwise drift to values "
        "whose long-run feedback (peer imitation, rerouting of dependence) the 27-month window never shows.",
    ]


def _parameters(report: FitReport) -> list[str]:
    posterior = report.record["posterior"]
    judged = posterior["accepted"] >= JUDGED
    lines = _section(
        "Fitted parameters",
        [
            "Posterior: " + posterior["rule"] + f" ({posterior['accepted']} points). "
            "'Constrained' means the accepted points' 5-95% range spans less than half the prior's range"
            + ("." if judged else " (too few accepted points to judge: run a larger search).")
        ],
        ["parameter", "fitted", "built-in default", "prior (uniform)", "posterior 5-95%", "constrained", "the prior"],
    )
    priors = report.record["priors"]
    for name in report.names:
        spec, r, p = BY_NAME[name], posterior["ranges"][name], priors[name]
        narrow = "yes" if (r["p95"] - r["p05"]) < 0.5 * (p["high"] - p["low"]) else "no"
        lines.append(
            f"| {name} | {report.record['parameters'][name]:.4g} | {spec.default:g} | {p['low']:g}-{p['high']:g} "
            f"| {r['p05']:.4g}-{r['p95']:.4g} | {narrow if judged else 'n/a'} | {p['reason']} |"
        )
    lines += [
        "",
        f"The posterior's effective sample size is {posterior['effective_size']}, from {posterior['evaluations']:,} "
        "candidates. Each generation of the ABC, its tolerance, and the share of its candidates within it:",
        "",
        "| generation | tolerance | candidates | accepted | acceptance |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {k} | {g['tolerance']:.3f} | {g['evaluated']:,} | {g['accepted']:,} | {g['acceptance']:.1%} |"
        for k, g in enumerate(posterior.get("generations", []))
    ]
    return lines


def _informing(report: FitReport) -> list[str]:
    lines = _section(
        "Which targets inform which parameters",
        [
            "Spearman correlation between each parameter and each target's margin over the first, Latin-hypercube "
            f"generation of the search ({report.first_generation} points, before selection biases the "
            f"sample); targets with |rho| >= {report.method.informs}, strongest first. A parameter with none is "
            "left to its prior."
        ],
        ["parameter", "targets whose margin it moves (rho)"],
    )
    for name, found_targets in report.informs.items():
        lines.append(f"| {name} | {', '.join(f'{t} ({r:+.2f})' for t, r in found_targets) or 'none'} |")
    return lines


def _held(report: FitReport) -> list[str]:
    return _section(
        "Held parameters",
        [
            f"Each held parameter swept over {report.method.sweep} evenly spaced values of its range, the fitted "
            "ones fixed: targets met at each."
        ],
        ["parameter", "value", "targets met across its range", "why it is not fitted"],
        [
            f"| {n} | {held['value']:g} | {' / '.join(str(m) for m in report.sweeps[n])} | {held['reason']} |"
            for n, held in report.record["held"].items()
        ],
    )


def _targets(report: FitReport) -> list[str]:
    lines = _section(
        "Targets at the fitted point",
        [
            "'Met across search' is the share of all evaluated points meeting the target: near 100% means the "
            "target hardly constrains the parameters (the events alone produce it)."
        ],
        ["target", "dates", "expected", "observed", "met", "share of runs met", "met across search", "source"],
    )
    for share, (_, row) in zip(report.met_across_search, report.targets.iterrows(), strict=True):
        lines.append(
            f"| {row['target']} | {row['date']} | {row['expected']} | {row['observed']:+.4f} | "
            f"{'yes' if row['met'] else '**no**'} | {row['share_of_runs_met']:.0%} | {share:.0%} | "
            f"{row['source']} |"
        )
    lines += ["", "## Unmet targets", ""]
    return lines + ([f"- **{target}**: {why}" for target, why in report.unmet.items()] or ["None."])


def _projection(report: FitReport) -> list[str]:
    outlook = report.projection
    return _section(
        f"Projection with the fitted values (to {outlook['date'].iloc[0]})",
        [
            "The whole scenario run with the fitted values: each state's leading partner and hedging at the start "
            "and at the end (medians over runs). Nothing after the window is fitted, so this shows what the fitted "
            "feedbacks do over the long run: hedging collapsing onto one patron everywhere would betray a runaway, "
            "not a finding.",
            "The last two columns ask whether the posterior settles it: the leading partner at the end that most "
            "of the posterior's weight gives the state, and that weight's share (each point's own runs, shocks "
            "only).",
        ],
        ["state", "leading partner at start", "at end", "hedging at start", "at end"]
        + ["posterior's leader", "agreement"],
        [
            f"| {r.state} | {r.start_partner} ({r.start_share:.2f}) | {r.end_partner} ({r.end_share:.2f}) | "
            f"{r.start_hedging:.2f} | {r.end_hedging:.2f} | {r.posterior_leader} | {r.posterior_agreement:.0%} |"
            for r in outlook.itertuples()
        ],
        right=1,
    )


def _section(
    title: str, paragraphs: Sequence[str], columns: Sequence[str], rows: Iterable[str] = (), right: int = 0
) -> list[str]:
    """A section of the report: its heading, its paragraphs, then a table of `columns` (the last `right` of them
    right-aligned) and its `rows`, already spelled."""
    lines = ["", f"## {title}", ""]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    rule = ["---:" if k >= len(columns) - right else "---" for k in range(len(columns))]
    return [*lines, "| " + " | ".join(columns) + " |", "|" + "|".join(rule) + "|", *rows]
