"""What scenarios imply side by side, from statistics gathered a block of runs at a time: quantiles of alignment,
hedging and run-by-run differences, and dominant partners with confidence intervals.

Quantiles come from per-cell histograms of the values rounded to 1/RESOLUTION (0.001 of a share): memory stops
growing past a few thousand runs, and every quantile equals numpy's of the rounded values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.inputs.documents import InputError
from sim.model.events import MODEL
from sim.model.trajectories import hedging_index
from sim.outputs.folders import Outcome, blocks


@dataclass
class Comparison:
    """Scenarios side by side: the tables `compare` writes, and the statistics its plots are drawn from."""

    outcomes: list[Outcome]
    pairing: list[bool]  # per scenario after the reference: paired run by run with it
    horizons: list[str]
    digests: list[Digest]
    bands: list[np.ndarray]
    dominant_probabilities: pd.DataFrame
    alignment_differences: pd.DataFrame
    events: pd.DataFrame | None = None  # events_compared.csv; None if a folder has no event log
    switches: pd.DataFrame | None = None  # switches_compared.csv; None if a folder has no switches.csv
    blocs: pd.DataFrame | None = None  # bloc_events_compared.csv; None if a folder has no bloc_events.csv
    figures: list[tuple[Path, str]] = field(default_factory=list)  # written plots and their captions

    def __repr__(self) -> str:
        return f"Comparison({[o.name for o in self.outcomes]}, horizons={self.horizons})"


#: The run-level spread shown around a difference, as in the fan charts.
SPREAD = (0.05, 0.95)
QUANTILES = (SPREAD[0], 0.5, SPREAD[1])
#: Histogram bins per unit of share: quantiles are exact for values rounded to 1/RESOLUTION.
RESOLUTION = 1000
#: Values per bin a histogram holds as they come before counting them: held bins take 2 bytes a value, counts 8
#: bytes a bin, so held values never take more than a quarter of the counts' room beside them.
HELD = 1
#: The standard normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
PAIRED = "paired by run (common random numbers)"
UNPAIRED = "unpaired (independent runs)"


@dataclass
class Digest:
    """One scenario's statistics over all its runs: (5%, median, 95%) of alignment (3, T, S, P) and of the hedging
    index (3, T, 1 + S; first the mean over states), and how many runs each power is dominant in (T, S, P)."""

    runs: int
    alignment: np.ndarray
    hedging: np.ndarray
    dominant: np.ndarray

    @property
    def dominant_share(self) -> np.ndarray:
        return self.dominant / self.runs

    @property
    def bloc_sizes(self) -> np.ndarray:
        """Mean over runs of the number of states whose dominant partner is each power: (T, P)."""
        return self.dominant_share.sum(axis=1)


class Histogram:
    """Values in bins of width 1/RESOLUTION from `low` to `high`, one histogram per cell. While the values are
    few (HELD per bin of a cell), their bins are kept as they come, two bytes each, and sorted for quantiles;
    past that they are counted, so memory stops growing with the number of runs."""

    def __init__(self, cells: tuple[int, ...], low: float, high: float) -> None:
        self.cells, self.low = cells, low
        self.bins = int(round((high - low) * RESOLUTION)) + 1
        self.held: list[np.ndarray] = []  # each block's bins, (runs, cells), until they are counted
        self.tally: np.ndarray | None = None  # (cells, bins) counts, once the held bins would outgrow them
        self.n = 0

    def add(self, values: np.ndarray) -> None:
        """Take a block of values shaped (runs, *cells)."""
        scaled = (values.reshape(len(values), -1) - np.float32(self.low)) * np.float32(RESOLUTION) + np.float32(0.5)
        np.clip(scaled, 0, self.bins - 0.5, out=scaled)
        index = scaled.astype(np.int16)  # rounded half up to the nearest bin
        self.n += len(values)
        if self.tally is None and self.n <= HELD * self.bins:
            self.held.append(index)
        else:
            self._count(index)

    @property
    def counts(self) -> np.ndarray:
        """How many values fall in each bin of each cell: (cells, bins)."""
        if self.tally is None:
            held, self.held = self.held, []
            self.tally = np.zeros((int(np.prod(self.cells)), self.bins), dtype=np.int64)
            for index in held:
                self._count(index)
        return self.tally

    def quantiles(self, qs=QUANTILES) -> np.ndarray:
        """Shape (len(qs), *cells), interpolated between order statistics as numpy.quantile does."""
        if self.tally is not None or not self.held:
            return quantiles_of(self.counts, self.n, self.low, qs).reshape(len(qs), *self.cells)
        ordered = np.sort(np.concatenate(self.held).T, axis=-1, kind="stable")  # a radix sort of 2-byte bins
        return _interpolated(lambda rank: ordered[:, rank], self.n, self.low, qs).reshape(len(qs), *self.cells)

    def _count(self, index: np.ndarray) -> None:
        offsets = np.arange(index.shape[1], dtype=np.int32) * self.bins  # each cell's first bin
        np.add.at(self.counts.reshape(-1), (index + offsets).ravel(), 1)  # in place: no temporary as large as counts


def quantiles_of(counts: np.ndarray, n: int, low: float, qs=QUANTILES) -> np.ndarray:
    """Quantiles of each row of bin counts (rows, bins) holding n values, bin k standing for low + k/RESOLUTION."""
    rows, bins = counts.shape
    # A row's running count rises from 0 to n; shifted by row * (n + 1), all rows form one sorted array, so a
    # binary search per row finds how many of its bins hold at most a given rank.
    shift = np.arange(rows, dtype=np.int64) * (n + 1)
    running = counts.cumsum(axis=-1, dtype=np.int64)
    running += shift[:, None]
    stacked, starts = running.ravel(), np.arange(rows, dtype=np.int64) * bins

    def bins_at_most(rank: int) -> np.ndarray:
        return np.searchsorted(stacked, shift + rank, side="right") - starts

    return _interpolated(bins_at_most, n, low, qs)


def _interpolated(bin_of, n: int, low: float, qs) -> np.ndarray:
    """Quantiles from `bin_of(rank)`, the bin of each cell's value of that rank (0 the smallest) among n."""
    out = []
    for q in qs:
        rank = q * (n - 1)
        below, above = int(np.floor(rank)), int(np.ceil(rank))
        fraction = rank - below
        out.append(low + (bin_of(below) * (1 - fraction) + bin_of(above) * fraction) / RESOLUTION)
    return np.stack(out)


