"""Writing a run's results folder: trajectories, summary, event log, manifest, plots.

Commands write through `sim.outputs.destination.staged`, so an interrupted or failed run never leaves a
half-written results folder.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from sim.inputs.documents import InputError, regular_file
from sim.inputs.packaged import CALIBRATION, IN_CHECKOUT, reference
from sim.model.trajectories import Trajectories, hedging_index
from sim.outputs.destination import TOOL

#: Largest CSV table read back (a results folder's tables are kB; points.csv of a huge design, some 100 MB).
MAX_TABLE_BYTES = 1_000_000_000
#: First characters that make a spreadsheet read a cell as a formula (OWASP's list against CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_table(frame: pd.DataFrame, path: Path, **csv_options) -> Path:
    """Parquet (the exact text) or CSV (text safe in a spreadsheet, see `spreadsheet_safe`) by the path's
    suffix; `csv_options` go to pandas' to_csv."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False, compression="snappy")
    else:
        spreadsheet_safe(frame).to_csv(path, index=False, **csv_options)
    return path


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell and column name that a spreadsheet would run as a formula (one starting
    with = + - @, a tab or a carriage return) prefixed with a single quote, as OWASP advises; numbers, negative
    ones too, are left as they are. Every CSV alliance-sim writes goes through here."""
    safe = frame.rename(columns=_quoted) if any(_formula(c) for c in frame.columns) else frame
    changed = {}
    for position in range(safe.shape[1]):
        values = safe.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            if any(_formula(c) for c in values.cat.categories):
                changed[position] = values.cat.rename_categories([_quoted(c) for c in values.cat.categories])
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            if values.map(_formula).any():
                changed[position] = values.map(_quoted)
    if not changed:
        return safe
    safe = safe.copy()
    for position, values in changed.items():
        safe.isetitem(position, values)
    return safe


def _formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _quoted(value: object) -> object:
    return f"'{value}" if _formula(value) else value


def read_table(path: Path, absent: str, fix: str, needed: set[str] = frozenset()) -> pd.DataFrame:
    """A CSV table a command wrote, or an InputError: `absent` if there is no such file; naming the file and
    `fix` if it cannot be read or lacks a `needed` column."""
    if not path.is_file():
        raise InputError(absent)
    regular_file(path, "CSV table", MAX_TABLE_BYTES, within=path.parent)
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read it as CSV ({exc.__class__.__name__}); {fix}") from None
    missing = needed - set(frame.columns)
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}; {fix}")
    return frame


def summary_of(start: np.ndarray, final: np.ndarray, traj: Trajectories) -> pd.DataFrame:
    """Per state and power at the last month: alignment median, 5-95% band, mean, P(dominant).

    `start` and `final` are every run's first and last month (R,S,P); `traj` gives the labels.
    """
    low, median, high = np.quantile(final, [0.05, 0.5, 0.95], axis=0)
    dominant = final.argmax(axis=-1)
    hedging = np.median(hedging_index(final), axis=0)  # (S,)
    rows = []
    for s, state in enumerate(traj.states):
        for p, power in enumerate(traj.powers):
            rows.append(
                {
                    "state": state,
                    "power": power,
                    "date": traj.dates[-1],
                    "start": float(start[:, s, p].mean()),
                    "median": median[s, p],
                    "p05": low[s, p],
                    "p95": high[s, p],
                    "mean": float(final[:, s, p].mean()),
                    "p_dominant": float((dominant[:, s] == p).mean()),
                    "hedging_median": float(hedging[s]),
                }
            )
    return pd.DataFrame(rows)


def key_numbers(summary: pd.DataFrame, spread: pd.DataFrame | None = None) -> str:
    """A short table for the terminal: each state's most likely dominant partner at the end with the share of
    runs, its largest change since the start, and (given uncertainty.csv) where the final spread comes from."""
    date = str(summary["date"].iloc[0])
    lines = [f"{'state':<13} {'dominant at ' + date:<24} largest change since the start (mean of runs)"]
    for state, rows in summary.groupby("state", sort=False):
        top = rows.loc[rows["p_dominant"].idxmax()]
        change = rows["mean"] - rows["start"]
        moved = rows.loc[change.abs().idxmax()]
        delta = moved["mean"] - moved["start"]
        lines.append(
            f"{state:<13} {top['power'] + f' {top.p_dominant:.0%}':<24} "
            f"{moved['power']} {delta:+.2f} ({moved['start']:.2f} to {moved['mean']:.2f})"
        )
    if spread is not None and not spread.empty:
        lines.append(spread_sentence(spread, date))
    return "\n".join(lines)


def run_headlines(summary: pd.DataFrame, spread: pd.DataFrame | None = None, most: int = 3) -> list[str]:
    """What a run says, in sentences built from summary.csv: how many states each power most likely leads at the
    end, the largest moves since the start, and where the final spread comes from."""
    date = str(summary["date"].iloc[0])
    tops = summary.loc[summary.groupby("state", sort=False)["p_dominant"].idxmax()]
    leads = [
        f"{power} {len(rows)} ({', '.join(f'{r.state} {r.p_dominant:.0%}' for r in rows.itertuples())})"
        for power, rows in sorted(tops.groupby("power", sort=False), key=lambda kv: -len(kv[1]))
    ]
    sentences = [f"Most likely leading partner at {date}, by number of states (share of runs): {'; '.join(leads)}."]
    change = (summary["mean"] - summary["start"]).abs().sort_values(ascending=False)
    for row in summary.loc[change.index[:most]].itertuples():
        sentences.append(
            f"{row.state}'s alignment with {row.power} moves from {row.start:.2f} to {row.mean:.2f} by {date} "
            f"(mean of runs; 5–95% of runs {row.p05:.2f} to {row.p95:.2f})."
        )
    if spread is not None and not spread.empty:
        sentences.append(spread_sentence(spread, date))
    return sentences


def spread_sentence(spread: pd.DataFrame, date: str) -> str:
    """How wide the final 5-95% band is (mean over states and powers) and each source's share of its variance."""
    shares = {c.removeprefix("share_"): float(spread[c].mean()) for c in spread.columns if c.startswith("share_")}
    parts = ", ".join(f"{name} {share:.0%}" for name, share in sorted(shares.items(), key=lambda kv: -kv[1]))
    return (
        f"Spread at {date}: the 5-95% band of a share is {float(spread['band_all'].mean()):.2f} wide on average; "
        f"each source's share (variance with it alone): {parts}."
    )


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def provenance() -> dict[str, object]:
    """Which alliance-sim made a folder: its version and, run from a git checkout, the commit and whether the
    checkout had changes not committed."""
    found: dict[str, object] = {"alliance-sim": versions().get("alliance-sim", "unknown")}
    if IN_CHECKOUT:
        root = str(CALIBRATION.parent)
        try:
            commit = subprocess.run(
                ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            changed = subprocess.run(
                ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return found
        found.update(git_commit=commit, git_uncommitted_changes=bool(changed))
    return found


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("alliance-sim", "mesa", "numpy", "pandas", "pyarrow", "matplotlib", "pyyaml"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def manifest(scenario, evidence_path: Path, **details) -> dict:
    """What was run and how to run it again."""
    return {
        "tool": TOOL,
        **scenario_record(scenario, evidence_path),
        **details,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def scenario_record(scenario, evidence_path: Path) -> dict:
    """What a manifest says of the scenario a command ran: its name, file and digest, span, states, powers and
    parameters, and the digest of the evidence it was read with."""
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "scenario_file": reference(scenario.path),
        "scenario_sha256": file_digest(scenario.path),
        "evidence": reference(evidence_path),
        "evidence_sha256": file_digest(evidence_path),
        "start": scenario.date(0),
        "end": scenario.date(scenario.months),
        "states": scenario.states,
        "powers": scenario.powers,
        "parameters": scenario.parameters,
    }


def write_json(data: dict, path: Path) -> Path:
    path.write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    return path


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, tuple, set)):
        return list(value)
    return str(value)
