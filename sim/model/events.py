"""The event log: one record type for what happened in a run, whichever driver ran it.

Scheduled scenario events, a teacher's live actions and what the agents decided (appeals and their
answers, bloc freezes, exits and returns; source "model") are all logged as `LoggedEvent`s, with their kind
and whom they concern, and become the events table (events.csv) through `event_table`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from sim.inputs.geography import BLOC_LEADERS, BLOCS
from sim.inputs.scenario import Change
from sim.model import dynamics
from sim.model.world import Setup

#: Source of the events the agents' decisions make.
MODEL = "model"


#: What an event is: a dated change a scenario (or a teacher) writes in, or one of the agents' decisions.
SCHEDULED, APPEAL, FREEZE, EXIT, RETURN = "scheduled", "appeal", "freeze", "exit", "return"
#: A teacher's slider in the classroom: `attribute` names the lever, `power` the power it acts on.
LEVER = "lever"
#: Between the names in an event's `states`.
STATES_SEPARATOR = "; "


@dataclass
class LoggedEvent:
    """One event: when, what, and on whose word (a document, a teacher, or "model" for an agent's decision),
    with its kind and whom it concerns, so that nobody needs to read the label: `states` it touches, the
    `power` it acts on (an appeal's patron, a bloc's leader), the `bloc` of a freeze, exit or return and the
    `attribute` a scheduled change changes. `rows` are the positions in the batch of the runs it happened in
    (None: every run counted), which events_by_run spells out run by run; for an appeal, `answers` are the
    shares of the need met in those runs, in run order, which `answered` is the mean of."""

    date: str
    label: str
    source: str
    answered: float | None = None  # for an appeal: share of the need the patron met (mean over the runs)
    runs: int = 1  # how many of the simulated runs it happened in
    kind: str = SCHEDULED
    states: str = ""  # the states it touches, STATES_SEPARATOR between them
    power: str = ""
    bloc: str = ""
    attribute: str = ""  # for a scheduled change: the attribute it changes
    rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    answers: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def touched(self) -> list[str]:
        """The states it touches, by name: `states` split."""
        return [name for name in self.states.split(STATES_SEPARATOR) if name]


#: The events table's columns, in order.
EVENT_COLUMNS = [f.name for f in fields(LoggedEvent) if f.name not in ("rows", "answers")]
#: The columns that say which event a row is (the others count it).
EVENT_KEYS = ["date", "label", "source", "kind", "states", "power", "bloc", "attribute"]


def event_table(events: list[LoggedEvent]) -> pd.DataFrame:
    """One row per event, columns EVENT_COLUMNS (the table has them even when nothing happened); `answered` is a
    float column, empty (NaN) for what is not an appeal."""
    rows = [[getattr(event, c) for c in EVENT_COLUMNS] for event in events]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS).astype({"answered": float})


def combined(chunks: list[list[LoggedEvent]]) -> list[LoggedEvent]:
    """The logs of batches of consecutive runs as one log, as one batch of all of them would give it: an event
    logged in several batches once (by EVENT_KEYS, where it first came), in how many runs it happened added up,
    and an appeal's `answered` the mean of every run's answer, in run order (so the same to the last digit)."""
    merged: dict[tuple[object, ...], LoggedEvent] = {}
    answers: dict[tuple[object, ...], list[np.ndarray]] = {}
    for events in chunks:
        for event in events:
            key = tuple(getattr(event, name) for name in EVENT_KEYS)
            if key in merged:
                merged[key].runs += event.runs
            else:
                merged[key] = replace(event, rows=None)
            if event.answers is not None:
                answers.setdefault(key, []).append(event.answers)
    for key, parts in answers.items():
        event = merged[key]
        event.answers = np.concatenate(parts)
        event.answered = float(event.answers.mean())
    return list(merged.values())


#: The per-run table's columns (events_by_run): the run, then what events.csv says the event is.
OCCURRENCE_COLUMNS = ["run", "date", "kind", "states", "power", "bloc", "label"]


def occurrence_table(events: list[LoggedEvent], run_ids: np.ndarray) -> pd.DataFrame:
    """One row per run an event happened in, run by run in the order they were logged; `run_ids` are the
    counted runs of the batch, by position. Text columns are categorical, so a million rows stay small."""
    ids = np.asarray(run_ids)
    runs = [ids if event.rows is None else ids[event.rows] for event in events]
    counts = [len(r) for r in runs]
    frame = pd.DataFrame({"run": np.concatenate(runs) if runs else np.empty(0, dtype=ids.dtype)})
    for column in OCCURRENCE_COLUMNS[1:]:
        values = pd.Categorical([getattr(event, column) for event in events])
        frame[column] = pd.Categorical.from_codes(np.repeat(values.codes, counts), values.categories)
    return frame.sort_values("run", kind="stable", ignore_index=True)


def scheduled(setup: Setup, change: Change, date: str, runs: int = 1) -> LoggedEvent:
    """The record of a scheduled change (a scenario's event, or a teacher's): whom it touches and which power."""
    scenario = setup.scenario
    return LoggedEvent(
        date,
        change.label,
        change.source,
        runs=runs,
        states=STATES_SEPARATOR.join(scenario.states[i] for i in change.states),
        power="" if change.power is None else scenario.powers[change.power],
        attribute=change.attribute,
    )


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
            runs = np.flatnonzero(appeal.made & (appeal.patron == patron))
            label = f"{states[appeal.state]} appeals to {powers[patron]} for help"
            answers = appeal.answered[runs]
            client = states[appeal.state], powers[patron]
            records.append(
                LoggedEvent(
                    date, label, MODEL, float(answers.mean()), len(runs), APPEAL, *client, rows=runs, answers=answers
                )
            )
    verbs = {
        dynamics.FROZEN: (FREEZE, "freezes its {} membership"),
        dynamics.LEFT: (EXIT, "leaves the {}"),
        dynamics.MEMBER: (RETURN, "returns to the {}"),
    }
    changed = before != after  # (B,K,S)
    for state in range(len(states)):
        for k, bloc in enumerate(BLOCS):
            moved = changed[:, k, state]
            leader = BLOC_LEADERS[bloc] if BLOC_LEADERS[bloc] in powers else ""
            for status in np.unique(after[moved, k, state]):
                runs = np.flatnonzero(moved & (after[:, k, state] == status))
                kind, verb = verbs[int(status)]
                label = f"{states[state]} " + verb.format(bloc)
                member = states[state], leader, bloc
                records.append(LoggedEvent(date, label, MODEL, None, len(runs), kind, *member, rows=runs))
    return records
