"""Self-contained HTML pages of results, for readers who will not open a Parquet file.

Plots are embedded as base64 PNG and the style sheet is inline: the page loads nothing from anywhere,
so it can be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb

from sim.inputs.documents import InputError, read_bytes
from sim.inputs.sources import Source, load_sources
from sim.outputs.colors import power_colors
from sim.outputs.comparison import PAIRED, UNPAIRED, Digest, headlines
from sim.outputs.destination import TOOL, is_manifest, read_json, replacing
from sim.outputs.folders import Outcome, read_manifest
from sim.outputs.results import read_table, run_headlines, spread_sentence

#: A PNG file's first bytes, and the largest figure embedded from a results folder.
PNG_SIGNATURE, MAX_FIGURE_BYTES = b"\x89PNG\r\n\x1a\n", 50_000_000

#: How event sources that are not documents read on a page.
SOURCE_WORDS = {"model": "the model (emerged in the runs)", "counterfactual": "the scenario (counterfactual)"}

STYLE = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a; margin: 0;
       background: #fff; line-height: 1.45; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.9em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.4em; margin-top: 1.8em; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.15em; margin: 1.2em 0 0.4em; }
p.lead { font-size: 1.08em; color: #333; max-width: 70em; }
.note { color: #555; font-size: 0.92em; max-width: 75em; }
.cards { display: flex; flex-wrap: wrap; gap: 18px; }
.card { flex: 1 1 420px; border: 1px solid #ddd; border-radius: 6px; padding: 12px 18px; background: #fafafa; }
.card h3 { margin-top: 0.2em; }
blockquote { margin: 0.4em 0 0.8em; padding: 6px 12px; border-left: 4px solid #0072B2; background: #fff; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #d4d4d4; padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: #f0f0f0; text-align: center; }
thead th { overflow-wrap: break-word; }
tbody th { text-align: left; background: #f7f7f7; white-space: nowrap; }
table.details th { text-align: left; background: none; border: none; padding: 2px 12px 2px 0; color: #555;
                   font-weight: normal; white-space: nowrap; }
table.details td { text-align: left; border: none; padding: 2px 0; }
table.events td { text-align: left; }
table.events td:first-child { white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.88em; background: #f0f0f0;
       padding: 1px 4px; border-radius: 3px; white-space: pre-wrap; word-break: break-word; }
figure { margin: 1em 0 2.2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { color: #444; font-size: 0.93em; margin-top: 6px; max-width: 75em; }
details { margin: 0.4em 0; }
summary { cursor: pointer; color: #0b5c8e; }
.scroll { overflow-x: auto; }
.scroll td { white-space: nowrap; }
.band { color: #666; font-size: 0.85em; }
.headline { border: 2px solid #0072B2; border-radius: 6px; background: #f3f8fc; padding: 10px 20px; margin: 1em 0; }
.headline h2 { border: none; margin: 0.2em 0; padding: 0; }
.headline li { margin: 0.35em 0; font-size: 1.04em; }
nav.toc { border-left: 3px solid #ddd; padding: 2px 14px; margin: 1em 0; font-size: 0.95em; }
nav.toc ol { margin: 0.3em 0; padding-left: 1.4em; }
footer { margin-top: 3em; color: #666; font-size: 0.85em; border-top: 1px solid #ddd; padding-top: 8px; }
"""

#: Where a page's table of contents goes.
CONTENTS = "<!-- contents -->"
#: Captions of the plots `alliance-sim run` writes, in the order a reader wants them.
RUN_PLOTS = {
    "summary.png": "Where each state ends: alignment with each power at the last month (dot: median across runs, "
    "bar: 5–95% of runs) beside its median at the start (hollow circle).",
    "fan_charts.png": "Alignment of each state with each power over time: median across runs and its 5–95% band.",
    "dominant_partner.png": "Each state's most frequent dominant partner by month; paler: the runs disagree more.",
    "hedging.png": "Hedging index per state (0 = one patron, 1 = even split between all powers), median across runs.",
    "credibility.png": "Each power's credibility as a security guarantor, averaged over states: median and 5–95% band.",
}


