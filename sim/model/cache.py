"""The compiled code's disk cache, filled on two cores the first time.

numba compiles a function on its first call, one function at a time, and keeps it in a cache on disk that
later processes load. The first simulation after an install spent 13 s compiling: 4.4 s the rest point
(`dynamics.settle`), 6.6 s the month's phases. When none is cached, a second process, started as the
scenario is prepared, compiles the two dearest phases while this one compiles the rest point and the other two,
then loads those two from the cache.
"""

from __future__ import annotations

import atexit
import logging
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numba
import numpy as np

from sim.model import dynamics

#: The phases compiled aside: the powers' decisions and the world's motion, 4.9 of the phases' 6.6 s.
ASIDE = ("decide", "move")
#: Longest wait for the process compiling them; after it, this process compiles them itself.
WAIT_SECONDS = 120.0

#: What the second process runs: the phases compiled on the shipped baseline's start.
ASIDE_CODE = """
from sim.model import cache

cache._compiling_aside = True  # the process started to compile: it starts no other

from sim.inputs.packaged import BASELINE
from sim.inputs.scenario import load_scenario
from sim.model.world import prepare

setup = prepare(load_scenario(BASELINE))
cache.compile_phases(setup.base, setup.ties, setup.params, setup.scenario.instruments)
"""

_aside: subprocess.Popen[bytes] | None = None
_compiling_aside = False
log = logging.getLogger(__name__)


def cached(function: Callable[..., object]) -> bool:
    """Whether numba's disk cache holds compiled code of `function` for its source as it is now (read from
    numba's own index, which nothing public tells); True when it cannot tell, so that nothing is started."""
    try:
        return bool(function._cache._cache_file._load_index())  # type: ignore[attr-defined]
    except Exception:  # not compiled by numba (NUMBA_DISABLE_JIT), or another numba: compile where called
        return True


def compile_phases_aside() -> None:
    """Start a process compiling the ASIDE phases into the cache, if the rest point and the phases are not
    cached yet and no such process is running."""
    global _aside
    if _compiling_aside or _aside is not None or getattr(dynamics.settle, "signatures", True):
        return  # this is the process started, or one is running, or the start was settled here before
    if cached(dynamics.settle) or all(cached(phase.act) for phase in dynamics.MONTH):
        return
    log.info("compiling the model for this machine, once (about 10 s on two cores; later runs load it)")
    try:
        _aside = subprocess.Popen(
            [sys.executable, "-c", ASIDE_CODE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:  # no interpreter to start: compile here, one function after the other
        return
    atexit.register(_stop, _aside)


def phases_compiled(
    start: dynamics.World, ties: dynamics.Ties, params: Mapping[str, Any], instruments: np.ndarray
) -> None:
    """If a process was started to compile phases, compile the others here (for a month of this start, ties,
    parameters and instruments: see `compile_phases`), then wait for it, at most WAIT_SECONDS."""
    global _aside
    aside, _aside = _aside, None
    if aside is None:
        return
    others = [phase.act.__name__ for phase in dynamics.MONTH if phase.act.__name__ not in ASIDE]
    compile_phases(start, ties, params, instruments, others)
    try:
        aside.wait(WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        _stop(aside)


def compile_phases(
    start: dynamics.World,
    ties: dynamics.Ties,
    params: Mapping[str, Any],
    instruments: np.ndarray,
    names: Sequence[str] = ASIDE,
) -> None:
    """Compile the phases `names` for the types of a month from `start` (a scenario's start, not settled, so that
    the rest point is left to the process that asked), without running them."""
    month = dynamics.month_of(start, ties, params, instruments=instruments, draws=np.zeros(start.alignment.shape))
    for phase in dynamics.MONTH:
        if phase.act.__name__ in names:
            arguments = (month, dynamics.everyone(month, phase.actors))
            types = tuple(numba.typeof(argument) for argument in arguments)  # type: ignore[no-untyped-call]
            phase.act.compile(types)  # type: ignore[attr-defined]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
