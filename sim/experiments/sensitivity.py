"""`alliance-sim sensitivity`: which global parameters move the outcomes (Morris screening or Sobol indices).

Every sample point SALib draws is simulated as several replicates, all points in a few ensemble
calls (one parameter value per run); the replicates are averaged per point. The seed's own
variance (spread across replicates at fixed parameters) is reported beside the indices, so an
index can be told apart from noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.inputs.documents import InputError, suggest

METHODS = ("morris", "sobol")
#: Grid levels of the Morris design.
LEVELS = 4
#: Most runs simulated in one call (bounds memory; any chunking gives the same numbers).
CHUNK = 1000


def analyse(
    scenario_path: Path,
    method: str,
    samples: int,
    runs: int,
    seed: int,
    out: Path | None,
    names: list[str],
    power: str = "Russia",
    force: bool = False,
):
    """Sample the parameters, simulate every point's replicates, write indices.csv and the ranking plots."""
    import numpy as np
    import pandas as pd

    from sim.inputs.evidence import load_evidence
    from sim.inputs.packaged import EVIDENCE, reference
    from sim.inputs.parameters import BY_NAME
    from sim.inputs.scenario import load_scenario
    from sim.model.world import prepare
    from sim.outputs.destination import RESULTS, default_folder
    from sim.outputs.results import scenario_record, write_table
    from sim.outputs.writer import Folder, Invocation, write_results

    if method not in METHODS:
        raise InputError(f"unknown method '{method}'{suggest(method, METHODS)}", ("method",))
    if method == "sobol" and samples & (samples - 1):
        raise InputError(
            f"samples {samples}: Sobol sampling needs a power of 2, e.g. {1 << samples.bit_length()}", ("samples",)
        )
    if method == "morris" and samples < 2:
        raise InputError("samples: Morris screening needs at least 2 trajectories", ("samples",))
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(scenario_path, evidence)
    if power not in scenario.powers:
        raise InputError(
            f"power '{power}' is not in scenario '{scenario.name}'{suggest(power, scenario.powers)}", ("power",)
        )
    label = None if out else scenario.name  # a default folder must not hold another scenario's analysis
    out = Path(out) if out else default_folder(scenario.name, RESULTS / "sensitivity", f"-{method}")
    points = samples * (len(names) + (1 if method == "morris" else 2))
    problem = {"num_vars": len(names), "names": names, "bounds": [[BY_NAME[n].low, BY_NAME[n].high] for n in names]}
    found: dict[str, pd.DataFrame] = {}

    def write(stage: Path) -> dict:
        design = _sample(problem, method, samples, seed)
        outcomes, replicate_variance = _simulate(prepare(scenario, evidence), design, names, runs, seed, power)
        rows = []
        for outcome, values in outcomes.items():
            indices = _analyse(problem, method, design, values, seed)
            noise = replicate_variance[outcome] / runs  # variance the seed leaves in a point's average
            for i, name in enumerate(names):
                rows.append(
                    {
                        "outcome": outcome,
                        "parameter": name,
                        **{k: float(v[i]) for k, v in indices.items()},
                        "output_variance": float(values.var(ddof=1)),
                        "seed_variance": noise,
                        "seed_share": noise / values.var(ddof=1) if values.var(ddof=1) > 0 else np.nan,
                    }
                )
        found["indices"] = pd.DataFrame(rows)
        write_table(found["indices"], stage / "indices.csv")
        write_table(pd.DataFrame(design, columns=names).assign(**outcomes), stage / "samples.csv")
        where = f"{scenario.name}, final month {scenario.date(scenario.months)}"
        _ranking(found["indices"], method, runs, stage / "ranking.png", where, power)
        return {
            **scenario_record(scenario, EVIDENCE),
            "method": method,
            "samples": samples,
            "points": len(design),
            "runs_per_point": runs,
            "seed": seed,
            "varied": names,
            "outcome_power": power,
        }

    reproduce = Invocation(
        "sensitivity",
        (reference(scenario.path),),
        {"method": method, "samples": samples, "runs": runs, "seed": seed, "parameters": names, "power": power},
    )
    write_results(
        Folder(out, force, (Path(scenario_path),), label),
        _cost(scenario, points, runs),
        f"{method} with {points:,} points x {runs} runs",
        "use fewer samples",
        write,
        reproduce,
        settings=("samples",),
    )
    return found["indices"], out