def compare_page(
    outcomes: list[Outcome],
    digests: list[Digest],
    pairing: list[bool],
    probabilities: pd.DataFrame,
    alignment: pd.DataFrame,
    figures: list[tuple[Path, str]],
    manifest: dict,
) -> str:
    """The comparison page: headline findings and the summary figure, questions, how each folder was made, key
    tables, then every other figure."""
    ref = outcomes[0]
    summary = [f for f in figures if Path(f[0]).name == "summary.png"]
    figures = [f for f in figures if f not in summary]
    names = [o.name for o in outcomes]
    last = alignment["date"].iloc[-1]
    pairs = "".join(
        f"<li><b>{_e(o.name)}</b> vs <b>{_e(ref.name)}</b>: {PAIRED if p else UNPAIRED}</li>"
        for o, p in zip(outcomes[1:], pairing, strict=True)
    )
    body = [
        f"<h1>Scenario comparison: {_e(' vs '.join(names))}</h1>",
        f"<p class='lead'>What the scenarios imply for each state's alignment with {_e(_and(ref.powers))}, "
        f"{_e(ref.dates[0])} to {_e(ref.dates[-1])}. Differences are always <i>scenario minus "
        f"{_e(ref.name)}</i> (the first, the reference).</p>",
        _headline_box(headlines(outcomes, digests, alignment)),
        CONTENTS,
        *(["<h2>Summary figure</h2>", _figure(*summary[0])] if summary else []),
        f"<ul class='note'>{pairs}</ul>",
        "<p class='note'>Paired runs use the same random shocks in both scenarios (same seed, same run numbers), "
        "so their differences show the effect of the scenario alone; unpaired differences also carry "
        "run-to-run noise.</p>",
        "<h2>The scenarios</h2>",
        "<div class='cards'>" + "".join(_scenario_card(o) for o in outcomes) + "</div>",
        _event_differences(outcomes),
        _parameter_differences(outcomes),
        "<h2>Dominant partner: how likely is each power to lead?</h2>",
        "<p class='note'>Share of runs in which each power is the state's largest partner, with the 95% confidence "
        "interval (Wilson score) for that share in brackets. Darker cells: more likely. "
        "All values in <code>dominant_probabilities.csv</code>.</p>",
    ]
    for date in probabilities["date"].unique():
        body.append(f"<h3>{_e(date)}</h3>")
        body.append(_probability_table(probabilities[probabilities["date"] == date], names))
    body += [
        f"<h2>Alignment at {_e(last)}</h2>",
        "<p class='note'>Median alignment share with each power across runs (darker: larger), and the change from "
        f"{_e(ref.name)}: difference of medians, with 5–95% of the run-by-run differences beneath. Bold: the "
        "change shows at two decimals and its band excludes zero. Every horizon, with 5–95% bands of the medians, "
        "is in <code>alignment_differences.csv</code>.</p>",
        _alignment_table(alignment[alignment["date"] == last], names),
        "<h2>Figures</h2>",
        *(_figure(path, caption) for path, caption in figures),
        _footer(manifest.get("reproduce", ""), manifest.get("created", "")),
    ]
    return _page(f"Comparison: {' vs '.join(names)}", body)


def source_text(value: object, sources: dict[str, Source]) -> str:
    """An event's source as a reader knows it: a document by title and outlet, the model or the scenario in
    words, anything else (a structural record) as written."""
    text = "" if value is None or value != value else str(value)
    return sources[text].citation if text in sources else SOURCE_WORDS.get(text, text)


