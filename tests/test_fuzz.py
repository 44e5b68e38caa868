"""Fuzzing the inputs: the shipped scenarios and experiment examples, mutated (wrong types, non-finite and
huge numbers, odd strings, missing and duplicated keys), must give exit 2 with one line, or a valid result;
never a traceback, and nothing written outside the chosen folder.

The files are read from scenarios/ and experiments/ when the tests run, so the suite follows their schema.
Commands run in-process with one or two runs; the whole file takes well under two minutes.
"""

from __future__ import annotations

import copy
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import ROOT, cli_in_process
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sim.experiments import request as runner
from sim.outputs.destination import STAGING, is_manifest, is_staging, read_json, remove_stale

#: The shipped files, read once: every example starts from the same text.
SCENARIOS = {p.name: p.read_text() for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
EXPERIMENTS = {p.name: p.read_text() for p in sorted((ROOT / "experiments").glob("*.yaml"))}
ODD_VALUES = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e300,
    10**30,
    -1,
    0,
    True,
    None,
    "",
    "   ",
    "$x^$ \\frac{",
    "<script>alert(1)</script>",
    "../../outside",
    "/",
    ".",
    "é" * 300,
    "2021-13",
    [],
    [1, "two", None],
    {},
    {"a": {"b": 1}},
    # plausible values, so that some mutants are valid and run
    0.5,
    0.0,
    "2022-06",
    "Kazakhstan",
    "all",
]
pytestmark = pytest.mark.slow  # hundreds of CLI calls: minutes

#: Bounded for CI: a fixed set of examples, and no shrinking (each example is one CLI call; the failing
#: document is printed whole).
ODD_KEYS = ["na\nme", "$x$", "<b>", "", "é" * 100, "12"]
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)),
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def places(data, path: tuple = ()) -> list[tuple]:
    """Every key path into parsed YAML (mapping keys and list indexes)."""
    found = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += places(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += places(value, path + (index,))
    return found


def mutate(data, path: tuple, how: str, value) -> None:
    """Replace, delete, wrap or rename (an odd key) the value at `path`."""
    *parents, last = path
    holder = data
    for key in parents:
        holder = holder[key]
    if how == "delete":
        del holder[last]
    elif how == "wrap":
        holder[last] = [holder[last]]
    elif how == "rename" and isinstance(holder, dict):
        holder[ODD_KEYS[len(str(value)) % len(ODD_KEYS)]] = holder.pop(last)
    else:
        holder[last] = copy.deepcopy(value)  # later mutations must not reach the shared list of values


@st.composite
def documents(draw, files: dict[str, str], prepare) -> tuple[str, str]:
    """A shipped file (name and YAML text) with one to three mutations, maybe a duplicated key."""
    name = draw(st.sampled_from(sorted(files)))
    data = prepare(yaml.safe_load(files[name]))
    for _ in range(draw(st.integers(1, 3))):
        where = places(data)
        if not where:
            break
        path = draw(st.sampled_from(where))
        how = draw(st.sampled_from(["replace", "replace", "replace", "delete", "wrap", "rename"]))
        mutate(data, path, how, draw(st.sampled_from(ODD_VALUES)))
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()) and isinstance(data, dict) and data:
        key = draw(st.sampled_from(list(data)))
        text += yaml.safe_dump({key: draw(st.sampled_from(ODD_VALUES))})  # the same key twice
    return name, text


def shorten_scenario(data):
    """Shipped scenarios with parents named by absolute path (the mutant lives elsewhere)."""
    if isinstance(data, dict) and isinstance(data.get("extends"), str):
        data["extends"] = str(ROOT / "scenarios" / data["extends"])
    return data


def shorten_experiment(data):
    """Experiment examples made tiny: two runs a point, a handful of points, scenarios by absolute path."""
    if not isinstance(data, dict):
        return data
    data["runs"] = 2
    listed = data.get("scenario")
    data["scenario"] = (
        [str((ROOT / "experiments" / s).resolve()) for s in listed][:1]
        if isinstance(listed, list)
        else str((ROOT / "experiments" / listed).resolve())
    )
    if isinstance(data.get("sample"), dict):
        data["sample"]["n"] = 2
    return data


