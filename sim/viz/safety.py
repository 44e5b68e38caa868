"""A panel that fails shows one line in its place and the rest of the page keeps working.

Every panel builds its picture through `guarded`, under the session's lock (so Play's thread never
steps the model while a panel reads it); a failure becomes one line on the page and one line on
the teacher's terminal, never a traceback or a file path.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable

from sim.viz.session import Session

#: A file path (absolute, or with a folder) inside a message: only its last part is kept.
PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/]?[\w.~-]+)*[\\/]([\w.-]+)")


def failure_line(exc: BaseException) -> str:
    """What went wrong in one line, without the file paths a traceback would show."""
    text = PATH.sub(r"\1", str(exc).strip().splitlines()[0]) if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def drawn(session: Session, panel: str, build: Callable[[], str]) -> str:
    """The HTML `build` makes from the session's models, read under its lock, or one line if it fails."""
    with session.lock:
        return guarded(panel, build)


def guarded(panel: str, build: Callable[[], str]) -> str:
    """The HTML `build` makes, or one line in its place if it fails (the caller holds the session's lock)."""
    try:
        return build()
    except Exception as exc:  # any failure in a panel: one line here and one on the terminal, nothing more
        line = failure_line(exc)
        print(f"alliance-sim viz: the {panel} could not be drawn: {line}", file=sys.stderr, flush=True)
        return (
            f'<div class="panel-failed" role="alert">The {html.escape(panel)} could not be drawn this month '
            f"({html.escape(line)}); the rest of the page still works.</div>"
        )