def run_page(folder: Path) -> str:
    """One scenario's page from its results folder: question, manifest, final alignment, events, plots."""
    manifest = read_manifest(folder)
    summary = _read_csv(folder / "summary.csv", {"state", "power", "date", "median", "p05", "p95", "p_dominant"})
    events_path = folder / "events.csv"
    events = _read_csv(events_path, {"date", "label"}) if events_path.is_file() else pd.DataFrame()
    spread_path = folder / "uncertainty.csv"
    spread = _read_csv(spread_path, {"state", "band_all"}) if spread_path.is_file() else None
    name = str(manifest.get("scenario") or folder.name)
    date = str(summary["date"].iloc[0])
    plots = sorted(
        (folder / "plots").glob("*.png"),
        key=lambda p: (list(RUN_PLOTS).index(p.name) if p.name in RUN_PLOTS else len(RUN_PLOTS), p.name),
    )
    first = [p for p in plots if p.name == "summary.png"]
    body = [
        f"<h1>Scenario: {_e(name)}</h1>",
        f"<blockquote>{_e(manifest.get('description') or 'no description')}</blockquote>",
        _headline_box(run_headlines(summary, spread)),
        CONTENTS,
        *(["<h2>Summary figure</h2>", _figure(first[0], RUN_PLOTS["summary.png"], folder)] if first else []),
        "<h2>How it was made</h2>",
        _details(manifest, folder),
        f"<h2>Where the states stand at {_e(date)}</h2>",
        "<p class='note'>Median alignment share with each power across runs (5–95% of runs in brackets) and the share "
        "of runs in which that power is the state's largest partner. Darker cells: larger values.</p>",
        _summary_table(summary),
    ]
    if spread is not None:
        body += [f"<h2>Where the spread at {_e(date)} comes from</h2>", _spread_table(spread, date)]
    if not events.empty:
        body += ["<h2>Events</h2>", _events_table(events, manifest.get("runs"))]
    plots = [p for p in plots if p not in first]
    if plots:
        body.append("<h2>Figures</h2>")
        body += [_figure(p, RUN_PLOTS.get(p.name, p.stem.replace("_", " ")), folder) for p in plots]
    body.append(_footer(f"alliance-sim report {folder}", datetime.now(UTC).isoformat(timespec="seconds")))
    return _page(f"Scenario: {name}", body)


def check_page(path: Path) -> None:
    """A page may replace only a page alliance-sim wrote: never another file, a folder or a link."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InputError(f"{path}: not a plain file; choose another output file", ("out",))
    if path.exists():
        with path.open("rb") as stream:
            head = stream.read(2000)
        ours = f"<meta name='generator' content='{TOOL}'>".encode() in head
        in_results = path.name == "report.html" and is_manifest(read_json(path.parent / "manifest.json"))
        if not (ours or in_results):
            raise InputError(
                f"{path}: exists and is not a page alliance-sim wrote; choose another output file", ("out",)
            )


def write_page(page: str, path: Path) -> Path:
    """Write the page through a temporary file renamed into place: never a half-written page."""
    with replacing(path) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return path


def _page(title: str, body: list[str]) -> str:
    """The whole page; the CONTENTS marker becomes a table of contents linking every h2."""
    body = _contents([part for part in body if part])
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<meta name='generator' content='{TOOL}'>\n"
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


def _contents(body: list[str]) -> list[str]:
    """Give every h2 an id and put a numbered list of links to them where CONTENTS stands."""
    titles: list[str] = []

    def anchor(match: re.Match) -> str:
        titles.append(match[1])
        return f"<h2 id='s{len(titles)}'>{match[1]}</h2>"

    body = [re.sub(r"<h2>(.*?)</h2>", anchor, part) for part in body]
    links = "".join(f"<li><a href='#s{i}'>{title}</a></li>" for i, title in enumerate(titles, 1))
    nav = f"<nav class='toc'><b>Contents</b><ol>{links}</ol></nav>"
    return [nav if part == CONTENTS else part for part in body]


def _headline_box(sentences: list[str]) -> str:
    items = "".join(f"<li>{_e(s)}</li>" for s in sentences)
    return f"<section class='headline'><h3>Headline findings</h3><ul>{items}</ul></section>"


def _spread_table(spread: pd.DataFrame, date: str) -> str:
    """Per state: the 5–95% band width with every source on and with each alone, and each source's share."""
    sources = [c.removeprefix("share_") for c in spread.columns if c.startswith("share_")]
    table = pd.DataFrame({"state": spread["state"], "band, all sources": spread["band_all"].map("{:.2f}".format)})
    for source in sources:
        table[f"band, {source} alone"] = spread[f"band_{source}"].map("{:.2f}".format)
    for source in sources:
        table[f"share: {source}"] = spread[f"share_{source}"].map(_percent)
    note = (
        "<p class='note'>Width of the 5–95% band of a final share (mean over powers) with every source of "
        "uncertainty on, and with each source alone (monthly shocks; parameters drawn from the calibration "
        "posterior; starting levels drawn as wide as the evidence is unsure); each source's share is its part of "
        "the summed variances. The fan charts show the band with all sources on. From "
        "<code>uncertainty.csv</code>.</p>"
    )
    return f"<p>{_e(spread_sentence(spread, date))}</p>{note}" + table.to_html(
        index=False, border=0, classes="events", escape=True
    )


