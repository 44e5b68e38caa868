"""Self-contained HTML pages of results, for readers who will not open a Parquet file.

The pages are jinja2 templates in `templates/` (autoescaped); this module gathers what they show. Plots are
embedded as base64 PNG and the style sheet is inline: the page loads nothing from anywhere, so it can be mailed
or archived as one file, and it prints on A4 or Letter without clipping a table.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.colors import to_rgb

from sim.inputs.documents import InputError, read_bytes
from sim.inputs.sources import Source, load_sources
from sim.outputs.colors import power_colors
from sim.outputs.comparison import EVENT_SHARE_DIFFERENCE, PAIRED, UNPAIRED, Comparison, headlines
from sim.outputs.destination import TOOL, is_manifest, read_json, replacing
from sim.outputs.folders import Outcome, read_manifest
from sim.outputs.results import read_table, run_headlines, spread_sentence
from sim.outputs.writer import Invocation

#: A PNG file's first bytes, and the largest figure embedded from a results folder.
PNG_SIGNATURE, MAX_FIGURE_BYTES = b"\x89PNG\r\n\x1a\n", 50_000_000

#: How event sources that are not documents read on a page.
SOURCE_WORDS = {"model": "the model (emerged in the runs)", "counterfactual": "the scenario (counterfactual)"}

#: The pages' templates (autoescaped: every value is escaped unless the code marks it safe) and style sheet.
PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
#: Captions of the plots `alliance-sim run` writes, in the order a reader wants them.
RUN_PLOTS = {
    "summary.png": "Where each state ends: alignment with each power at the last month (dot: median across runs, "
    "bar: 5–95% of runs) beside its median at the start (hollow circle).",
    "fan_charts.png": "Alignment of each state with each power over time: median across runs and its 5–95% band.",
    "dominant_partner.png": "Each state's most frequent dominant partner by month; paler: the runs disagree more.",
    "hedging.png": "Hedging index per state (0 = one patron, 1 = even split between all powers), median across runs.",
    "credibility.png": "Each power's credibility as a security guarantor, averaged over states: median and 5–95% band.",
}


def compare_page(comparison: Comparison, manifest: dict, page_folder: Path) -> str:
    """The comparison page (written into `page_folder`): headline findings and the summary figure, how each
    folder was made (its path relative to the page's folder), key tables, then every other figure."""
    outcomes, digests, pairing = comparison.outcomes, comparison.digests, comparison.pairing
    probabilities, alignment = comparison.dominant_probabilities, comparison.alignment_differences
    figures, events = comparison.figures, comparison.events
    ref = outcomes[0]
    summary = [f for f in figures if Path(f[0]).name == "summary.png"]
    names = [o.name for o in outcomes]
    last = alignment["date"].iloc[-1]
    scenarios = {
        "pairs": [
            {"name": o.name, "pairing": PAIRED if p else UNPAIRED} for o, p in zip(outcomes[1:], pairing, strict=True)
        ],
        "cards": [_card(o, page_folder) for o in outcomes],
        "events": _event_differences(events),
        "parameters": _parameter_differences(outcomes),
    }
    dates = probabilities["date"].unique()
    tables = [(date, _probability_table(probabilities[probabilities["date"] == date], names)) for date in dates]
    sections = [
        *([_section("Summary figure", "summary", figure=_figure(*summary[0]))] if summary else []),
        _section("The scenarios", "scenarios", **scenarios),
        _section("Dominant partner: how likely is each power to lead?", "dominant", tables=tables),
        _section(
            f"Alignment at {last}", "alignment", table=_alignment_table(alignment[alignment["date"] == last], names)
        ),
        *_tallies_section(comparison),
        _section("Figures", "figures", figures=[_figure(*f) for f in figures if f not in summary]),
    ]
    return PAGES.get_template("compare.html").render(
        tool=TOOL,
        title=f"Comparison: {' vs '.join(names)}",
        names=names,
        reference=ref.name,
        powers=_and(ref.powers),
        first=ref.dates[0],
        last=ref.dates[-1],
        headlines=headlines(outcomes, digests, alignment),
        sections=sections,
        command=manifest.get("reproduce", ""),
        created=manifest.get("created", ""),
    )


def _tallies_section(comparison: Comparison) -> list[dict[str, Any]]:
    """The section on leaders changed and blocs frozen by the last year-end, if the folders hold the tallies."""
    switches = _tally_differences(comparison.switches, ["state"], "p_switched", "leader changed")
    blocs = _tally_differences(comparison.blocs, ["state", "bloc"], "p_frozen_or_left", "frozen or left")
    if switches is None and blocs is None:
        return []
    tables = comparison.switches if comparison.switches is not None else comparison.blocs
    assert tables is not None
    date = tables["date"].max()
    threshold = f"{EVENT_SHARE_DIFFERENCE * 100:g} percentage points"
    return [_section(f"Leaders and blocs by {date}", "tallies", switches=switches, blocs=blocs, threshold=threshold)]


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
    rest = [p for p in plots if p not in first]
    sections = [
        *(
            [_section("Summary figure", "summary", figure=_figure(first[0], RUN_PLOTS["summary.png"], folder))]
            if first
            else []
        ),
        _section("How it was made", "made", details=_details(manifest, folder, folder)),
        _section(f"Where the states stand at {date}", "states", table=_summary_table(summary)),
    ]
    if spread is not None:
        sentence = spread_sentence(spread, date)
        sections.append(
            _section(f"Where the spread at {date} comes from", "spread", sentence=sentence, table=_spread_table(spread))
        )
    if not events.empty:
        sections.append(_section("Events", "events", table=_events_table(events, manifest.get("runs"))))
    changes = _changes_tables(folder)
    if changes:
        sections.append(_section("When leading partners and bloc standings change", "changes", **changes))
    if rest:
        figures = [_figure(p, RUN_PLOTS.get(p.name, p.stem.replace("_", " ")), folder) for p in rest]
        sections.append(_section("Figures", "figures", figures=figures))
    return PAGES.get_template("run.html").render(
        tool=TOOL,
        title=f"Scenario: {name}",
        name=name,
        description=manifest.get("description") or "no description",
        headlines=run_headlines(summary, spread),
        sections=sections,
        command=Invocation("report", (str(folder),)).command_line(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def check_page(path: Path) -> None:
    """A page may replace only a page alliance-sim wrote: never another file, a folder or a link."""
    check_output(path, "report.html", _is_page, "page")


def check_output(path: Path, own_name: str, ours: Callable[[Path], bool], what: str) -> None:
    """An output file may replace only one alliance-sim wrote (`ours` says so from its bytes, or it is `own_name`
    in one of its results folders): never another file, a folder or a link."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InputError(f"{path}: not a plain file; choose another output file", ("out",))
    if path.exists():
        in_results = path.name == own_name and is_manifest(read_json(path.parent / "manifest.json"))
        if not (in_results or ours(path)):
            raise InputError(
                f"{path}: exists and is not a {what} alliance-sim wrote; choose another output file", ("out",)
            )


def _is_page(path: Path) -> bool:
    with path.open("rb") as stream:
        head = stream.read(2000)
    return f"<meta name='generator' content='{TOOL}'>".encode() in head


def write_page(page: str, path: Path) -> Path:
    """Write the page through a temporary file renamed into place: never a half-written page."""
    with replacing(path) as temporary:
        temporary.write_text(page, encoding="utf-8")
    return path


def _section(title: str, part: str, **data: Any) -> dict[str, Any]:
    """A page's section: its heading, which part of the template draws it, and what that part shows."""
    return {"title": title, "part": part, **data}


def _spread_table(spread: pd.DataFrame) -> Markup:
    """Per state: the 5–95% band width with every source on and with each alone, and each source's share."""
    sources = [c.removeprefix("share_") for c in spread.columns if c.startswith("share_")]
    table = pd.DataFrame({"state": spread["state"], "band, all sources": spread["band_all"].map("{:.2f}".format)})
    for source in sources:
        table[f"band, {source} alone"] = spread[f"band_{source}"].map("{:.2f}".format)
    for source in sources:
        table[f"share: {source}"] = spread[f"share_{source}"].map(_percent)
    return Markup(table.to_html(index=False, border=0, classes="events", escape=True))


def _changes_tables(folder: Path) -> dict[str, Markup | None]:
    """From switches.csv and bloc_events.csv (folders written before them have neither): per state, the share
    of runs whose leading partner has changed by each year-end and the median month of the first change; per
    state and bloc, the share of runs that froze or left it by each year-end."""
    found: dict[str, Markup | None] = {}
    path = folder / "switches.csv"
    if path.is_file():
        switches = _read_csv(path, {"state", "date", "p_switched", "median_first_switch"})
        per_state = switches.drop_duplicates(["state", "date"])
        table = per_state.pivot(index="state", columns="date", values="p_switched")
        last = per_state[per_state["date"] == per_state["date"].max()].set_index("state")["median_first_switch"]
        table = table.map(_percent).reindex(per_state["state"].unique())
        table["median first change"] = last.reindex(table.index).astype(object).fillna("—")
        found["switches"] = Markup(_plain(table).to_html(index=False, border=0, classes="events"))
    path = folder / "bloc_events.csv"
    if path.is_file():
        blocs = _read_csv(path, {"state", "bloc", "date", "p_frozen_or_left"})
        table = blocs.pivot(index=["state", "bloc"], columns="date", values="p_frozen_or_left")
        table = table[table.max(axis=1) > 0]  # only the blocs some run froze or left
        shown = _plain(table.map(_percent)).to_html(index=False, border=0, classes="events")
        found["blocs"] = Markup(shown if len(table) else "")
    return found


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """A pivoted table with its row labels as ordinary columns and no axis names: one header row."""
    table = table.reset_index()
    table.columns.name = None
    return table


def _card(outcome: Outcome, page_folder: Path) -> dict[str, Any]:
    """A scenario's card: its name, question, a batch point's values and how its folder was made."""
    point = ", ".join(f"{k} = {v}" for k, v in outcome.point_values.items())
    return {
        "name": outcome.name,
        "question": outcome.description or "no description",
        "point": point,
        "details": _details(outcome.manifest, outcome.folder, page_folder, runs=outcome.runs),
    }


def _details(manifest: dict, folder: Path, page_folder: Path, runs: int | None = None) -> dict[str, Any]:
    """How a folder was made and how to make it again, from its manifest; the folder named relative to the
    page's, so that the page reads the same wherever the folders are moved together."""
    versions = _mapping(manifest.get("versions"))
    relative = os.path.relpath(Path(folder).resolve(), Path(page_folder).resolve())
    return {
        "folder": "this folder" if relative == "." else relative,
        "scenario_file": manifest.get("scenario_file", "?"),
        "start": manifest.get("start", "?"),
        "end": manifest.get("end", "?"),
        "seed": manifest.get("seed", "?"),
        "runs": runs if runs is not None else manifest.get("runs", "?"),
        "engine": manifest.get("engine", "?"),
        "created": manifest.get("created", "?"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()) or "?",
        "reproduce": manifest.get("reproduce", "?"),
        "parameters": _mapping(manifest.get("parameters")),
    }


def _event_differences(events: pd.DataFrame | None) -> Markup | None:
    """The events whose share of runs differs from the reference's by EVENT_SHARE_DIFFERENCE or more, largest
    difference first: a table, empty if none does, None if a folder has no event log."""
    if events is None:
        return None
    differing = events.groupby(["date", "event"], sort=False)["difference"].transform(lambda d: d.abs().max())
    shown = events[differing >= EVENT_SHARE_DIFFERENCE]
    if shown.empty:
        return Markup()
    table = shown.pivot_table(
        index=["date", "event"], columns="scenario", values="share_of_runs", sort=False, aggfunc="first"
    )
    names = list(dict.fromkeys(events["scenario"]))
    table = table[names].map(_percent)
    table.columns = [f"{name}: share of runs" for name in names]
    return Markup(_plain(table).to_html(index=False, border=0, classes="events"))


def _tally_differences(table: pd.DataFrame | None, keys: list[str], share: str, what: str) -> Markup | None:
    """At the last year-end, the rows (by `keys`) whose `share` of runs differs from the reference's by
    EVENT_SHARE_DIFFERENCE or more in some scenario, largest difference first: a table, empty if none does,
    None if a folder has no such tally."""
    if table is None:
        return None
    last = table[table["date"] == table["date"].max()].drop_duplicates([*keys, "scenario"])
    largest = last.groupby(keys, sort=False)[f"{share}_difference"].transform(lambda d: d.abs().max())
    shown = last.assign(largest=largest)
    shown = shown[shown["largest"] >= EVENT_SHARE_DIFFERENCE]
    if shown.empty:
        return Markup()
    names = list(dict.fromkeys(table["scenario"]))
    wide = shown.pivot_table(index=keys, columns="scenario", values=share, sort=False, aggfunc="first")[names]
    order = shown.groupby(keys, sort=False)["largest"].first().sort_values(ascending=False, kind="stable").index
    wide = wide.loc[order].map(_percent)
    wide.columns = [f"{name}: {what}" for name in names]
    return Markup(_plain(wide).to_html(index=False, border=0, classes="events"))


def _parameter_differences(outcomes: list[Outcome]) -> Markup | None:
    """Model parameters (and a batch point's values) known for every scenario and not the same in all: a table,
    empty if all are the same, None if no parameter is known for every scenario."""
    values = [{**_mapping(o.manifest.get("parameters")), **o.point_values} for o in outcomes]
    known = sorted(set.intersection(*(set(v) for v in values)))
    differing = [k for k in known if len({repr(v[k]) for v in values}) > 1]
    if not differing:
        return Markup() if known else None
    table = pd.DataFrame(
        [[k, *(f"{v[k]:g}" if isinstance(v[k], int | float) else str(v[k]) for v in values)] for k in differing],
        columns=["parameter", *(o.name for o in outcomes)],
    )
    return Markup(table.to_html(index=False, border=0, classes="events"))


def _probability_table(frame: pd.DataFrame, names: list[str]) -> Markup:
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
    return Markup("".join(parts))


def _alignment_table(frame: pd.DataFrame, names: list[str]) -> Markup:
    """States down; for each power, every scenario's median and each change from the reference across."""
    powers = list(dict.fromkeys(frame["power"]))
    states = list(dict.fromkeys(frame["state"]))
    wide = frame.pivot(index="state", columns=["power", "scenario"]).reindex(states)
    return Markup("".join(_alignment_part(wide, names, group) for group in _groups(powers, 2 * len(names) - 1, most=8)))


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


def _summary_table(summary: pd.DataFrame) -> Markup:
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
    return Markup(_tinted(text, value, [c[0] for c in text.columns]))


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


def _events_table(events: pd.DataFrame, runs: object = None) -> Markup:
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
    return Markup(table.to_html(index=False, border=0, classes="events", na_rep="", formatters=formatters))


def _figure(path: Path, caption: str, within: Path | None = None) -> dict[str, str]:
    """A figure to embed in the page; one from a results folder (`within`) only if it is that folder's own
    regular file and a PNG by its signature."""
    if within is None:
        raw = Path(path).read_bytes()
    else:
        raw = read_bytes(path, "figure", MAX_FIGURE_BYTES, within=within)
        if not raw.startswith(PNG_SIGNATURE):
            raise InputError(f"{path}: not a PNG image; remove it from {within} or re-run to redraw the figures")
    return {"data": base64.b64encode(raw).decode("ascii"), "caption": caption}


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
