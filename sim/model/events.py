"""The event log: one record type for what happened in a run, whichever driver ran it.

Scheduled scenario events, a teacher's live actions and what the agents decided (appeals and their
answers, bloc freezes, exits and returns; source "model") are all logged as `LoggedEvent`s and
become the events table (events.csv) through `event_table`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from sim.inputs.geography import BLOCS
from sim.model import dynamics
from sim.model.world import Setup

#: Source of the events the agents' decisions make.
MODEL = "model"


@dataclass
class LoggedEvent:
    """One event: when, what, and on whose word (a document, a teacher, or "model" for an agent's decision)."""

    date: str
    label: str
    source: str
    answered: float | None = None  # for an appeal: share of the need the patron met (mean over the runs)
    runs: int = 1  # how many of the simulated runs it happened in


#: The events table's columns, in order.
EVENT_COLUMNS = [field.name for field in fields(LoggedEvent)]


def event_table(events: list[LoggedEvent]) -> pd.DataFrame:
    """One row per event, columns EVENT_COLUMNS (the table has them even when nothing happened)."""
    return pd.DataFrame([vars(event) for event in events], columns=EVENT_COLUMNS)


def decision_records(
    setup: Setup, date: str, appeals: list[dynamics.Appeal], before: np.ndarray, after: np.ndarray
) -> list[LoggedEvent]:
    """This month's emergent events (appeals and their answers, bloc freezes, exits and returns), one
    record per distinct event: in how many runs it happened and, for an appeal, the mean share of the
    need answered there."""
    states, powers = setup.scenario.states, setup.scenario.powers
    records = []
    for appeal in appeals:
        for patron in np.unique(appeal.patron[appeal.made]):
            runs = appeal.made & (appeal.patron == patron)
            label = f"{states[appeal.state]} appeals to {powers[patron]} for help"
            records.append(LoggedEvent(date, label, MODEL, float(appeal.answered[runs].mean()), int(runs.sum())))
    verbs = {
        dynamics.FROZEN: "freezes its {} membership",
        dynamics.LEFT: "leaves the {}",
        dynamics.MEMBER: "returns to the {}",
    }
    changed = before != after  # (B,K,S)
    for state in range(len(states)):
        for k, bloc in enumerate(BLOCS):
            moved = changed[:, k, state]
            for status in np.unique(after[moved, k, state]):
                runs = moved & (after[:, k, state] == status)
                label = f"{states[state]} " + verbs[int(status)].format(bloc)
                records.append(LoggedEvent(date, label, MODEL, runs=int(runs.sum())))
    return records