def _cost(scenario, points: int, runs: int):
    """Memory of a chunk of runs and of every point's final shares, disk of the samples table, and time."""
    from sim.inputs.limits import WRITE_OVERHEAD, Cost, cell_bytes, simulation_seconds

    S, P = len(scenario.states), len(scenario.powers)
    chunk = min(CHUNK, points * runs) * cell_bytes(scenario.months, S, P) * WRITE_OVERHEAD
    finals = points * runs * S * P * 8 * 3
    disk = points * (S + 20) * 20
    return Cost(chunk + finals + 300e6, disk, simulation_seconds(points * runs, scenario.months))


def _sample(problem: dict[str, Any], method: str, samples: int, seed: int):
    from SALib.sample import morris, sobol

    if method == "morris":
        return morris.sample(problem, samples, num_levels=LEVELS, seed=seed)
    return sobol.sample(problem, samples, calc_second_order=False, seed=seed)


def _simulate(setup, design, names: list[str], runs: int, seed: int, power: str):
    """Per outcome: the replicate mean at each design point (N,), and the mean variance across replicates."""
    import numpy as np

    from sim.experiments.points import simulate_points
    from sim.experiments.progress import progress
    from sim.model.trajectories import hedging_index

    scenario = setup.scenario
    p = scenario.powers.index(power)
    values = dict(zip(names, design.T, strict=True))

    def final_shares(traj, points: int):
        return traj.alignment[:, -1].reshape(points, runs, *traj.alignment.shape[2:])

    with progress(len(design), "sensitivity") as bar:
        last = [scenario.months]  # the runs' end is all it reads
        finals = simulate_points(
            setup, scenario.parameters, values, runs, seed, final_shares, CHUNK, bar.update, kept=last
        )
    final = np.concatenate(finals)  # (N, runs, S, P)
    per_run = {f"{power} share {state}": final[:, :, s, p] for s, state in enumerate(scenario.states)}
    per_run[f"mean {power} share"] = final[..., p].mean(axis=2)
    per_run["mean hedging"] = hedging_index(final).mean(axis=2)
    means = {k: v.mean(axis=1) for k, v in per_run.items()}
    spread = {k: float(v.var(axis=1, ddof=1).mean()) if runs > 1 else float("nan") for k, v in per_run.items()}
    return means, spread


def _analyse(problem: dict[str, Any], method: str, design, values, seed: int) -> dict[str, Any]:
    from SALib.analyze import morris, sobol

    if method == "morris":
        found = morris.analyze(problem, design, values, num_levels=LEVELS, seed=seed)
        return {k: found[k] for k in ("mu_star", "mu_star_conf", "sigma", "mu")}
    # SALib's Sobol analysis ignores a falsy seed (its bootstrap then draws unseeded): never pass 0
    found = sobol.analyze(problem, values, calc_second_order=False, seed=seed + 1)
    return {k: found[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}


def _ranking(indices, method: str, runs: int, path: Path, where: str, power: str) -> Path:
    """Ranked bars for mean hedging and for the mean final share, with the seed's noise level marked."""
    import numpy as np
    from matplotlib.figure import Figure

    from sim.outputs.plots import plain

    key, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    outcomes = ("mean hedging", f"mean {power} share")
    n = indices["parameter"].nunique()
    fig = Figure(figsize=(13, 0.38 * n + 2.2), layout="constrained")
    for ax, outcome in zip(fig.subplots(1, 2), outcomes, strict=True):
        part = indices[indices["outcome"] == outcome].sort_values(key)
        y = np.arange(len(part))
        ax.barh(y, part[key], xerr=part[conf].clip(lower=0), color="#0072B2", height=0.65, capsize=2)
        ax.set_yticks(y, part["parameter"], fontsize=9)
        noise = _noise_level(part, method)
        if np.isfinite(noise):
            ax.axvline(
                noise,
                color="#D55E00",
                ls="--",
                lw=1.4,
                label="seed noise level" if method == "morris" else "seed's share of variance",
            )
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel("mu* (mean |elementary effect|)" if method == "morris" else "total-order index ST")
        ax.set_title(outcome, fontsize=11)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(plain(f"{method} sensitivity: {where}; {runs} replicates averaged per point"), fontsize=12)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _noise_level(part, method: str) -> float:
    """Where noise alone would put the index: for Morris the spread of an elementary effect made of two
    independently noisy averages, sqrt(2 x seed variance) / delta (an upper bound: the points share their
    random streams, which cancels part of the noise); for Sobol the seed's share of the output variance."""
    import numpy as np

    seed_variance = float(part["seed_variance"].iloc[0])
    if method == "morris":
        return float(np.sqrt(2 * seed_variance) / (LEVELS / (2 * (LEVELS - 1))))
    return float(part["seed_share"].iloc[0])