def _scenario_card(outcome: Outcome) -> str:
    point = ""
    if outcome.point_values:
        point = (
            "<p class='note'>Parameters of this batch point: "
            + _e(", ".join(f"{k} = {v}" for k, v in outcome.point_values.items()))
            + "</p>"
        )
    question = outcome.description or "no description"
    return (
        f"<div class='card'><h3>{_e(outcome.name)}</h3><blockquote>{_e(question)}</blockquote>"
        f"{point}{_details(outcome.manifest, outcome.folder, runs=outcome.runs)}</div>"
    )


def _details(manifest: dict, folder: Path, runs: int | None = None) -> str:
    """How a folder was made and how to make it again, from its manifest."""
    versions = _mapping(manifest.get("versions"))
    rows = [
        ("results folder", f"<code>{_e(folder)}</code>"),
        ("scenario file", f"<code>{_e(manifest.get('scenario_file', '?'))}</code>"),
        ("months", f"{_e(manifest.get('start', '?'))} to {_e(manifest.get('end', '?'))}"),
        ("seed", _e(manifest.get("seed", "?"))),
        ("runs", _e(runs if runs is not None else manifest.get("runs", "?"))),
        ("engine", _e(manifest.get("engine", "?"))),
        ("created", _e(manifest.get("created", "?"))),
        ("versions", _e(", ".join(f"{k} {v}" for k, v in versions.items())) or "?"),
        ("reproduce", f"<code>{_e(manifest.get('reproduce', '?'))}</code>"),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    parameters = _mapping(manifest.get("parameters"))
    listed = ""
    if parameters:
        items = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in parameters.items())
        listed = (
            f"<details><summary>parameters ({len(parameters)})</summary>"
            f"<table class='details'>{items}</table></details>"
        )
    return f"<table class='details'>{table}</table>{listed}"


def _event_differences(outcomes: list[Outcome]) -> str:
    """Events (from each folder's events.csv) that not every scenario has: usually what the question changes."""
    logs = {}
    for outcome in outcomes:
        path = outcome.folder / "events.csv"
        frame = _read_csv(path, set()) if path.is_file() else pd.DataFrame()
        if not {"date", "label"} <= set(frame.columns):
            return ""  # e.g. a batch point: no event log to compare
        logs[outcome.name] = set(zip(frame["date"].astype(str), frame["label"].astype(str), strict=True))
    rows = sorted(set.union(*logs.values()) - set.intersection(*logs.values()))
    if not rows:
        return "<p class='note'>All scenarios have the same events.</p>"
    table = pd.DataFrame(
        [
            [date, label, *("yes" if (date, label) in events else "—" for events in logs.values())]
            for date, label in rows
        ],
        columns=["date", "event", *logs],
    )
    return "<h3>Events that differ</h3>" + table.to_html(index=False, border=0, classes="events")


def _parameter_differences(outcomes: list[Outcome]) -> str:
    """Model parameters (and a batch point's values) known for every scenario and not the same in all."""
    values = [{**_mapping(o.manifest.get("parameters")), **o.point_values} for o in outcomes]
    known = sorted(set.intersection(*(set(v) for v in values)))
    differing = [k for k in known if len({repr(v[k]) for v in values}) > 1]
    if not differing:
        return "<p class='note'>All scenarios use the same parameter values.</p>" if known else ""
    table = pd.DataFrame(
        [[k, *(f"{v[k]:g}" if isinstance(v[k], int | float) else str(v[k]) for v in values)] for k in differing],
        columns=["parameter", *(o.name for o in outcomes)],
    )
    return "<h3>Parameters that differ</h3>" + table.to_html(index=False, border=0, classes="events")


