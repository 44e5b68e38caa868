"""Which events are behind a state's largest move: each event is removed in turn from the same runs, and
the share of the move it accounts for is what the move loses without it.

Since the start is a rest point, a move that no event accounts for is the agents' own doing or noise; a
large one would be a defect of the model (docs/ODD.md section 5).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sim.experiments.posterior import Posterior
from sim.experiments.uncertainty import SOURCES, posterior_for, simulate_uncertain
from sim.inputs.documents import InputError, suggest
from sim.inputs.evidence import load_evidence
from sim.inputs.packaged import EVIDENCE
from sim.inputs.scenario import load_scenario
from sim.model.world import Setup, prepare

#: Months over which a move is measured.
WINDOW = 12
#: Events listed behind a move, at most.
SHOWN = 3


@dataclass(frozen=True)
class Move:
    """A state's largest move of a median share over WINDOW months, and the events behind it."""

    state: str
    power: str
    start: str
    end: str
    change: float  # of the median share over runs
    causes: tuple[tuple[str, str, float], ...]  # (date, label, the part of the change it accounts for), largest first

    @property
    def explained(self) -> float:
        """The part of the change its largest cause accounts for, as a share of the change."""
        return self.causes[0][2] / self.change if self.causes and self.change else 0.0


def largest_moves(
    setup: Setup, runs: int, seed: int, sources: tuple[str, ...], posterior: Posterior | None
) -> list[Move]:
    """For every state, its largest WINDOW-month move of a median share, with the events that account for it
    (each event's part: the move with every event, less the move without that one, in the same runs)."""
    median = np.median(simulate_uncertain(setup, runs, seed, sources, posterior).alignment, axis=0)  # (T,S,P)
    moves = median[WINDOW:] - median[:-WINDOW]  # (T-W,S,P)
    events = removable(setup)
    without = [
        np.median(simulate_uncertain(without_event(setup, event), runs, seed, sources, posterior).alignment, axis=0)
        for event in events
    ]
    scenario = setup.scenario
    named = [(setup.events[month][i].date, setup.events[month][i].label) for month, i in events]
    found = []
    for s, state in enumerate(scenario.states):
        t, p = np.unravel_index(np.abs(moves[:, s]).argmax(), moves[:, s].shape)
        change = float(moves[t, s, p])
        others = [float(other[t + WINDOW, s, p] - other[t, s, p]) for other in without]
        causes = event_parts(change, others, named)
        found.append(
            Move(state, scenario.powers[p], scenario.date(t), scenario.date(t + WINDOW), change, tuple(causes[:SHOWN]))
        )
    return found


def removable(setup: Setup) -> list[tuple[int, int]]:
    """Every scheduled change of the scenario as (month, its place in that month's list), in order."""
    return [(month, i) for month in sorted(setup.events) for i in range(len(setup.events[month]))]


def without_event(setup: Setup, event: tuple[int, int]) -> Setup:
    """The setup with one scheduled change (as `removable` names it) left out."""
    return replace(
        setup, events={m: [c for j, c in enumerate(cs) if (m, j) != event] for m, cs in setup.events.items()}
    )


def event_parts(change: float, without: list[float], events: list[tuple[str, str]]) -> list[tuple[str, str, float]]:
    """Each event's part of a change: the change with every event less the change without that one (`without`,
    in the same order as `events`, each (date, label)); those that push the same way as the change, largest
    first."""
    parts = [
        (date, label, change - other)
        for (date, label), other in zip(events, without, strict=True)
        if (change - other) * change > 0
    ]
    return sorted(parts, key=lambda cause: -abs(cause[2]))


def move_lines(moves: list[Move]) -> list[str]:
    """The moves as lines for the terminal: each state's largest move and the events behind it."""
    lines = [f"largest {WINDOW}-month move of each state's median share, and the events behind it"]
    for move in moves:
        lines.append(f"{move.state}: {move.power} {move.change:+.3f} from {move.start} to {move.end}")
        if not move.causes:
            lines.append("  no event accounts for it")
        for date, label, part in move.causes:
            lines.append(f"  {part:+.3f} {date} {label}")
    return lines


def explain_moves(name: str, scenario_path: Path, runs: int = 100, seed: int = 0) -> str:
    """`alliance-sim explain STATE --moves`: the state's (or, for "all", every state's) largest move in the
    runs `run` shows, with the events behind it."""
    evidence = load_evidence(EVIDENCE)
    scenario = load_scenario(scenario_path, evidence)
    if name != "all" and name not in scenario.states:
        raise InputError(f"moves: unknown state '{name}'{suggest(name, scenario.states)} (or 'all')", ("moves",))
    setup = prepare(scenario, evidence)
    moves = largest_moves(setup, runs, seed, SOURCES, posterior_for(scenario, SOURCES))
    return "\n".join(move_lines([m for m in moves if name in ("all", m.state)]))
