"""`alliance-sim brief`: one A4 page (PDF) of a run folder for a briefing: the question, the findings, the
summary figure, where the spread comes from, and the sources with the command that made the runs.

Drawn with matplotlib alone from the folder's tables and its summary figure; every user-written name is
shown as written (no mathtext).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.image import imread

from sim.inputs.sources import load_sources
from sim.outputs.destination import TOOL, replacing
from sim.outputs.folders import read_manifest
from sim.outputs.report import RUN_PLOTS, check_output, source_text
from sim.outputs.results import read_table, run_headlines

#: A4 portrait, in inches; text wrapped to this many characters a line at the body's size.
PAGE, WRAP = (8.27, 11.69), 112
#: Height of a line of body text, as a share of the page's height.
LINE = 8.5 / 72 * 1.45 / PAGE[1]
#: Leader changes and bloc freezes named on the page: at least this share of runs.
NOTABLE = 0.05


def write_brief(folder: Path, path: Path | None = None) -> Path:
    """Write the brief of the run folder `folder` to `path` (default FOLDER/brief.pdf), replacing only a brief
    alliance-sim wrote; a temporary file renamed into place, so never half-written."""
    folder = Path(folder)
    path = Path(path) if path else folder / "brief.pdf"
    check_brief(path)
    figure = brief_figure(folder)
    with replacing(path) as temporary:
        title = f"Brief: {_name(read_manifest(folder), folder)}"
        figure.savefig(temporary, format="pdf", metadata={"Creator": TOOL, "Title": title})
    return path


def check_brief(path: Path) -> None:
    """A brief may replace only a brief: a PDF alliance-sim made, or brief.pdf in one of its results folders."""
    check_output(path, "brief.pdf", _is_brief, "brief")


def _is_brief(path: Path) -> bool:
    return path.stat().st_size < 20e6 and f"/Creator ({TOOL})".encode() in path.read_bytes()


def brief_figure(folder: Path) -> Figure:
    """The page as a matplotlib Figure."""
    manifest = read_manifest(folder)
    summary = _table(folder, "summary.csv", {"state", "power", "date", "mean", "start", "p05", "p95", "p_dominant"})
    spread = _optional(folder, "uncertainty.csv", {"state", "band_all"})
    with matplotlib.rc_context({"text.parse_math": False, "font.size": 8.5}):
        figure = Figure(figsize=PAGE)
        page = _Page(figure)
        page.line(f"Scenario: {_name(manifest, folder)}", size=15, weight="bold")
        page.paragraph(str(manifest.get("description") or "no description").strip(), style="italic")
        runs, seed = manifest.get("runs", "?"), manifest.get("seed", "?")
        page.paragraph(
            f"{runs} runs, seed {seed}, {manifest.get('start', '?')} to {manifest.get('end', '?')}; uncertainty: "
            f"{', '.join(manifest.get('uncertainty') or ['shocks'])}. Shares are of a state's alignment between "
            f"{', '.join(manifest.get('powers') or [])}.",
            color="0.3",
        )
        page.heading("Findings")
        for sentence in [*run_headlines(summary, spread), *_tallies(folder)]:
            page.paragraph("• " + sentence, indent="  ")
        sources = _sources(folder, manifest)
        image = folder / "plots" / "summary.png"
        if image.is_file():
            page.heading("Where each state ends")
            below = sum(len(textwrap.wrap(line, WRAP)) for line in sources) + 5  # the caption and Sources' lines
            page.image(imread(image), RUN_PLOTS["summary.png"], leave=below * LINE + 0.04)
        page.heading("Sources")
        for line in sources:
            page.paragraph(line, color="0.25")
    return figure


class _Page:
    """Text and images stacked from the top of a page, each below the last."""

    def __init__(self, figure: Figure) -> None:
        self.figure, self.top = figure, 0.965

    def line(self, text: str, size: float = 8.5, **style: Any) -> None:
        self.figure.text(0.06, self.top, text, fontsize=size, va="top", **style)
        self.top -= LINE * size / 8.5

    def paragraph(self, text: str, indent: str = "", **style: Any) -> None:
        lines = textwrap.wrap(text, WRAP, subsequent_indent=indent) or [""]
        for line in lines:
            self.line(line, **style)
        self.top -= 0.004

    def heading(self, text: str) -> None:
        self.top -= 0.008
        self.line(text, size=11, weight="bold")

    def image(self, pixels: np.ndarray, caption: str, leave: float) -> None:
        """The image as wide as the text, or smaller so that `leave` of the page's height stays below it."""
        height = min(self.top - leave, 0.88 * PAGE[0] / PAGE[1] * pixels.shape[0] / pixels.shape[1])
        axes = self.figure.add_axes((0.06, self.top - height, 0.88, height))
        axes.imshow(pixels)
        axes.set_axis_off()
        self.top -= height + 0.005
        self.paragraph(caption, color="0.3", style="italic")


