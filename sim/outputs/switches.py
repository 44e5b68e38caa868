"""The analyst's questions about a run's folder, tallied chunk by chunk as the runs are simulated.

`switches.csv`: for each state, year-end and power, the share of runs in which that power leads, the share of
runs whose leading partner has changed from the one at the start at least once by then, and the median month
of that first change among those runs. `bloc_events.csv`: for each state and bloc it starts in, the share of
runs in which it has frozen its membership or left by each year-end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.inputs.geography import BLOCS
from sim.model.dynamics import FROZEN, LEFT, MEMBER
from sim.model.trajectories import Trajectories


def year_ends(dates: list[str]) -> list[int]:
    """The months the tables report: every December after the start, and the last month."""
    ends = [t for t, date in enumerate(dates) if t > 0 and date.endswith("-12")]
    return ends if ends and ends[-1] == len(dates) - 1 else [*ends, len(dates) - 1]


def first_month(happened: np.ndarray) -> np.ndarray:
    """The first month index along axis 1 where `happened` is true, or the number of months if never."""
    return np.where(happened.any(axis=1), happened.argmax(axis=1), happened.shape[1])


class Tally:
    """What switches.csv and bloc_events.csv need, added up over the chunks of runs."""

    def __init__(self) -> None:
        self.first_switch: list[np.ndarray] = []  # per chunk (R, S): month of the first change of leader
        self.leaders: list[np.ndarray] = []  # per chunk (R, Y, S): the leader at each year-end
        self.first_stop: list[np.ndarray] = []  # per chunk (R, K, S): month of the first freeze or exit
        self.first_exit: list[np.ndarray] = []  # per chunk (R, K, S): month of the first exit
        self.members: list[np.ndarray] = []  # per chunk (R, K, S): a member at the start
        self.labels: Trajectories | None = None

    def add(self, traj: Trajectories) -> None:
        self.labels = self.labels or traj
        leader = traj.dominant  # (R, T, S)
        self.first_switch.append(first_month(leader != leader[:, :1]))
        self.leaders.append(leader[:, year_ends(traj.dates)])
        if traj.participation is not None:
            standing = traj.participation  # (R, T, K, S)
            self.first_stop.append(first_month((standing == FROZEN) | (standing == LEFT)))
            self.first_exit.append(first_month(standing == LEFT))
            self.members.append(standing[:, 0] == MEMBER)

    def switches(self) -> pd.DataFrame:
        """One row per state, year-end and power: p_dominant, p_switched, median_first_switch."""
        traj = self._labels()
        ends = year_ends(traj.dates)
        first, leaders = np.concatenate(self.first_switch), np.concatenate(self.leaders)
        rows = []
        for s, state in enumerate(traj.states):
            for y, t in enumerate(ends):
                switched = first[:, s] <= t
                when = traj.dates[int(np.median(first[switched, s]))] if switched.any() else None
                for p, power in enumerate(traj.powers):
                    rows.append(
                        {
                            "state": state,
                            "date": traj.dates[t],
                            "power": power,
                            "p_dominant": float((leaders[:, y, s] == p).mean()),
                            "p_switched": float(switched.mean()),
                            "median_first_switch": when,
                        }
                    )
        return pd.DataFrame(rows)

    def bloc_events(self) -> pd.DataFrame | None:
        """One row per state, bloc it is a member of at the start (in some run) and year-end: p_frozen_or_left,
        p_left; None if the runs kept no bloc standings."""
        if not self.members:
            return None
        traj = self._labels()
        stop, left = np.concatenate(self.first_stop), np.concatenate(self.first_exit)
        members = np.concatenate(self.members)
        rows = []
        for s, state in enumerate(traj.states):
            for k, bloc in enumerate(BLOCS):
                if not members[:, k, s].any():
                    continue
                for t in year_ends(traj.dates):
                    rows.append(
                        {
                            "state": state,
                            "bloc": bloc,
                            "date": traj.dates[t],
                            "p_frozen_or_left": float((members[:, k, s] & (stop[:, k, s] <= t)).mean()),
                            "p_left": float((members[:, k, s] & (left[:, k, s] <= t)).mean()),
                        }
                    )
        return pd.DataFrame(rows, columns=["state", "bloc", "date", "p_frozen_or_left", "p_left"])

    def _labels(self) -> Trajectories:
        if self.labels is None:
            raise ValueError("no runs were added")
        return self.labels