def check(folder: Path, name: str, text: str, command: list[str], produced: str) -> None:
    """Run `command` on the mutant and hold the result to the contract."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    path = folder / name
    path.write_text(text, encoding="utf-8")
    out = folder / "out"
    here = sorted(os.listdir())
    code, _, err = cli_in_process(*command[:1], path, *command[1:], "--out", out)
    assert sorted(os.listdir()) == here, "something written in the working directory"
    event(f"exit {code}")  # shown by --hypothesis-show-statistics
    assert "Traceback" not in err, err
    assert {p.name for p in folder.iterdir()} <= {name, "out"}, "something written beside --out"
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert not out.exists() or not any(out.iterdir()), "a refused command left output"
        return
    assert code == 0, (code, err)
    assert (out / "manifest.json").is_file()
    alignment = pd.read_parquet(out / produced)["alignment" if "traj" in produced else "hedging"].to_numpy()
    assert len(alignment) and np.isfinite(alignment).all()


@SETTINGS
@given(documents(SCENARIOS, shorten_scenario))
def test_mutated_scenarios(tmp_path_factory, mutant):
    name, text = mutant
    folder = tmp_path_factory.getbasetemp() / "fuzz-scenario"
    check(folder, name, text, ["run", "--runs", "1"], "trajectories.parquet")


@settings(SETTINGS, max_examples=20)
@given(documents(EXPERIMENTS, shorten_experiment))
def test_mutated_experiments(tmp_path_factory, mutant):
    name, text = mutant
    folder = tmp_path_factory.getbasetemp() / "fuzz-experiment"
    check(folder, name, text, ["batch", "--workers", "1"], "outcomes.parquet")


class OneFolder(RuleBasedStateMachine):
    """Runs, comparisons, a user's own files and clean-up interleaved on one output folder, as a careless user
    and a second writer would: no user file is ever lost, and no staging is left behind."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="alliance-sim-one-folder-"))
        self.out = self.root / "out"
        self.scenario = self.root / "s.yaml"
        self.scenario.write_text("name: s\nstart: 2021-01\nend: 2021-04\n")
        self.user: dict[Path, str] = {}
        self.made = 0
        self.killed: set[int] = set()

    def _user_file(self, path: Path) -> None:
        self.made += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"user file {self.made}")
        self.user[path] = f"user file {self.made}"

    def _ours(self) -> bool:
        return is_manifest(read_json(self.out / "manifest.json"))

    def _command(self, *argv) -> int:
        code, _, err = cli_in_process(*argv)
        assert "Traceback" not in err, err
        assert code in (0, 2) and (code == 0 or len(err.strip().splitlines()) == 1), (code, err)
        return code

    def _inputs(self, name: str) -> Path:
        folder = self.root / name
        if not (folder / "manifest.json").is_file():
            assert self._command("run", self.scenario, "--runs", 2, "--seed", len(name), "--out", folder) == 0
        return folder

    @rule(force=st.booleans())
    def run(self, force: bool) -> None:
        self._command("run", self.scenario, "--runs", 2, "--out", self.out, *(["--force"] if force else []))

    @rule(force=st.booleans())
    def compare(self, force: bool) -> None:
        a, b = self._inputs("a"), self._inputs("b")
        self._command("compare", a, b, "--out", self.out, *(["--force"] if force else []))

    @rule(force=st.booleans(), name=st.sampled_from(["chapter1.tex", "plots/mine.png", ".hidden"]))
    def run_while_the_user_writes(self, force: bool, name: str) -> None:
        original = runner.write_plots

        def user_writes(*args, **kwargs):
            self._user_file(self.out / name)
            return original(*args, **kwargs)

        with mock.patch.object(runner, "write_plots", user_writes):
            code = self._command("run", self.scenario, "--runs", 2, "--out", self.out, *(["--force"] if force else []))
        assert code == 2, "a file that appeared during the run was replaced"
        self._rescue()

    @rule(name=st.sampled_from([".out.old-999999999-0123abcd", ".out.stage-1-89abcdef", ".out.tmp-999999999-00000000"]))
    def user_file_named_like_staging(self, name: str) -> None:
        self._user_file(self.root / name / "inside.txt" if name.endswith("ef") else self.root / name)

    @precondition(lambda self: not self.out.exists())
    @rule()
    def user_makes_the_folder(self) -> None:
        self._user_file(self.out / "notes.txt")

    @rule(force=st.booleans())
    def killed_run(self, force: bool) -> None:
        """A run killed (SIGKILL) while it writes: what it leaves is cleaned up later, and nothing else."""
        argv = ["run", str(self.scenario), "--runs", "5000", "--out", str(self.out), *(["--force"] if force else [])]
        process = subprocess.Popen(
            [sys.executable, "-m", "sim", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            if any(is_staging(p) for p in self.root.iterdir()):
                break
            time.sleep(0.02)
        process.kill()
        _, err = process.communicate(timeout=30)
        assert "Traceback" not in err, err
        self.killed.add(process.pid)

    @rule()
    def clean_up(self) -> None:
        remove_stale(self.root)
        remove_stale(self.root, any_process=True)

    def _rescue(self) -> None:
        """The user reads the error and moves their file out of a results folder (--force would replace it)."""
        if self._ours():
            for path in [p for p in self.user if self.out in p.parents]:
                self.user[self.root / f"rescued-{path.name}"] = self.user.pop(path)
                path.rename(self.root / f"rescued-{path.name}")

    @invariant()
    def no_user_file_is_lost(self) -> None:
        for path, content in self.user.items():
            assert path.is_file() and path.read_text() == content, path

    @invariant()
    def no_staging_is_left(self) -> None:
        """Staging is left only by a killed process, until the next command or clean-up removes it."""
        left = [p for p in self.root.iterdir() if is_staging(p)]
        assert all(int(STAGING.match(p.name)["pid"]) in self.killed for p in left), left

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


OneFolder.TestCase.settings = settings(
    max_examples=int(os.environ.get("STATEFUL_EXAMPLES", 4)),
    stateful_step_count=6,
    deadline=None,
    derandomize=True,
    database=None,
)
test_one_folder_never_loses_a_user_file = OneFolder.TestCase


ODD_ARGUMENTS = [None, True, 0, -1, 1.5, "", "text", "a\0b", b"bytes", [], ["x"], {}, math.nan, np.int64(2), 10**30]


@st.composite
def api_arguments(draw, scenario: Path) -> dict:
    """Arguments of sim.simulate as a notebook user might pass them: valid ones, and about one in eight wrong
    (a near miss of the right type, or a value of another type)."""

    def one(valid: list, wrong: list):
        return draw(st.sampled_from([*wrong, *ODD_ARGUMENTS] if draw(st.integers(0, 7)) == 0 else valid))

    arguments = {
        "scenario": one([str(scenario), scenario], ["basline", folder_with_nul]),
        "runs": one([1, 2, np.int32(2)], [0, 2.5, "2"]),
        "seed": one([0, 7, np.uint64(3)], [-1, "7"]),
        "engine": one(["ensemble", "mesa"], ["fast", "Mesa"]),
        "uncertainty": one(["shocks", "shocks,parameters", ["evidence"], "none"], ["shock", 42]),
        "format": one(["parquet", "csv"], ["xlsx"]),
        "series": one([None, "alignment", ["alignment", "credibility"]], [["alignment", "../etc"], ""]),
        "out": one([None, False], [5, "a\0b", b"out", "x" * 300]),  # never a folder written
    }
    if draw(st.booleans()):
        arguments["peer_weight"] = one([0.2, np.float32(0.2), np.float64(0.5), 1], ["0.2", 7.0, -math.inf])
    return arguments


folder_with_nul = "scenarios/\0baseline.yaml"


@settings(SETTINGS, max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)))
@given(data=st.data())
def test_api_arguments_give_a_result_or_one_input_error(tmp_path_factory, data):
    import sim

    folder = tmp_path_factory.getbasetemp() / "fuzz-api"
    folder.mkdir(exist_ok=True)
    scenario = folder / "s.yaml"
    scenario.write_text("name: s\nstart: 2021-01\nend: 2021-04\n")
    arguments = data.draw(api_arguments(scenario))
    here = sorted(os.listdir())
    try:
        result = sim.simulate(**arguments)
    except sim.InputError as exc:
        event("InputError")
        assert "\n" not in str(exc) and len(str(exc)) < 2500, str(exc)
    else:
        event("result")
        assert result.folder is None and np.isfinite(result.summary["median"]).all()
    assert sorted(os.listdir()) == here, "something written in the working directory"