def _tallies(folder: Path) -> list[str]:
    """Sentences on leader changes and bloc freezes by the last year-end, where enough runs have them."""
    sentences = []
    switches = _optional(folder, "switches.csv", {"state", "date", "p_switched"})
    if switches is not None and not switches.empty:
        last = switches[switches["date"] == switches["date"].max()].drop_duplicates("state")
        named = last[last["p_switched"] >= NOTABLE].sort_values("p_switched", ascending=False)
        if not named.empty:
            listed = ", ".join(f"{r.state} {r.p_switched:.0%}" for r in named.itertuples())
            sentences.append(
                f"Leading partner changed from the start by {last['date'].iloc[0]} (share of runs): {listed}."
            )
    blocs = _optional(folder, "bloc_events.csv", {"state", "bloc", "date", "p_frozen_or_left"})
    if blocs is not None and not blocs.empty:
        last = blocs[blocs["date"] == blocs["date"].max()]
        named = last[last["p_frozen_or_left"] >= NOTABLE].sort_values("p_frozen_or_left", ascending=False)
        if not named.empty:
            listed = ", ".join(f"{r.state} ({r.bloc}) {r.p_frozen_or_left:.0%}" for r in named.itertuples())
            sentences.append(f"Bloc membership frozen or left by {last['date'].iloc[0]}: {listed}.")
    return sentences


def _sources(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """The documents the scenario's events cite, the evidence, and how the runs were made."""
    events = _optional(folder, "events.csv", {"source"})
    documents = load_sources()
    cited = [] if events is None else list(dict.fromkeys(events["source"].dropna().astype(str)))
    named = [source_text(value, documents) for value in cited if value != "model"]
    lines = [f"Events cite: {'; '.join(named)}." if named else "The scenario's events cite no document."]
    made = manifest.get("made_by") or {}
    version = made.get("alliance-sim", "?") if isinstance(made, dict) else "?"
    digest = {key: str(manifest.get(f"{key}_sha256", "?"))[:12] for key in ("evidence", "scenario")}
    lines += [
        f"Evidence: {manifest.get('evidence', '?')} (SHA-256 {digest['evidence']}...); "
        f"scenario file {manifest.get('scenario_file', '?')} (SHA-256 {digest['scenario']}...).",
        f"Made by alliance-sim {version}, {manifest.get('created', '?')}. Reproduce: {manifest.get('reproduce', '?')}",
        "Projections are scenario comparisons, not forecasts: after the documents' end the model adds nothing new.",
    ]
    return lines


def _optional(folder: Path, name: str, needed: set[str]) -> pd.DataFrame | None:
    """A table of the folder, or None if it has none (a folder written before it had one)."""
    return _table(folder, name, needed) if (folder / name).is_file() else None


def _table(folder: Path, name: str, needed: set[str]) -> pd.DataFrame:
    """A table of the folder with the columns the page reads; InputError naming the fix if it lacks them."""
    return read_table(
        folder / name,
        f"{folder}: no {name}; give a run folder written by 'alliance-sim run'",
        "re-run to rewrite it",
        needed,
    ).astype({"date": str} if "date" in needed else {})


def _name(manifest: dict[str, Any], folder: Path) -> str:
    return str(manifest.get("scenario") or folder.name)