def summarise(outcomes: list[Outcome], pairing: list[bool]) -> tuple[list[Digest], list[np.ndarray]]:
    """Each scenario's digest and, for each scenario after the first, its difference band from the first (see
    `difference_band`), reading every folder a block of runs at a time. A paired folder is read in step with the
    reference; the reference is read on its own only if nothing is paired with it."""
    ref = outcomes[0]
    cells = (len(ref.dates), len(ref.states), len(ref.powers))
    reference: Tally | None = None
    tallies, differences = [], []
    for other, paired in zip(outcomes[1:], pairing, strict=True):
        tally = Tally(cells)
        if paired:
            first = reference is None
            reference = reference or Tally(cells)
            difference = Histogram(cells, -1.0, 1.0)
            for (ids, values), (ref_ids, ref_values) in zip(_blocks(other, ref), _blocks(ref, ref), strict=True):
                if not np.array_equal(ids, ref_ids):
                    raise InputError(f"{other.spec}: runs {ids[0]}-{ids[-1]} do not match {ref.spec}'s; re-run")
                tally.add(values)
                difference.add(values - ref_values)
                if first:
                    reference.add(ref_values)
        else:
            difference = None
            for _, values in _blocks(other, ref):
                tally.add(values)
        tallies.append(tally)
        differences.append(difference)
    if reference is None:
        reference = Tally(cells)
        for _, values in _blocks(ref, ref):
            reference.add(values)
    digests = [reference.digest()] + [t.digest() for t in tallies]
    bands = [
        difference_band(digests[0], digest, (d or _independent(t.alignment, reference.alignment)).quantiles())
        for digest, t, d in zip(digests[1:], tallies, differences, strict=True)
    ]
    return digests, bands


class Tally:
    """A scenario's statistics gathered block by block: histograms of alignment and hedging, dominant counts."""

    def __init__(self, cells: tuple[int, int, int]) -> None:
        T, S, P = cells
        self.alignment = Histogram(cells, 0.0, 1.0)
        self.hedging = Histogram((T, S + 1), 0.0, 1.0)
        self.dominant = np.zeros(cells, dtype=np.int64)

    def add(self, values: np.ndarray) -> None:
        """Count a block of runs' alignment, shaped (runs, months, states, powers)."""
        self.alignment.add(values)
        index = hedging_index(values)
        self.hedging.add(np.concatenate([index.mean(axis=-1, keepdims=True), index], axis=-1))
        powers = values.shape[-1]
        self.dominant += (values.argmax(axis=-1)[..., None] == np.arange(powers)).sum(axis=0)

    def digest(self) -> Digest:
        return Digest(self.alignment.n, self.alignment.quantiles(), self.hedging.quantiles(), self.dominant)


def difference_band(ref: Digest, other: Digest, differences: np.ndarray) -> np.ndarray:
    """Shape (3, months, states, powers): 5% and 95% of the run differences (`differences`: their quantiles),
    and between them the difference of the medians.

    Paired, run i of the other scenario minus run i of the reference: shocks common to both cancel, so the band
    shows only what the scenarios' difference does. Unpaired, the band is the spread of the difference between
    two independent runs, one of each."""
    return np.stack([differences[0], other.alignment[1] - ref.alignment[1], differences[2]])