def _probability_table(frame: pd.DataFrame, names: list[str]) -> str:
    """States down, scenario × power across: 'p% (low–high)' tinted by the power's colour."""
    frame = frame.assign(
        text=[
            f"{_percent(p)} ({_bound(lo)}–{_bound(hi)})"
            for p, lo, hi in zip(frame["probability"], frame["ci_low"], frame["ci_high"], strict=True)
        ]
    )
    powers = list(dict.fromkeys(frame["power"]))
    states = list(dict.fromkeys(frame["state"]))
    text = frame.pivot(index="state", columns=["scenario", "power"], values="text")
    value = frame.pivot(index="state", columns=["scenario", "power"], values="probability")
    parts = []
    for group in _groups(names, len(powers), most=8):
        columns = pd.MultiIndex.from_product([group, powers], names=["scenario", "power"])
        parts.append(
            _tinted(
                text.reindex(index=states, columns=columns),
                value.reindex(index=states, columns=columns),
                [c[1] for c in columns],
            )
        )
    return "".join(parts)


def _alignment_table(frame: pd.DataFrame, names: list[str]) -> str:
    """States down; for each power, every scenario's median and each change from the reference across."""
    powers = list(dict.fromkeys(frame["power"]))
    states = list(dict.fromkeys(frame["state"]))
    wide = frame.pivot(index="state", columns=["power", "scenario"]).reindex(states)
    return "".join(_alignment_part(wide, names, group) for group in _groups(powers, 2 * len(names) - 1, most=8))


def _alignment_part(wide: pd.DataFrame, names: list[str], powers: list[str]) -> str:
    text, value, column_powers = {}, {}, []
    for power in powers:
        for name in names:
            text[(power, name)] = wide[("median", power, name)].map("{:.2f}".format)
            value[(power, name)] = wide[("median", power, name)]
            column_powers.append(power)
        for name in names[1:]:
            parts = [wide[(key, power, name)] for key in ("difference", "difference_p05", "difference_p95")]
            label = "change" if len(names) == 2 else f"change {name}"
            text[(power, label)] = [_change(*v) for v in zip(*parts, strict=True)]
            value[(power, label)] = float("nan")  # no tint
            column_powers.append(power)
    return _tinted(pd.DataFrame(text), pd.DataFrame(value), column_powers, escape=False)


def _summary_table(summary: pd.DataFrame) -> str:
    """States down, power × (alignment, P(dominant)) across, plus the median hedging index."""
    summary = summary.assign(
        alignment=[
            f"{m:.2f} ({lo:.2f}–{hi:.2f})"
            for m, lo, hi in zip(summary["median"], summary["p05"], summary["p95"], strict=True)
        ],
        dominant=[_percent(p) for p in summary["p_dominant"]],
    )
    powers = list(dict.fromkeys(summary["power"]))
    states = list(dict.fromkeys(summary["state"]))
    columns = pd.MultiIndex.from_product([powers, ["alignment", "P(dominant)"]], names=["power", ""])
    wide = summary.pivot(index="state", columns="power", values=["alignment", "dominant", "median", "p_dominant"])
    text = pd.concat(
        {(p, "alignment"): wide[("alignment", p)] for p in powers}
        | {(p, "P(dominant)"): wide[("dominant", p)] for p in powers},
        axis=1,
    )
    value = pd.concat(
        {(p, "alignment"): wide[("median", p)] for p in powers}
        | {(p, "P(dominant)"): wide[("p_dominant", p)] for p in powers},
        axis=1,
    )
    text, value = text.reindex(index=states, columns=columns), value.reindex(index=states, columns=columns)
    if "hedging_median" in summary:
        text[("hedging", "median")] = (
            summary.groupby("state")["hedging_median"].first().reindex(states).map("{:.2f}".format)
        )
        value[("hedging", "median")] = float("nan")
    return _tinted(text, value, [c[0] for c in text.columns])


