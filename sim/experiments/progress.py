"""Progress of long work: on a terminal a tqdm bar with the rate and the time left; otherwise (a log, a pipe, a
batch job) a plain line on stderr every INTERVAL seconds, so that a log shows the work is alive and when it ends."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, Protocol, TextIO

from tqdm import tqdm

#: Seconds between two plain lines when stderr is not a terminal.
INTERVAL = 30.0


class Progress(Protocol):
    """What the long work calls: the bar or the plain lines."""

    def update(self, n: float = 1) -> object: ...

    def set_postfix(self, **values: Any) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Progress: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> object: ...


def progress(total: float | None, desc: str, unit: str = "point", **bar: Any) -> Progress:
    """A progress reporter for `total` units of work (None when not known): tqdm's bar on a terminal (with
    `bar`'s options), else `Lines`."""
    stream = sys.stderr
    if _is_terminal(stream):
        return Bar(total=total, desc=desc, unit=unit, leave=False, file=stream, **bar)
    return Lines(total, desc, unit, stream)


class Bar(tqdm):  # type: ignore[misc]
    """tqdm's bar without its monitor thread, which outlives every bar: a process with another thread draws its
    figures one after the other (`sim.outputs.plots.draw_all` forks its workers only when it has none)."""

    monitor_interval = 0


class Lines:
    """Plain progress lines on a stream, one every INTERVAL seconds and a last one when the work ends (if a line
    was written before and work was done since), each with the work done, the rate and the time left."""

    def __init__(self, total: float | None, desc: str, unit: str, stream: TextIO) -> None:
        self.total, self.desc, self.unit, self.stream = total, desc, unit, stream
        self.n = 0.0
        self.postfix = ""
        self.started = self.shown = time.monotonic()
        self.lines = 0
        self.shown_n = 0.0

    def update(self, n: float = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self.shown >= INTERVAL:
            self._line(now)

    def set_postfix(self, **values: Any) -> None:
        self.postfix = ", " + ", ".join(f"{key}={value}" for key, value in values.items()) if values else ""

    def close(self) -> None:
        if self.lines and self.n != self.shown_n:
            self._line(time.monotonic())

    def __enter__(self) -> Lines:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _line(self, now: float) -> None:
        self.shown, self.shown_n = now, self.n
        self.lines += 1
        elapsed = now - self.started
        rate = self.n / elapsed if elapsed > 0 else 0.0
        done = f"{self.n:,.0f}" + (f" of {self.total:,.0f}" if self.total else "") + f" {self.unit}s"
        if self.total:
            done += f" ({self.n / self.total:.0%})"
        left = f", {tqdm.format_interval((self.total - self.n) / rate)} left" if self.total and rate > 0 else ""
        print(
            f"{self.desc}: {done}, {rate:,.{1 if rate < 100 else 0}f} {self.unit}s/s, "
            f"{tqdm.format_interval(elapsed)} elapsed{left}{self.postfix}",
            file=self.stream,
            flush=True,
        )


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return False
