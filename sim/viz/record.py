"""What really happened: the public record's facts after the documents' end (calibration/hindcast.yaml),
each "met" or "missed" by the class's run, scored as `alliance-sim validate --hindcast` scores a run.

A fact is judged once the run has reached its last month; before the documents' end (PROJECTION) the
record shows nothing, since the model was built from the documents up to then.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass

from sim.experiments.validation import table
from sim.inputs.packaged import HINDCAST
from sim.inputs.sources import PROJECTION
from sim.inputs.targets import Target, load_targets
from sim.viz.teaching import TeachingModel, shared_evidence

MET, MISSED, LATER = "met", "missed", "not yet"


@dataclass(frozen=True)
class Fact:
    """One fact of the record and how this run fares on it: MET, MISSED, or LATER (its month not reached)."""

    target: Target
    verdict: str

    @property
    def month(self) -> str:
        return self.target.end


@functools.cache
def facts() -> tuple[Target, ...]:
    """The record's facts, read once per server through the project's loader."""
    return tuple(load_targets(HINDCAST, shared_evidence()))


def judged(model: TeachingModel) -> list[Fact]:
    """Every fact this run's states and powers can show, judged on the run so far; none before PROJECTION."""
    if model.date <= PROJECTION:
        return []
    fitting = [
        t for t in facts() if set(t.states) <= set(model.states) and {t.power, *t.over} - {None} <= set(model.powers)
    ]
    due = [t for t in fitting if t.end <= model.date]
    met = dict(zip(*table(model.trajectories(), due)[["target", "met"]].T.values, strict=True)) if due else {}
    return [Fact(t, LATER if t.id not in met else MET if met[t.id] else MISSED) for t in fitting]


def panel(found: list[Fact], date: str) -> str:
    """The facts as a list for the page: met and missed first, then those still to come."""
    if not found:
        return (
            f"<b>What really happened</b>: the model was built from documents up to {PROJECTION}; "
            f"play past it to compare this run with the record."
        )
    order = sorted(found, key=lambda f: (f.verdict == LATER, f.month))
    items = "".join(
        f'<li class="fact {f.verdict.replace(" ", "-")}"><b>{f.verdict}</b> ({html.escape(f.target.dates)}): '
        f"{html.escape(f.target.claim)}</li>"
        for f in order
    )
    done = sum(f.verdict != LATER for f in found)
    met = sum(f.verdict == MET for f in found)
    score = (
        f"this run meets {met} of the {done} facts due by {html.escape(date)}"
        if done
        else f"the first fact falls due in {min(f.month for f in found)}"
    )
    return f"<b>What really happened</b> (the public record after {PROJECTION}): {score}<ul>{items}</ul>"
