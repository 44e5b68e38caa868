"""Experiment files: which scenarios, which parameter points, how many runs of each, checked.

An experiment is YAML with `name`, `scenario` (a path or a list of paths, relative to the file),
`runs` (replicates per point), `seed`, and either `parameters:` (a grid: name -> list of values)
or `sample:` (`method: lhs|sobol|morris`, a base count `n`, `ranges:` name -> [low, high], where
an empty range means the parameter's full range from `alliance-sim params`). Neither gives one
point per scenario: a plain Monte Carlo ensemble. Optional: `description`, `store:
trajectories|outcomes` and `chunk_runs` (runs simulated and written together).

Points are numbered scenario by scenario; point p's replicate k is run p * runs + k and draws
from the stream `run_seed(seed, run)`, so every number is fixed by the file alone.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.inputs.documents import Document, InputError, load_yaml, suggest, text
from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.limits import Cost
from sim.inputs.packaged import EVIDENCE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Scenario, load_scenario

KEYS = ("name", "description", "scenario", "runs", "seed", "parameters", "sample", "store", "chunk_runs")
SAMPLE_KEYS = ("method", "n", "ranges")
METHODS = ("lhs", "sobol", "morris")
STORES = ("trajectories", "outcomes")
#: Runs per chunk unless the file says otherwise: a chunk's arrays stay a few hundred MB.
CHUNK_RUNS = 1000
#: Levels of the Morris grid (SALib's default).
MORRIS_LEVELS = 4
#: Memory per design point while the design is built and listed (values, SALib's copies, points.csv rows).
POINT_BYTES = 400


@dataclass
class Experiment:
    """A checked experiment: its scenarios and the values of the varied parameters at each point."""

    name: str
    description: str
    path: Path
    sha256: str
    evidence: Evidence
    scenarios: list[Scenario]
    runs: int
    seed: int
    method: str  # "grid", one of METHODS, or "none" (each scenario as it is)
    values: dict[str, np.ndarray]  # varied parameter -> its value at each parameter point, (J,)
    ranges: dict[str, tuple[float, float]]  # for sampled designs
    n: int | None
    store: str
    chunk_runs: int

    @property
    def design_points(self) -> int:
        """Parameter points per scenario."""
        return len(next(iter(self.values.values()))) if self.values else 1

    @property
    def points(self) -> int:
        return len(self.scenarios) * self.design_points

    @property
    def total_runs(self) -> int:
        return self.points * self.runs

    def points_frame(self) -> pd.DataFrame:
        """One row per point: its number, scenario and the value of each varied parameter."""
        J = self.design_points
        frame = pd.DataFrame(
            {
                "point": np.arange(self.points),
                "scenario": np.repeat([s.name for s in self.scenarios], J),
                "scenario_file": np.repeat([str(s.path) for s in self.scenarios], J),
            }
        )
        for name, values in self.values.items():
            frame[name] = np.tile(values, len(self.scenarios))
        return frame

    def design(self) -> dict:
        """How the points were made, for the manifest (enough to rebuild them with SALib)."""
        design = {"method": self.method, "parameters": list(self.values), "points_per_scenario": self.design_points}
        if self.method in METHODS:
            design.update(n=self.n, ranges={k: list(v) for k, v in self.ranges.items()}, sample_seed=self.seed)
            design.update(
                {"sobol": {"calc_second_order": True}, "morris": {"num_levels": MORRIS_LEVELS}}.get(self.method, {})
            )
        elif self.method == "grid":
            design["grid"] = {k: sorted(set(v.tolist())) for k, v in self.values.items()}
        return design


def load_experiment(path: Path | str) -> Experiment:
    """Read and check an experiment file and the scenarios it names; InputError (one line) on any mistake."""
    doc = load_yaml(path, "experiment")
    data = doc.data
    for key in data:
        if key not in KEYS:
            raise doc.error((key,), f"unknown key '{key}'{suggest(key, KEYS)}")
    for key in ("name", "scenario", "runs"):
        if data.get(key) in (None, "", []):
            raise doc.error((), f"missing '{key}:' (an experiment needs name, scenario and runs)")
    if "parameters" in data and "sample" in data:
        raise doc.error(("sample",), "give either 'parameters:' (a grid) or 'sample:' (a sampled design), not both")
    store = data.get("store", "trajectories")
    if store not in STORES:
        raise doc.error(("store",), f"unknown store '{store}'{suggest(store, STORES)}")
    name = text(doc, ("name",), data["name"], "a name (text)", longest=200).strip()
    description = text(doc, ("description",), data.get("description") or "", "a description (text)").strip()
    evidence = load_evidence(EVIDENCE)
    scenarios = _scenarios(doc, evidence)
    method, values, ranges, n = "none", {}, {}, None
    if data.get("parameters") is not None:
        method, values = "grid", _grid(doc, data["parameters"], len(scenarios))
    elif data.get("sample") is not None:
        method, n, ranges = _sample_spec(doc, data["sample"])
        _check_design(doc, ("sample", "n"), design_size(method, n, len(ranges)) * len(scenarios), len(ranges))
        values = sample(method, n, ranges, _count(doc, ("seed",), data.get("seed", 0), 0))
    return Experiment(
        name=name,
        description=description,
        path=doc.path,
        sha256=hashlib.sha256(doc.path.read_bytes()).hexdigest(),
        evidence=evidence,
        scenarios=scenarios,
        runs=_count(doc, ("runs",), data["runs"], 1),
        seed=_count(doc, ("seed",), data.get("seed", 0), 0),
        method=method,
        values=values,
        ranges=ranges,
        n=n,
        store=store,
        chunk_runs=_count(doc, ("chunk_runs",), data.get("chunk_runs", CHUNK_RUNS), 1),
    )


def design_size(method: str, n: int, parameters: int) -> int:
    """Points a sampled design has per scenario (SALib: lhs n, sobol n * (2D + 2), morris n * (D + 1))."""
    return {"lhs": n, "sobol": n * (2 * parameters + 2), "morris": n * (parameters + 1)}[method]


def _check_design(doc: Document, place: tuple, points: int, parameters: int) -> None:
    """Refuse, before building it, a design whose points will not fit in memory."""
    cost = Cost(memory=points * (POINT_BYTES + 32 * parameters) + 300e6, disk=0, seconds=0)
    try:
        cost.check(None, f"a design of {points:,} points", "use fewer points")
    except InputError as exc:
        raise doc.error(place, str(exc)) from None


def sample(method: str, n: int, ranges: dict[str, tuple[float, float]], seed: int) -> dict[str, np.ndarray]:
    """The design's parameter points from SALib: lhs gives n, sobol n * (2D + 2), morris n * (D + 1)."""
    from SALib.sample import latin, morris, sobol

    problem = {"num_vars": len(ranges), "names": list(ranges), "bounds": [list(b) for b in ranges.values()]}
    if method == "lhs":
        rows = latin.sample(problem, n, seed=seed)
    elif method == "sobol":
        rows = sobol.sample(problem, n, calc_second_order=True, seed=seed)
    else:
        rows = morris.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    return {name: np.asarray(rows[:, i], dtype=float) for i, name in enumerate(ranges)}


