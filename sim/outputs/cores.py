"""Whether the machine has cores to spare now: what other processes used of its cores, measured.

The figures are drawn on forked workers only when each would have a core of its own. A one-minute load
average cannot tell: it counts this process's own recent work, so a second command run on an idle machine
found it busy. The cores' busy time (/proc/stat) less this process's own, over the time since it was last
asked, tells what the rest of the machine is doing.
"""

from __future__ import annotations

import os
import time
from typing import NamedTuple

#: Cores other processes may keep busy, on average, for a core to count as free.
SLACK = 0.5


class Reading(NamedTuple):
    """The machine's busy core-seconds since boot, this process's CPU seconds and the clock's, at one moment."""

    machine: float
    own: float
    clock: float


def reading() -> Reading | None:
    """The counters now, or None where the system has no /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle and waiting for input or output
    own = os.times()  # its threads, and its children once waited for (such as figure workers)
    spent = own.user + own.system + own.children_user + own.children_system
    return Reading((sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), spent, time.monotonic())


_last = reading()


def spare_cores(needed: int) -> bool:
    """Whether `needed` cores, this process's among them, are free: the other processes kept no more than the
    rest (less SLACK) busy since the last call (or since this module was loaded). Without /proc/stat, the last
    minute's load average, this process counted in it, decides."""
    global _last
    cores = os.cpu_count() or 1
    now, then = reading(), _last
    _last = now
    if now is None or then is None or now.clock - then.clock < 0.05:
        try:
            return os.getloadavg()[0] <= cores - needed + 1
        except OSError:  # no load average on this platform
            return True
    others = (now.machine - then.machine) - (now.own - then.own)
    return others / (now.clock - then.clock) <= cores - needed + SLACK
