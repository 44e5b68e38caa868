"""Ablation: what each of the agents' mechanisms changes, measured by toggling it alone.

A mechanism earns its place if the out-of-sample score is better with it, or the model misses a documented
fact without it (docs/ODD.md section 8). The same runs (same seeds, same draws of parameters and evidence)
are simulated as the scenario has them, and with each mechanism toggled: switched off where it is on, on
where it is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.posterior import Posterior
from sim.experiments.uncertainty import SOURCES, posterior_for, run_parameters
from sim.experiments.validation import FITTED_POINT, brier, probability, table
from sim.inputs.evidence import load_evidence
from sim.inputs.limits import Cost, cell_bytes, simulation_seconds
from sim.inputs.packaged import BASELINE, EVIDENCE, HINDCAST, TARGETS, reference
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import Target, check_fits, load_targets
from sim.model.ensemble import simulate
from sim.model.mechanisms import MECHANISMS, is_on, switch
from sim.model.trajectories import Trajectories
from sim.model.world import Setup, prepare
from sim.outputs.destination import RESULTS, default_folder
from sim.outputs.results import file_digest, scenario_record, write_table
from sim.outputs.writer import Folder, Invocation, write_results

#: The row of the model with every mechanism on.
FULL = "the model as it is"
#: The least fall of the out-of-sample Brier score that counts as an improvement: smaller differences are
#: within what another seed moves (the same runs are compared, so this is a paired difference).
BRIER_MARGIN = 0.01


def simulate_variant(
    setup: Setup, params: dict[str, Any], runs: int, seed: int, sources: tuple[str, ...], toggled: str | None = None
) -> Trajectories:
    """The runs `run` shows, from each run's drawn `params`, with one mechanism toggled: switched off where the
    scenario has it on, on where it has it off."""
    if toggled is not None:
        setup, params = switch(setup, params, toggled, on=not is_on(setup, params, toggled))
    return simulate(setup, np.arange(runs), seed, params, evidence_draws="evidence" in sources)


def ablation(
    setup: Setup,
    in_sample: list[Target],
    out_of_sample: list[Target],
    runs: int,
    seed: int,
    sources: tuple[str, ...],
    posterior: Posterior | None,
) -> pd.DataFrame:
    """One row for the model as it is and one per mechanism toggled (switched off where it is on, on where it is
    off): facts met and Brier score in and out of sample, the facts lost and gained against the model, and the
    largest change of a median share at the scenario's end."""
    params = run_parameters(setup, np.arange(runs), seed, sources, posterior)  # each run's draws, drawn once
    runs_by = {FULL: simulate_variant(setup, params, runs, seed, sources)}
    for name in MECHANISMS:
        runs_by[name] = simulate_variant(setup, params, runs, seed, sources, name)
    model = runs_by[FULL]
    facts = {"in": in_sample, "out": out_of_sample}
    met_model = {key: table(model, targets)["met"].to_numpy() for key, targets in facts.items()}
    end_model = np.median(model.alignment[:, -1], axis=0)
    rows = []
    for name, traj in runs_by.items():
        row: dict[str, Any] = {"mechanism": name, "in_model": True if name == FULL else is_on(setup, params, name)}
        row["variant"] = "as it is" if name == FULL else "switched off" if row["in_model"] else "switched on"
        for key, targets in facts.items():
            met = table(traj, targets)["met"].to_numpy()
            row[f"{key}_sample_met"] = int(met.sum())
            row[f"{key}_sample_facts"] = len(targets)
            row[f"{key}_sample_brier"] = float(brier(probability(traj, targets)).mean())
            pairs = list(zip(targets, met, met_model[key], strict=True))
            row[f"{key}_sample_lost"] = ", ".join(t.id for t, now, before in pairs if before and not now)
            row[f"{key}_sample_gained"] = ", ".join(t.id for t, now, before in pairs if now and not before)
        moved = np.abs(np.median(traj.alignment[:, -1], axis=0) - end_model)
        state, power = np.unravel_index(moved.argmax(), moved.shape)
        row["largest_end_change"] = float(moved.max())
        row["where"] = f"{traj.states[state]} {traj.powers[power]}" if name != FULL else ""
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


