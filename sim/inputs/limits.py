"""What a command will cost, estimated from its inputs before it starts, and refused when it will not fit.

Memory and disk are compared with what this machine has free now; time is only reported. Bytes come from
the shapes of the arrays the engine fills (one per stored series, plus the random draws), so a new series
or a longer scenario changes the estimate by itself.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sim.inputs.documents import InputError

#: Share of the memory available now a command may plan to use.
MEMORY_SHARE = 0.8
#: Arrays held per simulated cell (run x month x state x power): the five stored series (SERIES in
#: sim.model.trajectories) plus the shocks. A test keeps the two in step.
ARRAYS_PER_CELL = 6
#: Peak memory of simulating and writing a chunk, per byte of its simulated arrays (measured: the long
#: table built for writing is about as large again as the arrays).
WRITE_OVERHEAD = 3.0
#: Bytes on disk per long-form trajectory row (measured on the baseline: Parquet, CSV).
ROW_BYTES = {"parquet": 24, "csv": 110}
#: Seconds per run and month (measured on the 2-core development machine: ensemble engine, Mesa model).
SECONDS_PER_RUN_MONTH = {"ensemble": 5e-5, "mesa": 8e-4}
#: Memory a chunk of runs may take, and most runs in one chunk.
CHUNK_BYTES, CHUNK_RUNS = 400_000_000, 1000


@dataclass(frozen=True)
class Cost:
    """A command's estimated peak memory and disk (bytes) and wall time (seconds)."""

    memory: float
    disk: float
    seconds: float

    def check(self, out: Path | None, what: str, advice: str, settings: tuple[str, ...] = ()) -> None:
        """InputError naming the estimate and the limit if the memory or the disk will not suffice; `advice` is
        the fix and `settings` the arguments it is about."""
        memory = available_memory()
        if self.memory > MEMORY_SHARE * memory:
            raise InputError(
                f"{what} needs about {size(self.memory)} of memory{self._time()} but {size(MEMORY_SHARE * memory)} "
                f"can be used (80% of {size(memory)} available); {advice}",
                settings,
            )
        if out is not None:
            free = free_disk(out)
            if self.disk > free:
                raise InputError(
                    f"{out}: {what} needs about {size(self.disk)} of disk{self._time()} but {size(free)} is free "
                    f"there; {advice}",
                    settings,
                )

    def _time(self) -> str:
        return f" (and about {duration(self.seconds)} to run)" if self.seconds else ""


def cell_bytes(months: int, states: int, powers: int) -> int:
    """Bytes of the arrays one run fills in memory (float64, every month from the start)."""
    return ARRAYS_PER_CELL * (months + 1) * states * powers * 8


def chunk_runs(months: int, states: int, powers: int) -> int:
    """Runs simulated and written together so that a chunk stays within CHUNK_BYTES."""
    per_run = cell_bytes(months, states, powers) * WRITE_OVERHEAD
    return int(max(1, min(CHUNK_RUNS, CHUNK_BYTES // per_run)))


def simulation_seconds(runs: float, months: int, engine: str = "ensemble") -> float:
    return float(runs) * months * SECONDS_PER_RUN_MONTH[engine]


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux, else physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 40


def free_disk(path: Path) -> int:
    """Free bytes on the file system that holds `path` (or its nearest existing folder)."""
    existing = next((p for p in [Path(path).absolute(), *Path(path).absolute().parents] if p.exists()), Path("/"))
    try:
        return shutil.disk_usage(existing).free
    except OSError:
        return 0


def size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1000:
            return f"{count:.0f} {unit}"
        count /= 1000
    return f"{count:,.0f} PB"


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:,.0f} days"