def _count(doc: Document, place: tuple, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise doc.error(place, f"expected a whole number of at least {least}, got {value!r}")
    return value


def _scenarios(doc: Document, evidence: Evidence) -> list[Scenario]:
    listed = doc.data["scenario"]
    many = isinstance(listed, list)
    found = []
    for i, entry in enumerate(listed if many else [listed]):
        place = ("scenario", i) if many else ("scenario",)
        if not isinstance(entry, str):
            raise doc.error(place, f"expected a scenario file path, got {entry!r}")
        file = doc.path.parent / entry
        if not file.is_file():
            raise doc.error(place, f"no such scenario file '{entry}' (paths are relative to {doc.path.parent})")
        found.append(load_scenario(file, evidence))
    names = [s.name for s in found]
    if len(set(names)) != len(names):
        raise doc.error(("scenario",), "two entries name the same scenario; list each once")
    return found


def _parameter(doc: Document, place: tuple, name) -> str:
    if name not in BY_NAME:
        raise doc.error(place, f"unknown parameter '{name}'{suggest(name, BY_NAME)}; see 'alliance-sim params'")
    return name


def _in_range(doc: Document, place: tuple, name: str, value) -> float:
    spec = BY_NAME[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not spec.low <= value <= spec.high:
        raise doc.error(place, f"{value!r} is outside {spec.low}..{spec.high} ({spec.description})")
    return float(value)


def _grid(doc: Document, grid, scenarios: int) -> dict[str, np.ndarray]:
    """Every combination of the listed values, first parameter varying slowest."""
    if not isinstance(grid, dict) or not grid:
        raise doc.error(("parameters",), "expected a mapping of parameter name to a list of values")
    lists = {}
    for name, values in grid.items():
        _parameter(doc, ("parameters", name), name)
        values = values if isinstance(values, list) else [values]
        if not values:
            raise doc.error(("parameters", name), "give at least one value")
        lists[name] = [_in_range(doc, ("parameters", name, i), name, v) for i, v in enumerate(values)]
    points = int(np.prod([len(v) for v in lists.values()], dtype=object))
    _check_design(doc, ("parameters",), points * scenarios, len(lists))
    combos = np.array(list(itertools.product(*lists.values())), dtype=float)
    return {name: combos[:, i] for i, name in enumerate(lists)}


def _sample_spec(doc: Document, spec) -> tuple[str, int, dict[str, tuple[float, float]]]:
    place = ("sample",)
    if not isinstance(spec, dict):
        raise doc.error(place, "expected method, n and ranges")
    for key in spec:
        if key not in SAMPLE_KEYS:
            raise doc.error(place + (key,), f"unknown key '{key}'{suggest(key, SAMPLE_KEYS)}")
    method = spec.get("method")
    if method not in METHODS:
        raise doc.error(place + ("method",), f"unknown sampling method {method!r}{suggest(method, METHODS)}")
    n = _count(doc, place + ("n",), spec.get("n"), 1)
    if method == "sobol" and n & (n - 1):
        raise doc.error(
            place + ("n",),
            f"a Sobol design needs n a power of 2, e.g. {1 << (n.bit_length() - 1)} or {1 << n.bit_length()}",
        )
    ranges = spec.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        raise doc.error(
            place + ("ranges",), "expected a mapping of parameter name to [low, high] (empty for its full range)"
        )
    bounds = {}
    for name, given in ranges.items():
        where = place + ("ranges", name)
        _parameter(doc, where, name)
        if given is None:
            bounds[name] = (BY_NAME[name].low, BY_NAME[name].high)
            continue
        if not isinstance(given, list) or len(given) != 2:
            raise doc.error(where, f"expected [low, high], got {given!r}")
        low, high = (_in_range(doc, where + (i,), name, v) for i, v in enumerate(given))
        if low >= high:
            raise doc.error(where, f"low {low} must be below high {high}")
        bounds[name] = (low, high)
    return method, n, bounds
