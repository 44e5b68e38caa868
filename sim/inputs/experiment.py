"""Experiment files: which scenarios, which parameter points, how many runs of each, checked.

An experiment is YAML with `name`, `scenario` (a path or a list of paths, relative to the file, or the
name of a shipped scenario),
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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.inputs.documents import Document, InputError, load_yaml
from sim.inputs.evidence import Evidence, load_evidence
from sim.inputs.limits import Cost
from sim.inputs.packaged import EVIDENCE
from sim.inputs.parameters import BY_NAME
from sim.inputs.scenario import Scenario, load_scenario, shipped
from sim.inputs.vocabulary import METHODS

if TYPE_CHECKING:
    from pydantic import BaseModel

    from sim.inputs.schema import Sample

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
    from sim.inputs.problems import check
    from sim.inputs.schema import ExperimentFile  # pydantic is loaded when a file is read: --help stays quick

    doc = load_yaml(path, "experiment")
    if "parameters" in doc.data and "sample" in doc.data:
        raise doc.error(("sample",), "give either 'parameters:' (a grid) or 'sample:' (a sampled design), not both")
    spec = check(doc, ExperimentFile)
    evidence = load_evidence(EVIDENCE)
    scenarios = _scenarios(doc, spec.scenario, evidence)
    method, values, ranges, n = "none", {}, {}, None
    if spec.parameters is not None:
        method, values = "grid", _grid(doc, _as_written(spec.parameters, doc.data["parameters"]), len(scenarios))
    elif spec.sample is not None:
        method, n, ranges = _sample_spec(doc, spec.sample)
        _check_design(doc, ("sample", "n"), design_size(method, n, len(ranges)) * len(scenarios), len(ranges))
        values = sample(method, n, ranges, spec.seed)
    return Experiment(
        name=spec.name.strip(),
        description=(spec.description or "").strip(),
        path=doc.path,
        sha256=hashlib.sha256(doc.path.read_bytes()).hexdigest(),
        evidence=evidence,
        scenarios=scenarios,
        runs=spec.runs,
        seed=spec.seed,
        method=method,
        values=values,
        ranges=ranges,
        n=n,
        store=spec.store,
        chunk_runs=spec.chunk_runs,
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


def _scenarios(doc: Document, listed: list[str], evidence: Evidence) -> list[Scenario]:
    found = []
    for i, entry in enumerate(listed):
        file = doc.path.parent / entry
        file = file if file.is_file() else shipped(entry) or file  # a bare name: a shipped scenario
        if not file.is_file():
            raise doc.error(
                doc.present(("scenario", i)),
                f"no such scenario file '{entry}' (paths are relative to {doc.path.parent})",
            )
        found.append(load_scenario(file, evidence))
    names = [s.name for s in found]
    if len(set(names)) != len(names):
        raise doc.error(("scenario",), "two entries name the same scenario; list each once")
    return found


def _grid(doc: Document, grid: dict[str, list[float]], scenarios: int) -> dict[str, np.ndarray]:
    """Every combination of the listed values, first parameter varying slowest."""
    if not grid:
        raise doc.error(("parameters",), "expected a mapping of parameter name to a list of values")
    points = int(np.prod([len(v) for v in grid.values()], dtype=object))
    _check_design(doc, ("parameters",), points * scenarios, len(grid))
    combos = np.array(list(itertools.product(*grid.values())), dtype=float)
    return {name: combos[:, i] for i, name in enumerate(grid)}


def _as_written(values: BaseModel, data: dict) -> dict:
    """The values given to a mapping of parameters, in the order the file gives them."""
    given = values.model_dump(exclude_unset=True)
    return {key: given[key] for key in data}


def _sample_spec(doc: Document, spec: Sample) -> tuple[str, int, dict[str, tuple[float, float]]]:
    n = spec.n
    if spec.method == "sobol" and n & (n - 1):
        raise doc.error(
            ("sample", "n"),
            f"a Sobol design needs n a power of 2, e.g. {1 << (n.bit_length() - 1)} or {1 << n.bit_length()}",
        )
    given = _as_written(spec.ranges, doc.data["sample"]["ranges"])
    if not given:
        raise doc.error(
            ("sample", "ranges"), "expected a mapping of parameter name to [low, high] (empty for its full range)"
        )
    bounds = {}
    for name, pair in given.items():
        low, high = pair or (BY_NAME[name].low, BY_NAME[name].high)
        if low >= high:
            raise doc.error(("sample", "ranges", name), f"low {low} must be below high {high}")
        bounds[name] = (low, high)
    return spec.method, n, bounds
