"""The first simulation on a machine compiles the month on two processes (sim/model/cache.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from sim.inputs.packaged import BASELINE
from sim.inputs.scenario import load_scenario
from sim.model import cache, dynamics
from sim.model.ensemble import simulate
from sim.model.world import prepare

FIRST_CALL = f"""
import json
from sim.inputs.scenario import load_scenario
from sim.model import cache, dynamics
from sim.model.ensemble import simulate
from sim.model.world import prepare

cold = {{phase.act.__name__: cache.cached(phase.act) for phase in dynamics.MONTH}}
traj = simulate(prepare(load_scenario({str(BASELINE)!r})), 3, 5)
print(json.dumps({{
    "cold": cold,
    "loaded": {{phase.act.__name__: sum(phase.act.stats.cache_hits.values()) for phase in dynamics.MONTH}},
    "waiting": cache._aside is not None,
    "alignment": traj.alignment.tolist(),
}}))
"""


@pytest.mark.slow
def test_a_fresh_cache_is_filled_by_two_processes_and_gives_the_same_numbers(tmp_path):
    """With an empty compile cache, the powers' decisions and the world's motion are compiled by a second process
    while the first compiles the rest point: the first loads them from the cache, leaves no process waiting, and
    its runs are those of a process that found everything cached."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert not any(found["cold"].values()), "the cache was not empty"
    assert all(found["loaded"][name] >= 1 for name in cache.ASIDE), found["loaded"]
    assert not found["waiting"]
    warm = simulate(prepare(load_scenario(BASELINE)), 3, 5)
    np.testing.assert_array_equal(np.array(found["alignment"]), warm.alignment)


def test_a_cached_or_settled_month_starts_no_process(monkeypatch):
    """Where the rest point has been settled in this process, or numba's cache holds it, nothing is started."""
    started: list[object] = []
    monkeypatch.setattr(cache.subprocess, "Popen", lambda *args, **kwargs: started.append(args))
    prepare(load_scenario(BASELINE)).initial(1)
    assert dynamics.settle.signatures and cache.cached(dynamics.settle)
    cache.compile_phases_aside()
    assert started == [] and cache._aside is None


def test_the_process_started_to_compile_starts_no_other(monkeypatch, caplog):
    """`prepare` starts the compiling process on a cold cache, and that process prepares the baseline too: it must
    not start one of its own (each would start another until the cache filled)."""
    started: list[object] = []
    monkeypatch.setattr(cache.subprocess, "Popen", lambda *args, **kwargs: started.append(args) or object())
    monkeypatch.setattr(cache.atexit, "register", lambda *args: None)
    monkeypatch.setattr(cache, "cached", lambda function: False)  # a cold cache
    cold = SimpleNamespace(settle=SimpleNamespace(signatures=[]), MONTH=dynamics.MONTH)  # nothing settled here yet
    monkeypatch.setattr(cache, "dynamics", cold)
    monkeypatch.setattr(cache, "_aside", None)
    with caplog.at_level("INFO", logger="sim.model.cache"):
        cache.compile_phases_aside()
    assert len(started) == 1  # an ordinary process starts one, and says why the first run waits
    assert [record.getMessage() for record in caplog.records if "compiling the model" in record.getMessage()]
    caplog.clear()
    monkeypatch.setattr(cache, "_aside", None)
    monkeypatch.setattr(cache, "_compiling_aside", True)
    with caplog.at_level("INFO", logger="sim.model.cache"):
        cache.compile_phases_aside()
    assert len(started) == 1 and cache._aside is None and not caplog.records
    assert "cache._compiling_aside = True" in cache.ASIDE_CODE.split("prepare(")[0]