def _blocks(outcome: Outcome, ref: Outcome):
    """A folder's runs a block at a time, states and powers in the reference's order."""
    return blocks(outcome, states=ref.states, powers=ref.powers)


def _independent(other: Histogram, ref: Histogram) -> Histogram:
    """The histogram of (other run - reference run) over every pair of runs, one of each: the convolution of
    the two histograms, as if each run of one scenario were set against each run of the other."""
    size = 2 * ref.bins - 1
    spectrum = np.fft.rfft(other.counts.astype(float), size) * np.fft.rfft(ref.counts[:, ::-1].astype(float), size)
    out = Histogram(ref.cells, -1.0, 1.0)
    out.tally = np.rint(np.fft.irfft(spectrum, size)).astype(np.int64).clip(min=0)
    out.n = other.n * ref.n
    return out


def dominant_probabilities(outcomes: list[Outcome], digests: list[Digest], horizons: list[str]) -> pd.DataFrame:
    """Share of runs in which each power is each state's largest partner, with a 95% Wilson score interval."""
    rows = []
    for outcome, digest in zip(outcomes, digests, strict=True):
        for date in horizons:
            t = outcome.dates.index(date)
            n = digest.runs
            for s, state in enumerate(outcome.states):
                for p, power in enumerate(outcome.powers):
                    k = int(digest.dominant[t, s, p])
                    low, high = wilson(k, n)
                    rows.append(
                        {
                            "scenario": outcome.name,
                            "date": date,
                            "state": state,
                            "power": power,
                            "runs": n,
                            "count": k,
                            "probability": k / n,
                            "ci_low": low,
                            "ci_high": high,
                        }
                    )
    return pd.DataFrame(rows)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a share of k successes in n trials (95% by default): never outside [0, 1], and
    not empty at k = 0 or k = n."""
    middle = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * np.sqrt(k * (n - k) / n + z * z / 4)
    low = 0.0 if k == 0 else max(0.0, middle - half)  # exactly 0 and 1 at the ends, not rounding errors
    high = 1.0 if k == n else min(1.0, middle + half)
    return low, high


def alignment_differences(
    outcomes: list[Outcome], digests: list[Digest], bands: list[np.ndarray], pairing: list[bool], horizons: list[str]
) -> pd.DataFrame:
    """At each horizon, every scenario's median alignment (5–95% of runs) and its difference from the first."""
    ref = outcomes[0]
    rows = []
    for i, (outcome, digest) in enumerate(zip(outcomes, digests, strict=True)):
        for date in horizons:
            t = ref.dates.index(date)
            low, median, high = digest.alignment[:, t]
            for s, state in enumerate(ref.states):
                for p, power in enumerate(ref.powers):
                    row = {
                        "scenario": outcome.name,
                        "date": date,
                        "state": state,
                        "power": power,
                        "median": median[s, p],
                        "p05": low[s, p],
                        "p95": high[s, p],
                        "reference": ref.name,
                        "difference": 0.0,
                        "difference_p05": 0.0,
                        "difference_p95": 0.0,
                        "pairing": "reference",
                    }
                    if i:
                        band = bands[i - 1][:, t, s, p]
                        row.update(
                            difference=band[1],
                            difference_p05=band[0],
                            difference_p95=band[2],
                            pairing=PAIRED if pairing[i - 1] else UNPAIRED,
                        )
                    rows.append(row)
    return pd.DataFrame(rows)


def headlines(outcomes: list[Outcome], digests: list[Digest], alignment: pd.DataFrame, most: int = 5) -> list[str]:
    """The few largest, clearest differences from the reference at the last month, as sentences built from the
    numbers: how many states each power most likely leads, then the largest changes whose band excludes zero,
    then, for each scenario with no such change, that it has no clear effect and its largest difference."""
    ref, date = outcomes[0], outcomes[0].dates[-1]
    sentences = []
    leads_ref = led_states(digests[0], -1)
    for outcome, digest in zip(outcomes[1:], digests[1:], strict=True):
        leads = led_states(digest, -1)
        changed = sorted(
            (p for p in range(len(ref.powers)) if leads[p] != leads_ref[p]), key=lambda p: -abs(leads[p] - leads_ref[p])
        )
        for p in changed[:2]:
            sentences.append(
                f"In {outcome.name}, {ref.powers[p]} is the most likely leading partner of {_states(leads[p])} "
                f"at {date}, against {leads_ref[p]} in {ref.name}."
            )
    clear = clear_differences(alignment, date)
    for row in clear.itertuples():
        if len(sentences) >= most:
            break
        direction = "more" if row.difference > 0 else "less"
        sentences.append(
            f"In {row.scenario}, {row.state} leans {abs(row.difference):.2f} {direction} towards {row.power} at "
            f"{date} than in {ref.name} (5–95% of run differences {row.difference_p05:+.2f} to "
            f"{row.difference_p95:+.2f})."
        )
    sentences = sentences[:most]
    for outcome in outcomes[1:]:  # "no clear effect" is a finding too: said for each scenario it holds for
        if outcome.name in set(clear["scenario"]):
            continue
        own = alignment[(alignment["scenario"] == outcome.name) & (alignment["date"] == date)]
        if own.empty:
            continue
        row = own.loc[own["difference"].abs().idxmax()]
        sentences.append(
            f"{outcome.name} has no clear effect at {date}: no state's alignment moves by a margin its band sets "
            f"apart from zero; its largest difference is {row.state} with {row.power}, {row.difference:+.2f} "
            f"(5–95% of run differences {row.difference_p05:+.2f} to {row.difference_p95:+.2f})."
        )
    return sentences


