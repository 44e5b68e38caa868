"""Simulated trajectories: the arrays every driver produces and every plot and report reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa

#: Per-(state, power) series stored beside alignment, in the order written to disk.
SERIES = ("alignment", "credibility", "economic", "security", "outreach")


@dataclass
class Trajectories:
    """Arrays shaped (runs, months, states, powers) plus the labels of each axis.

    Month 0 is the scenario's start (before any update); month t is the state after t steps.
    """

    scenario: str
    dates: list[str]
    states: list[str]
    powers: list[str]
    alignment: np.ndarray
    credibility: np.ndarray
    economic: np.ndarray
    security: np.ndarray
    outreach: np.ndarray
    runs: np.ndarray = field(default=cast(np.ndarray, None))  # run ids, shape (R,)
    participation: np.ndarray | None = None  # (R, months, blocs, states) bloc standing codes, not written to disk

    def __post_init__(self) -> None:
        if self.runs is None:
            self.runs = np.arange(self.alignment.shape[0])

    @property
    def hedging(self) -> np.ndarray:
        """Entropy of each state's alignment, normalised to [0, 1]: shape (R, T, S)."""
        return hedging_index(self.alignment)

    @property
    def dominant(self) -> np.ndarray:
        """Index of each state's largest share: shape (R, T, S)."""
        return self.alignment.argmax(axis=-1)

    def to_table(
        self, series: tuple[str, ...] = SERIES, single: bool = False, labels: dict[str, list[str]] | None = None
    ) -> pa.Table:
        """Long form as an Arrow table built straight from the arrays: one row per run, month, state and
        power; labels dictionary-encoded, the other `series` in single precision, and alignment too if
        `single` (shares then sum to 1 within 1e-6, and the file is a quarter smaller). `labels` may give
        the "date", "state" or "power" dictionary to encode against (a superset of this run's), so that
        tables of different scenarios share one schema."""
        R, T, S, P = self.alignment.shape
        universe = {"date": self.dates, "state": self.states, "power": self.powers, **(labels or {})}
        dates = _positions(self.dates, universe["date"], np.int16)
        states = _positions(self.states, universe["state"], np.int8)
        powers = _positions(self.powers, universe["power"], np.int8)
        columns = {
            "run": np.repeat(np.asarray(self.runs, dtype=np.int64), T * S * P),
            "step": np.tile(np.repeat(np.arange(T, dtype=np.int32), S * P), R),
            "date": _labelled(np.tile(np.repeat(dates, S * P), R), universe["date"]),
            "state": _labelled(np.tile(np.repeat(states, P), R * T), universe["state"]),
            "power": _labelled(np.tile(powers, R * T * S), universe["power"]),
        }
        for name in SERIES:
            if name in series:
                values = getattr(self, name).reshape(-1)
                double = name == "alignment" and not single
                columns[name] = values.astype(np.float64 if double else np.float32, copy=False)
        return pa.table(columns)

    def to_frame(self) -> pd.DataFrame:
        """Long form as a DataFrame (labels categorical): :meth:`to_table` converted."""
        return self.to_table().to_pandas()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, scenario: str = "") -> Trajectories:
        """Inverse of :meth:`to_frame` (rows may come in any order)."""
        runs = np.sort(frame["run"].unique())
        steps = np.sort(frame["step"].unique())
        states = _labels(frame["state"])
        powers = _labels(frame["power"])
        dates = frame.drop_duplicates("step").set_index("step")["date"].astype(str).reindex(steps).tolist()
        shape = (len(runs), len(steps), len(states), len(powers))
        r = np.searchsorted(runs, frame["run"].to_numpy())
        t = np.searchsorted(steps, frame["step"].to_numpy())
        s = _codes(frame["state"], states)
        p = _codes(frame["power"], powers)
        arrays = {}
        for name in SERIES:
            out = np.full(shape, np.nan)
            if name in frame:
                out[r, t, s, p] = frame[name].to_numpy(dtype=float)
            arrays[name] = out
        return cls(scenario, dates, states, powers, runs=runs, **arrays)


def _positions(names: list[str], labels: list[str], dtype: type) -> np.ndarray:
    """Each name's position in `labels`, as the dictionary codes of an Arrow column."""
    return np.array([labels.index(name) for name in names], dtype=dtype)


def _labelled(codes: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(labels, pa.string()))


def _labels(column: pd.Series) -> list[str]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        used = np.unique(column.cat.codes.to_numpy())
        return [str(c) for c in column.cat.categories[used[used >= 0]]]
    return list(dict.fromkeys(column.astype(str)))


def _codes(column: pd.Series, labels: list[str]) -> np.ndarray:
    """Each row's position in `labels`; categorical columns are mapped through their codes, not
    converted to millions of strings."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        positions = pd.Index(labels).get_indexer(column.cat.categories.astype(str))
        return positions[column.cat.codes.to_numpy()]
    return pd.Categorical(column.astype(str), categories=labels).codes


def hedging_index(alignment: np.ndarray) -> np.ndarray:
    """Shannon entropy of shares over the last axis divided by log(powers): 0 = one patron, 1 = even."""
    shares = np.clip(alignment, 1e-12, 1.0)
    entropy = -(shares * np.log(shares)).sum(axis=-1)
    return entropy / np.log(alignment.shape[-1])