def verdict(frame: pd.DataFrame) -> dict[str, str]:
    """For each mechanism, whether it earns its place: with it the out-of-sample Brier score is lower by at least
    BRIER_MARGIN, or without it the model loses a documented (in-sample) fact."""
    model: Any = frame.iloc[0]  # a row of mixed columns: pandas-stubs types its fields as any scalar
    verdicts: dict[str, str] = {}
    row: Any
    for row in frame.iloc[1:].itertuples():
        with_it, without = (model, row) if row.in_model else (row, model)
        reasons = []
        if without.out_sample_brier - with_it.out_sample_brier >= BRIER_MARGIN:
            reasons.append(
                f"out-of-sample Brier {with_it.out_sample_brier:.3f} with it, {without.out_sample_brier:.3f} without"
            )
        lost = row.in_sample_lost if row.in_model else row.in_sample_gained
        if lost:
            reasons.append(f"without it the model misses {lost}")
        state = "on" if row.in_model else "off"
        verdicts[row.mechanism] = (
            f"{state}; earns its place: " + "; ".join(reasons) if reasons else f"{state}; does not earn its place"
        )
    return verdicts


def validate_ablation(
    scenario_path: Path | None,
    out: Path | None,
    runs: int = 100,
    seed: int = 1,
    fitted_point: bool = False,
    force: bool = False,
) -> tuple[pd.DataFrame, Path]:
    """`alliance-sim validate --ablation`: the ablation table of a scenario, scored on the documents' facts (in
    sample) and the public record after them (out of sample), written to ablation.csv with a manifest."""
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(Path(scenario_path or BASELINE), evidence)
    in_sample, out_of_sample = load_targets(TARGETS, evidence), load_targets(HINDCAST, evidence)
    label = None if out else scenario.name
    out = Path(out) if out else default_folder(scenario.name, RESULTS / "validation", "-ablation")
    targets = in_sample + out_of_sample
    S, P = len(scenario.states), len(scenario.powers)
    variants = 1 + len(MECHANISMS)
    cost = Cost(
        variants * runs * cell_bytes(scenario.months, S, P) + 300e6,
        1e6,
        simulation_seconds(variants * runs, scenario.months),
    )
    sources = FITTED_POINT if fitted_point else SOURCES
    done: list[pd.DataFrame] = []

    def write(stage: Path) -> dict[str, Any]:
        setup = prepare(scenario, evidence)
        done.append(ablation(setup, in_sample, out_of_sample, runs, seed, sources, posterior_for(scenario, sources)))
        write_table(done[0], stage / "ablation.csv", float_format="%.4f")
        return {
            **scenario_record(scenario, EVIDENCE),
            "seed": seed,
            "runs": runs,
            "uncertainty": list(sources),
            "targets_sha256": file_digest(TARGETS),
            "hindcast_sha256": file_digest(HINDCAST),
            "verdicts": verdict(done[0]),
        }

    reproduce = Invocation(
        "validate",
        (reference(scenario.path),),
        {"ablation": True, "runs": runs, "seed": seed, "fitted_point": fitted_point},
    )
    write_results(
        Folder(out, force, (scenario.path, TARGETS, HINDCAST), label),
        cost,
        f"an ablation with {runs:,} runs per mechanism",
        "use fewer runs",
        write,
        reproduce,
        settings=("runs",),
        before=lambda: check_fits(targets, scenario.name, scenario.states, scenario.powers, scenario.dates),
    )
    frame = done[0]
    return frame, out


def ablation_lines(frame: pd.DataFrame) -> list[str]:
    """What `validate --ablation` prints: each mechanism toggled beside the model, and its verdict."""
    lines = [
        f"{'mechanism':<20} {'variant':<13} {'in sample':>9} {'Brier':>6} {'out of sample':>13} {'Brier':>6}"
        f"  largest change at the end"
    ]
    row: Any
    for row in frame.itertuples():
        where = f"{row.largest_end_change:.3f} {row.where}" if row.where else ""
        lines.append(
            f"{row.mechanism:<20} {row.variant:<13} {f'{row.in_sample_met}/{row.in_sample_facts}':>9}"
            f" {row.in_sample_brier:6.3f} {f'{row.out_sample_met}/{row.out_sample_facts}':>13}"
            f" {row.out_sample_brier:6.3f}  {where}"
        )
    lines += [f"  {name}: {text}" for name, text in verdict(frame).items()]
    return lines