def clear_differences(alignment: pd.DataFrame, date: str) -> pd.DataFrame:
    """Rows of `alignment_differences` at `date` whose change shows at two decimals and whose 5–95% band excludes
    zero, largest change first."""
    last = alignment[(alignment["date"] == date) & (alignment["pairing"] != "reference")]
    shown = (last["difference"].abs() >= 0.005) & ((last["difference_p05"] > 0) | (last["difference_p95"] < 0))
    clear = last[shown]
    return clear.loc[clear["difference"].abs().sort_values(ascending=False).index]


def led_states(digest: Digest, t: int) -> np.ndarray:
    """How many states each power is the most frequent dominant partner of at month t: shape (P,)."""
    winners = digest.dominant[t].argmax(axis=-1)  # (S,)
    return np.bincount(winners, minlength=digest.dominant.shape[-1])


def _states(n: int) -> str:
    return f"{n} state" if n == 1 else f"{n} states"


#: Least difference in the share of runs an event happens in that the comparison reports as a difference.
EVENT_SHARE_DIFFERENCE = 0.05


def events_compared(outcomes: list[Outcome], logs: list[pd.DataFrame]) -> pd.DataFrame:
    """Each event (date and label) of any scenario, with the share of that scenario's runs it happens in and
    the difference from the reference's share (an event a scenario lacks happens in none of its runs). The
    events the agents made come first (`emergent`: what the scenario's question changes in the runs), then the
    scheduled ones a scenario adds or drops; each by the size of its largest difference, then by date."""
    shares, emergent = [], set()
    for outcome, log in zip(outcomes, logs, strict=True):
        runs = pd.to_numeric(log["runs"], errors="coerce").fillna(outcome.runs) if "runs" in log else outcome.runs
        frame = pd.DataFrame({"event": log["label"], "date": log["date"], "share": runs / outcome.runs})
        shares.append(frame.groupby(["date", "event"], sort=False)["share"].max().rename(outcome.name))
        if "source" in log:
            made = log["source"].astype(str) == MODEL
            emergent |= set(zip(log["date"][made], log["label"][made], strict=True))
    wide = pd.concat(shares, axis=1).fillna(0.0)
    largest = wide.sub(wide.iloc[:, 0], axis=0).abs().max(axis=1).to_numpy()
    made_here = np.array([key in emergent for key in wide.index], dtype=bool)
    wide = wide.iloc[np.lexsort((wide.index.get_level_values("date"), -largest, ~made_here))]
    rows = [
        {
            "event": event,
            "date": date,
            "emergent": (date, event) in emergent,
            "scenario": name,
            "share_of_runs": float(share),
            "difference": float(share - values.iloc[0]),
        }
        for (date, event), values in wide.iterrows()
        for name, share in values.items()
    ]
    return pd.DataFrame(rows, columns=["event", "date", "emergent", "scenario", "share_of_runs", "difference"])


def shares_compared(
    outcomes: list[Outcome], tables: list[pd.DataFrame], keys: list[str], shares: list[str]
) -> pd.DataFrame:
    """Each row of the scenarios' tallies (switches.csv, bloc_events.csv: shares of runs by year-end) beside
    the reference's: per `keys` and scenario, each share and its difference from the reference's (a row a
    folder lacks counts as a share of 0). Rows are in the reference's order, then any the others add."""
    wide = pd.concat(
        [table.set_index(keys)[shares].add_suffix(f"@{k}") for k, table in enumerate(tables)], axis=1
    ).fillna(0.0)
    rows = []
    for key, values in wide.iterrows():
        labels = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        for k, outcome in enumerate(outcomes):
            row: dict[str, object] = {**labels, "scenario": outcome.name}
            for share in shares:
                row[share] = float(values[f"{share}@{k}"])
                row[f"{share}_difference"] = float(values[f"{share}@{k}"] - values[f"{share}@0"])
            rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, "scenario", *(c for s in shares for c in (s, f"{s}_difference"))])
