"""`alliance-sim explain` and `alliance-sim params`: where the numbers come from, and why powers act as they do."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from sim.inputs.documents import InputError, suggest
from sim.inputs.evidence import (
    ASSUMPTIONS_BY_ID,
    PAIR_ATTRIBUTES,
    POWER_ATTRIBUTES,
    STATE_ATTRIBUTES,
    Evidence,
    load_evidence,
)
from sim.inputs.geography import STATES
from sim.inputs.packaged import EVIDENCE
from sim.inputs.parameters import PARAMETERS, defaults
from sim.inputs.scenario import Change, Scenario, load_scenario
from sim.model import dynamics
from sim.model.world import prepare
from sim.outputs.results import spreadsheet_safe


def explain(name: str, scenario_path: Path, month: str | None = None, seed: int = 0) -> str:
    """A state's starting attributes with their evidence, or a power's allocation at a month with its reasons."""
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(scenario_path, evidence)
    if name in scenario.powers:
        return explain_power(name, scenario, evidence, month, seed)
    if name not in STATES:
        raise InputError(f"unknown state or power '{name}'{suggest(name, list(STATES) + scenario.powers)}")
    state = name
    if state not in scenario.states:
        raise InputError(f"{scenario_path}: the scenario leaves out {state}")
    setup = prepare(scenario, evidence)
    s = scenario.states.index(state)
    lines = [f"{state}: starting attributes in {scenario.name} ({scenario.date(0)}), derived from {EVIDENCE.name}", ""]
    shares = setup.base.alignment[0, s]
    for attribute in PAIR_ATTRIBUTES:
        lines.append(f"{attribute}:")
        for p, power in enumerate(scenario.powers):
            found = setup.provenance[(attribute, state, power)]
            value = shares[p] if attribute == "alignment" else getattr(setup.base, attribute)[0, s, p]
            note = " (share after normalising levels)" if attribute == "alignment" else ""
            lines.append(f"  {power:<8} {value:5.2f}{note}  <- {_ids(found.ids)}")
    for attribute in STATE_ATTRIBUTES:
        found = setup.provenance[(attribute, state, None)]
        lines.append(f"{attribute}: {getattr(setup.base, attribute)[0, s]:.2f}  <- {_ids(found.ids)}")
    lines.append("powers (shared by every state):")
    for attribute in POWER_ATTRIBUTES:
        for p, power in enumerate(scenario.powers):
            found = setup.provenance[(attribute, None, power)]
            lines.append(f"  {attribute} {power:<8} {getattr(setup.base, attribute)[0, p]:5.2f}  <- {_ids(found.ids)}")
    blocs = [b for b, idx in setup.members.items() if s in idx]
    lines.append(f"memberships: {', '.join(blocs) or 'none'}")
    touching: dict[tuple[str, str], list[Change]] = {}
    for changes in setup.events.values():
        for change in changes:
            if s in change.states:
                touching.setdefault((change.date, ", ".join(change.evidence) or change.source), []).append(change)
    if touching:
        lines.append("scenario events touching it (one line per dated event, with the attributes it changes):")
        for (date, cited), changes in touching.items():
            attributes = ", ".join(dict.fromkeys(c.attribute for c in changes))
            lines.append(f"  {date} {changes[0].label} ({attributes}) [{cited}]")
    return "\n".join(lines)


def explain_power(power: str, scenario: Scenario, evidence: Evidence, month: str | None, seed: int) -> str:
    """How a power spends its effort in a given month of one run (the Mesa model, run 0 of `seed`), and why:
    its interest in each state and what a unit of effort is worth there (gaining a contested state,
    defending a share that rivals push on)."""
    from sim.model.ensemble import run_seed
    from sim.model.model import AllianceModel

    dates = scenario.dates
    when = month or dates[-1]
    if when not in dates[1:]:
        raise InputError(f"month {when}: choose a month from {dates[1]} to {dates[-1]} (YYYY-MM)", ("month",))
    model = AllianceModel(scenario, rng=run_seed(seed, 0), evidence=evidence)
    while model.date != when:
        model.step()
    p = scenario.powers.index(power)
    before = model.snapshot
    share = before.alignment[0, :, p]
    rivals = dynamics.engagement(before)[0].sum(axis=-1) - dynamics.engagement(before)[0, :, p]
    gain = share * (1 - share)
    defend = model.params["rivalry_weight"] * share * rivals
    policy = "adaptive" if before.adaptive[0, p] else "scripted (fixed priorities)"
    budget = float(dynamics.outreach_budget(before, p)[0])
    lines = [
        f"{power} in {when} ({scenario.name}, run 0 of seed {seed}): policy {policy}, coercion propensity "
        f"{before.coercion_propensity[0, p]:.2f}",
        f"effort this month {budget:.3f} = budget {before.budget[0, p]:.2f} x capability {before.capability[0, p]:.2f}"
        f" x free capacity {before.free_capacity[0, p]:.2f} x total interest {before.interest[0, :, p].sum():.2f}",
        "",
        f"{'state':<13} {'interest':>8} {'its share':>9} {'gain':>6} {'defend':>7} {'allocation':>10} "
        f"{'effort':>7} {'pressure':>8}",
    ]
    for s, state in enumerate(scenario.states):
        lines.append(
            f"{state:<13} {before.interest[0, s, p]:>8.2f} {share[s]:>9.2f} {gain[s]:>6.3f} {defend[s]:>7.3f} "
            f"{model.world.allocation[0, s, p]:>10.1%} {model.world.outreach[0, s, p]:>7.3f} "
            f"{model.world.pressure[0, s, p]:>8.3f}"
        )
    lines += [
        "",
        "gain: share x (1 - share), what a unit of effort buys where a state is contested; defend: rivalry weight x",
        "share x rivals' engagement there. An adaptive power moves its allocation toward interest x (gain + defend),",
        f"closing {model.params['responsiveness']:.0%} of the gap a month, at most "
        f"{model.params['max_reallocation']:.0%} of its budget per state; pressure falls on states drifting away.",
    ]
    return "\n".join(lines)


def _ids(ids: list[str]) -> str:
    """Entry ids as they are; an assumption by its id and its reason."""
    named = [f"assumption {i} ({ASSUMPTIONS_BY_ID[i].reason})" if i in ASSUMPTIONS_BY_ID else i for i in ids]
    return ", ".join(named)


def parameters_frame(scenario: Scenario | None = None) -> pd.DataFrame:
    """Every tunable parameter, one row each: name, default (the value used: the fit's, or the scenario's), low
    and high (its plausible range) and description (its meaning)."""
    values = scenario.parameters if scenario is not None else defaults()
    return pd.DataFrame(
        [
            {
                "name": p.name,
                "default": values[p.name],
                "low": p.low,
                "high": p.high,
                "description": p.description,
            }
            for p in PARAMETERS
        ]
    )


def parameter_table(scenario_path: Path | None, fmt: str) -> str:
    """Every tunable parameter as `alliance-sim params` prints it: a table, or CSV."""
    frame = parameters_frame(load_scenario(scenario_path) if scenario_path else None)
    if fmt == "csv":
        buffer = io.StringIO()
        spreadsheet_safe(frame).to_csv(buffer, index=False)
        return buffer.getvalue()
    lines = [f"{'name':<24} {'default':>9} {'low':>7} {'high':>7}  description"]
    lines += [f"{r.name:<24} {r.default:>9.4g} {r.low:>7g} {r.high:>7g}  {r.description}" for r in frame.itertuples()]
    source = f"values used by {scenario_path}" if scenario_path else "defaults (fitted values: calibration/fitted.yaml)"
    return "\n".join([*lines, "", source]) + "\n"