def _groups(items: list[str], columns_each: int, most: int = 12) -> list[list[str]]:
    """Split `items` so that no table has more than `most` data columns: wider would not fit the page."""
    size = max(1, most // columns_each)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _tinted(text: pd.DataFrame, value: pd.DataFrame, column_powers: list[str], escape: bool = True) -> str:
    """Cells of `text` tinted by each column's power colour in proportion to `value` (0 to 1); zeros greyed."""
    colors = power_colors(list(dict.fromkeys(column_powers)))
    tints = pd.DataFrame(
        [
            [_tint(colors.get(power), v) for power, v in zip(column_powers, row, strict=True)]
            for row in value.to_numpy()
        ],
        index=text.index,
        columns=text.columns,
    )
    styler = text.style.apply(lambda _: tints, axis=None).format(escape="html" if escape else None)
    # Row and column labels are names from user files: always escaped, whatever the cells hold.
    styler = styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    return "<div class='scroll'>" + styler.hide(axis="index", names=True).to_html() + "</div>"


def _tint(color: str | None, value: float) -> str:
    if color is None or value != value:
        return ""
    if value <= 0:
        return "color: #9a9a9a" if value == 0 and color else ""
    r, g, b = to_rgb(color)
    strength = 0.55 * min(float(value), 1.0)
    mix = [round(255 * (1 - strength * (1 - c))) for c in (r, g, b)]
    return f"background-color: rgb({mix[0]}, {mix[1]}, {mix[2]})"


def _events_table(events: pd.DataFrame, runs: object = None) -> str:
    """Dated events with their source (a document by title and outlet); for events that emerge, the share of runs
    they happen in; for appeals, the share of those runs in which the patron answered."""
    columns = [c for c in ("date", "label", "source", "runs", "answered") if c in events and events[c].notna().any()]
    happened, answered = "happens in (share of runs)", "appeal answered (share of runs)"
    table = events[columns].rename(columns={"label": "event", "runs": happened, "answered": answered})
    if "source" in table:
        sources = load_sources()
        table["source"] = [source_text(v, sources) for v in table["source"]]
    if happened in table:
        emergent = events["source"].astype(str).eq("model") if "source" in events else False
        if isinstance(runs, int) and runs > 0 and bool(np.any(emergent)):
            table[happened] = (events["runs"].astype(float) / runs).where(emergent)
        else:
            table = table.drop(columns=happened)
    formatters = {c: lambda v: "" if v != v else _percent(float(v)) for c in (happened, answered)}
    return table.to_html(index=False, border=0, classes="events", na_rep="", formatters=formatters)


def _figure(path: Path, caption: str, within: Path | None = None) -> str:
    """A figure embedded in the page; one from a results folder (`within`) only if it is that folder's own
    regular file and a PNG by its signature."""
    if within is None:
        raw = Path(path).read_bytes()
    else:
        raw = read_bytes(path, "figure", MAX_FIGURE_BYTES, within=within)
        if not raw.startswith(PNG_SIGNATURE):
            raise InputError(f"{path}: not a PNG image; remove it from {within} or re-run to redraw the figures")
    data = base64.b64encode(raw).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{_e(caption)}'>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _footer(command: str, created: str) -> str:
    return (
        f"<footer>Made with <code>{_e(command)}</code> on {_e(created)} by alliance-sim. Each scenario's "
        "'reproduce' line above re-creates its results folder exactly.</footer>"
    )


def _change(difference: float, low: float, high: float) -> str:
    """'+0.10' over its band '+0.08 to +0.12', bold when the band excludes zero and the change shows at two
    decimals."""
    shown = (low > 0 or high < 0) and abs(round(difference, 2)) >= 0.01
    middle = f"<b>{_signed(difference)}</b>" if shown else _signed(difference)
    return f"{middle}<br><span class='band'>{_signed(low)} to {_signed(high)}</span>"


def _percent(p: float) -> str:
    """Whole percent, but never rounding a rare outcome to 0% or 100%."""
    text = f"{p:.0%}"
    return "<1%" if p > 0 and text == "0%" else ">99%" if p < 1 and text == "100%" else text


def _bound(p: float) -> str:
    """A confidence bound in percent: whole, or finer where rounding would read as exactly 0 or 100."""
    percent = p * 100
    for digits in (0, 1):
        text = f"{percent:.{digits}f}"
        misleading = (float(text) == 0 and percent > 0) or (float(text) == 100 and percent < 100)
        if not misleading:
            return text
    return "<0.1" if percent < 50 else ">99.9"


def _signed(x: float) -> str:
    return f"{round(x, 2) + 0.0:+.2f}".replace("-", "−")


def _read_csv(path: Path, needed: set[str]) -> pd.DataFrame:
    absent = f"{path.parent}: no {path.name}; give a run folder written by 'alliance-sim run'"
    return read_table(path, absent, "re-run to rewrite it", needed)


def _mapping(value) -> dict:
    """A manifest's entry that should be a mapping; anything else (a damaged manifest) reads as empty."""
    return value if isinstance(value, dict) else {}


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def _e(value) -> str:
    return html.escape(str(value), quote=True)
