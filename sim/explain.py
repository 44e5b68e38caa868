"""`alliance-sim explain` and `alliance-sim params`: where the numbers come from."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .evidence import EVIDENCE, PAIR_ATTRIBUTES, POWER_ATTRIBUTES, STATE_ATTRIBUTES, load_evidence
from .geography import STATES
from .inputs import InputError, suggest
from .parameters import PARAMETERS, defaults
from .scenario import load_scenario
from .world import prepare


def explain(state: str, scenario_path: Path) -> str:
    """A state's starting attributes (after the scenario's `initial:` changes), each with its evidence ids."""
    if state not in STATES:
        raise InputError(f"unknown state '{state}'{suggest(state, STATES)}")
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(scenario_path, evidence)
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
    events = [c for cs in setup.events.values() for c in cs if s in c.states]
    if events:
        lines.append("scenario events touching it:")
        lines += [f"  {c.date} {c.label} [{', '.join(c.evidence) or c.source}]" for c in events]
    return "\n".join(lines)


def _ids(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "prior (no entry)"


def parameter_table(scenario_path: Path | None, fmt: str) -> str:
    """Every tunable parameter: name, default (the fitted value, or the scenario's), range, meaning."""
    values = load_scenario(scenario_path).parameters if scenario_path else defaults()
    frame = pd.DataFrame(
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
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue()
    lines = [f"{'name':<24} {'default':>9} {'low':>7} {'high':>7}  description"]
    lines += [f"{r.name:<24} {r.default:>9.4g} {r.low:>7g} {r.high:>7g}  {r.description}" for r in frame.itertuples()]
    source = f"values used by {scenario_path}" if scenario_path else "defaults (fitted values: calibration/fitted.yaml)"
    return "\n".join([*lines, "", source]) + "\n"
