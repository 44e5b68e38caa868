"""Safe by construction: user files are never harmed, every input is checked before work, no traceback.

One test (or case) per defect found by trying the commands as a careless or hostile user would.
Commands run in-process (`sim.cli.main.main`) on a five-month scenario, so the whole file stays quick.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import BASELINE, ROOT, cli_in_process

from sim.inputs.documents import InputError
from sim.inputs.parameters import PARAMETERS
from sim.outputs.destination import LOCK, MARKER, default_folder, mark, remove_stale, slug
from sim.outputs.results import spreadsheet_safe

#: A scenario of five months with one event: quick to run, and a parent to extend.
EVENT = (
    "  - {{id: {id}, date: {date}, target: Georgia, power: US, attribute: credibility, operation: multiply, "
    "value: 0.9, source: counterfactual}}\n"
)


def refused(result, *fragments: str) -> None:
    """Exit 2 with one line holding every fragment, and no traceback."""
    code, _, err = result
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def scenario(folder: Path, body: str = "", name: str = "short", file: str = "s.yaml", end: str = "2021-06") -> Path:
    path = folder / file
    path.write_text(f"name: {json.dumps(name)}\nstart: 2021-01\nend: {end}\n{body}")
    return path


def events(*dates: str, id: str = "e") -> str:
    return "events:\n" + "".join(EVENT.format(id=f"{id}{i}" if id == "e" else id, date=d) for i, d in enumerate(dates))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its content: to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A working directory of its own (results/ goes there) holding a user's precious folder."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    return folder


# 1. Output paths come from the user's arguments, never from file content.


@pytest.mark.slow
def test_a_name_naming_a_folder_is_only_a_label(work):
    precious = work.parent / "precious"
    before = tree(precious)
    path = scenario(work, name=str(precious))
    code, out, err = cli_in_process("run", path, "--runs", 2, "--force")
    assert code == 0, err
    assert tree(precious) == before
    assert (work / "results" / slug(str(precious)) / "manifest.json").is_file()


@pytest.mark.parametrize("name", [".", "..", "/", "../..", "$$$", "calibration"])
def test_names_that_give_no_safe_folder_are_refused(work, name):
    code = cli_in_process("run", scenario(work, name=name), "--runs", 2, "--force")
    refused(code, "name an output folder", "(--out)")
    assert not (work / "results").exists()


@pytest.mark.slow
def test_a_climbing_name_stays_inside_results(work):
    code, _, err = cli_in_process("run", scenario(work, name="../../x"), "--runs", 2)
    assert code == 0, err
    assert [p.name for p in work.iterdir()] == ["results", "s.yaml"]
    assert default_folder("../../x") == Path("results/x") and (work / "results" / "x").is_dir()


@pytest.mark.slow
def test_two_names_with_one_slug_do_not_replace_each_other(work):
    assert cli_in_process("run", scenario(work, name="Base line"), "--runs", 2)[0] == 0
    refused(cli_in_process("run", scenario(work, name="base-line"), "--runs", 2, "--force"), "not 'base-line'")
    assert json.loads((work / "results" / "base-line" / "manifest.json").read_text())["scenario"] == "Base line"


def test_force_replaces_only_an_alliance_sim_folder(work):
    precious = work.parent / "precious"
    before = tree(precious)
    refused(cli_in_process("run", scenario(work), "--runs", 2, "--out", precious, "--force"), "not an alliance-sim")
    assert tree(precious) == before


@pytest.mark.parametrize("out", [".", "..", "/"])
def test_the_working_directory_and_its_parents_are_never_replaced(work, out):
    path = scenario(work)
    before = sorted(p.name for p in work.iterdir())
    refused(cli_in_process("run", path, "--runs", 2, "--out", out, "--force"), "working directory")
    assert sorted(p.name for p in work.iterdir()) == before  # no staging folder either


def test_an_output_folder_holding_the_input_is_refused(work):
    folder = work / "inputs"
    folder.mkdir()
    refused(cli_in_process("run", scenario(folder), "--runs", 2, "--out", folder, "--force"), "an input")


@pytest.mark.slow
def test_compare_never_writes_over_one_of_its_inputs(work, five_month_run):
    for name in ("a", "b"):
        shutil.copytree(five_month_run(name, runs=3), work / name)
    before = tree(work / "a")
    refused(cli_in_process("compare", work / "a", work / "b", "--out", work / "a", "--force"), "an input")
    refused(cli_in_process("compare", work / "a", work / "b", "--out", work, "--force"), "working directory")
    assert tree(work / "a") == before


@pytest.mark.slow
def test_report_never_overwrites_a_users_file(work, five_month_run):
    shutil.copytree(five_month_run(), work / "r")
    mine = work / "notes.html"
    mine.write_text("<p>my notes</p>")
    refused(cli_in_process("report", work / "r", "--out", mine), "not a page alliance-sim wrote")
    refused(cli_in_process("report", work / "r", "--out", work / "r" / "manifest.json"), "not a page")
    assert mine.read_text() == "<p>my notes</p>"
    # its own page: replaced
    assert cli_in_process("report", work / "r")[0] == 0 and cli_in_process("report", work / "r")[0] == 0


def test_calibrate_never_overwrites_a_scenario_with_its_fit(work):
    path = scenario(work)
    before = path.read_bytes()
    refused(
        cli_in_process(
            "calibrate", "--max-evals", 5, "--runs", 1, "--scenario", path, "--fitted", path, "--out", work / "c"
        ),
        "an input",
    )
    other = work / "other.yaml"
    other.write_text("keep: me\n")
    refused(
        cli_in_process("calibrate", "--max-evals", 5, "--runs", 1, "--fitted", other, "--out", work / "c"),
        "never replaced",
    )
    assert path.read_bytes() == before and other.read_text() == "keep: me\n"


@pytest.mark.parametrize("where", ["file/out", "/proc/alliance-sim-out", "/sys/out"])
def test_an_unwritable_output_is_found_before_simulating(work, where):
    (work / "file").write_text("a file, not a folder")
    started = time.perf_counter()
    refused(cli_in_process("run", scenario(work), "--runs", 2, "--out", where), "choose another output folder (--out)")
    assert time.perf_counter() - started < 5


# 2. Everything checked before any work.

BAD_SCENARIOS = {
    "instruments as a list": (
        "strategies:\n  China:\n    budget: 0.4\n    instruments: [economic, security]\n",
        "instruments",
    ),
    "priorities as a list": ("strategies:\n  China:\n    budget: 0.4\n    priorities: [Kazakhstan]\n", "priorities"),
    "target as a mapping": (events("2021-03").replace("target: Georgia", "target: {a: 1}"), "target"),
    "without holding a mapping": ("extends: parent.yaml\nwithout: [{a: 1}]\n", "without[0]"),
    "without as a mapping": ("extends: parent.yaml\nwithout: {a: 1}\n", "without"),
    "extends as a list": ("extends: [parent.yaml]\n", "extends"),
    "events as a mapping": ("events: {a: 1}\n", "events"),
    "name as a list": ("", "name"),
    "duplicate key": ("start: 2021-02\n", "duplicate key 'start'"),
    "duplicate event id": (events("2021-03", "2021-04", id="twice"), "event id 'twice'"),
    "id shared with the parent": ("extends: parent.yaml\n" + events("2021-04", id="e0"), "event id 'e0'"),
    "nan share": ("strategies:\n  China:\n    instruments: {economic: .nan}\n", "not a finite number"),
    "inf budget": ("strategies:\n  China:\n    budget: .inf\n", "not a finite number"),
    "huge priority": ("strategies:\n  China:\n    priorities: {Georgia: 1e300}\n", "Georgia"),
    "share out of range": ("strategies:\n  China:\n    instruments: {economic: 7}\n", "economic"),
    "year 9999": ("", "at most"),
    "alias bomb": (
        "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else 'x'}]\n" for i in range(9))
        + "description: *l8\n",
        "aliases expand",
    ),
    "dollar power": ("powers: [Russia, US, China, Turkey, '$\\alpha$']\n", "powers[4]"),
    "script power": ("powers: [Russia, US, China, Turkey, '<img src=x onerror=alert(1)>']\n", "powers[4]"),
}


@pytest.mark.parametrize("case", list(BAD_SCENARIOS))
def test_bad_scenarios_get_one_line(work, case):
    body, fragment = BAD_SCENARIOS[case]
    scenario(work, events("2021-03"), name="parent", file="parent.yaml")
    path = scenario(work, body, end="9999-12" if case == "year 9999" else "2021-06")
    if case == "name as a list":
        path.write_text(path.read_text().replace('name: "short"', "name: [a, b]"))
    before = sorted(p.name for p in work.iterdir())
    refused(cli_in_process("run", path, "--runs", 2, "--out", work / "out"), str(path), fragment)
    assert sorted(p.name for p in work.iterdir()) == before


def test_extends_cycles_and_chains_are_refused(work):
    (work / "a.yaml").write_text("name: a\nextends: b.yaml\n")
    (work / "b.yaml").write_text("name: b\nextends: a.yaml\n")
    refused(cli_in_process("run", work / "a.yaml", "--out", work / "out"), "loop")
    (work / "self.yaml").write_text("name: me\nextends: ./self.yaml\n")
    refused(cli_in_process("run", work / "self.yaml", "--out", work / "out"), "loop")
    for i in range(12):
        (work / f"c{i}.yaml").write_text(f"name: c{i}\nextends: c{i + 1}.yaml\n")
    scenario(work, name="c12", file="c12.yaml")
    refused(cli_in_process("run", work / "c0.yaml", "--out", work / "out"), "shorten the chain")


def test_only_regular_files_are_read(work):
    fifo = work / "fifo.yaml"
    os.mkfifo(fifo)
    started = time.perf_counter()
    refused(cli_in_process("run", fifo, "--out", work / "out"), "not a regular file")
    refused(cli_in_process("run", "/dev/zero", "--out", work / "out"), "not a regular file")
    refused(cli_in_process("run", work, "--out", work / "out"), "is a folder")
    (work / "z.yaml").write_text("name: z\nextends: /dev/zero\n")
    refused(cli_in_process("run", work / "z.yaml", "--out", work / "out"), "/dev/zero", "not a regular file")
    big = work / "big.yaml"
    with big.open("wb") as stream:
        stream.truncate(50_000_000)
    refused(cli_in_process("run", big, "--out", work / "out"), "too large")
    assert time.perf_counter() - started < 10


def test_every_command_refuses_non_finite_experiment_values(work):
    path = work / "e.yaml"
    path.write_text(f"name: e\nscenario: {BASELINE}\nruns: 2\nparameters: {{shock_scale: [0.01, .nan]}}\n")
    refused(cli_in_process("batch", path, "--out", work / "out"), "not a finite number")
    assert not (work / "out").exists()


# 3. Limits, estimated before any work.


@pytest.mark.parametrize("runs", [10**12, 10**8])
def test_huge_runs_are_refused_with_the_estimate(work, runs):
    started = time.perf_counter()
    refused(
        cli_in_process("run", scenario(work), "--runs", runs, "--out", work / "out"),
        "needs about",
        "use fewer runs (--runs)",
    )
    assert time.perf_counter() - started < 10 and not (work / "out").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["calibrate", "--max-evals", 10**10, "--runs", 4],
        ["sensitivity", "SCENARIO", "--samples", 10**9],
        ["validate", "SCENARIO", "--runs", 10**9],
    ],
    ids=["calibrate", "sensitivity", "validate"],
)
def test_other_commands_refuse_what_will_not_fit(work, command):
    command = [scenario(work) if part == "SCENARIO" else part for part in command]
    started = time.perf_counter()
    refused(cli_in_process(*command, "--out", work / "out"), "needs about")
    assert time.perf_counter() - started < 20 and not (work / "out").exists()


@pytest.mark.parametrize(
    "design",
    [
        "sample: {method: lhs, n: 100000000, ranges: {shock_scale: , peer_weight: }}",
        "parameters: {" + ", ".join(f"{p.name}: [{', '.join([str(p.default)] * 32)}]" for p in PARAMETERS[:6]) + "}",
        "runs: 1000000000000\nstore: outcomes",
    ],
    ids=["lhs 1e8", "grid 1e9", "runs 1e12"],
)
def test_huge_designs_are_refused_before_they_are_built(work, design):
    path = work / "e.yaml"
    runs = "" if "runs:" in design else "runs: 2\n"
    path.write_text(f"name: e\nscenario: {BASELINE}\n{runs}{design}\n")
    started = time.perf_counter()
    refused(cli_in_process("batch", path, "--out", work / "out"), "needs about")
    assert time.perf_counter() - started < 20 and not (work / "out").exists()


@pytest.mark.slow
def test_a_large_run_streams_in_chunks_with_the_same_numbers(work, monkeypatch):
    from sim.experiments import request, run

    path = scenario(work)
    assert cli_in_process("run", path, "--runs", 7, "--seed", 4, "--out", work / "whole")[0] == 0
    monkeypatch.setattr(run, "chunk_runs", lambda *shape: 3)
    monkeypatch.setattr(request, "PLOT_RUNS", 4)
    assert cli_in_process("run", path, "--runs", 7, "--seed", 4, "--out", work / "chunked")[0] == 0
    whole, chunked = (pd.read_parquet(work / f / "trajectories.parquet") for f in ("whole", "chunked"))
    pd.testing.assert_frame_equal(whole, chunked)
    for table in ("summary.csv", "events.csv", "switches.csv", "bloc_events.csv"):
        pd.testing.assert_frame_equal(*(pd.read_csv(work / f / table) for f in ("whole", "chunked")))


# 4. Escaping wherever user text reaches HTML or a figure.


class Elements(HTMLParser):
    """Tags and attribute names of a page, to find anything a browser would run."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def runnable(page: str) -> list[str]:
    parser = Elements()
    parser.feed(page)
    return [t for t in parser.tags if t in ("script", "iframe", "object", "embed")] + [
        a for a in parser.attributes if a.startswith("on")
    ]


INJECTED = "<script>alert(1)</script><img src=x onerror=alert(2)> $x^$"


@pytest.mark.slow
def test_names_are_escaped_in_pages_and_never_parsed_as_mathtext(work):
    for folder, name in (("a", INJECTED), ("b", f"{INJECTED} $\\frac$")):
        code, _, err = cli_in_process("run", scenario(work, name=name), "--runs", 3, "--out", work / folder)
        assert code == 0, err
    assert cli_in_process("compare", work / "a", work / "b", "--out", work / "cmp")[0] == 0
    assert cli_in_process("report", work / "a")[0] == 0
    for page in (work / "cmp" / "report.html", work / "a" / "report.html"):
        text = page.read_text()
        assert runnable(text) == [], page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.slow
def test_power_names_in_a_run_report_are_escaped(work, five_month_run):
    shutil.copytree(five_month_run(), work / "r")
    summary = pd.read_csv(work / "r" / "summary.csv")
    summary["power"] = summary["power"].replace("Turkey", "<img src=x onerror=alert(1)>")
    summary.to_csv(work / "r" / "summary.csv", index=False)
    assert cli_in_process("report", work / "r")[0] == 0
    assert runnable((work / "r" / "report.html").read_text()) == []


# 5. Clean interruption.


def child(*argv: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *argv], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def staging(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".stage-" in p.name or ".old-" in p.name]


def writing(folder: Path) -> bool:
    """Whether a run writing into `folder / "out"` has staged it (not merely probed that the folder can be made)."""
    return any(p.name.startswith(".out.stage-") for p in staging(folder))


def wait_for(condition, seconds: float = 30) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_sigterm_removes_the_staging_folder_and_sigkill_leftovers_go_next_time(work):
    short = scenario(work)
    for stop in (signal.SIGTERM, signal.SIGKILL):
        process = child("run", str(BASELINE), "--runs", "3000", "--out", str(work / "out"), cwd=ROOT)
        assert wait_for(lambda: writing(work)), "the run never started writing"
        process.send_signal(stop)
        process.communicate(timeout=60)
        if stop == signal.SIGTERM:
            assert process.returncode == 143
            assert staging(work) == [] and not (work / "out").exists()
    assert staging(work) != []  # what SIGKILL left
    assert cli_in_process("run", short, "--runs", 2, "--out", work / "out")[0] == 0
    assert staging(work) == []


def test_stale_staging_of_a_live_process_is_kept(tmp_path):
    live = tmp_path / f".out.stage-{os.getpid()}-0123abcd"
    dead = tmp_path / ".out.stage-999999999-0123abcd"
    user = tmp_path / ".out.stage-mine"
    for folder in (live, dead, user):
        folder.mkdir()
    mark(live)
    mark(dead)
    assert remove_stale(tmp_path) == [dead]
    assert live.exists() and user.exists()


def test_staging_killed_before_it_was_marked_goes_too_and_nothing_holding_more(tmp_path):
    """A command killed between making a staging folder and marking it leaves it empty, or holding its marker
    partly written: the next clean-up removes it once its process is gone (nothing in it is anyone's); a folder
    holding anything else is kept."""
    empty = tmp_path / ".probe.stage-999999999-0123abcd"
    partly = tmp_path / ".out.stage-999999999-89abcdef"
    live = tmp_path / f".out.stage-{os.getpid()}-00000000"
    held = tmp_path / ".notes.stage-999999999-fedcba98"
    for folder in (empty, partly, live, held):
        folder.mkdir()
    (partly / MARKER).write_text("alliance-sim sta")
    (held / MARKER).write_text("")
    (held / "draft.txt").write_text("mine")
    assert sorted(remove_stale(tmp_path)) == [partly, empty]
    assert live.is_dir() and (held / "draft.txt").read_text() == "mine"


@pytest.mark.slow
def test_clean_up_never_removes_a_users_entry_named_like_staging(tmp_path):
    """Only staging folders carrying this tool's own marker go: never a file or folder matched by name alone."""
    named = tmp_path / ".thesis.old-999999999-0123abcd"
    named.write_text("years of work")
    folder = tmp_path / ".notes.stage-999999999-89abcdef"
    folder.mkdir()
    (folder / "draft.txt").write_text("mine")
    forged = tmp_path / ".copy.tmp-999999999-00000000"
    forged.mkdir()
    (forged / MARKER).write_text("a marker copied from another folder")
    assert remove_stale(tmp_path) == [] and remove_stale(tmp_path, any_process=True) == []
    assert named.read_text() == "years of work" and (folder / "draft.txt").read_text() == "mine" and forged.is_dir()
    out = tmp_path / "out"
    assert cli_in_process("run", scenario(tmp_path), "--runs", 2, "--out", out)[0] == 0
    assert named.read_text() == "years of work" and (folder / "draft.txt").read_text() == "mine"


def descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.slow
def test_batch_workers_exit_when_the_batch_is_killed(work):
    experiment = work / "e.yaml"
    experiment.write_text(f"name: e\nscenario: {BASELINE}\nruns: 4000\nchunk_runs: 500\n")
    process = child("batch", str(experiment), "--out", str(work / "out"), "--workers", "2", cwd=ROOT)
    assert wait_for(lambda: len(descendants(process.pid)) >= 3, 60), "no pool workers"
    workers = descendants(process.pid)
    process.kill()
    process.communicate(timeout=30)
    assert wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in workers), 15), "orphaned workers"


def test_a_second_batch_into_the_same_folder_gets_one_line(work):
    experiment = work / "e.yaml"
    experiment.write_text(f"name: e\nscenario: {work / 's.yaml'}\nruns: 2\n")
    scenario(work)
    out = work / "out"
    out.mkdir()
    with open(out / LOCK, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused(
            cli_in_process("batch", experiment, "--out", out, "--force", "--workers", 1), "another alliance-sim batch"
        )
        refused(
            cli_in_process("batch", experiment, "--out", out, "--resume", "--workers", 1), "another alliance-sim batch"
        )
    assert cli_in_process("batch", experiment, "--out", out, "--workers", 1)[0] == 0


def test_a_refused_batch_leaves_no_lock_file_in_a_users_folder(work):
    experiment = work / "e.yaml"
    experiment.write_text(f"name: e\nscenario: {scenario(work)}\nruns: 2\n")
    before = tree(work)
    for extra in ([], ["--force"], ["--resume"]):
        code, _, err = cli_in_process("batch", experiment, "--out", work, "--workers", 1, *extra)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert tree(work) == before and not (work / LOCK).exists()


# 6. Damaged results folders.


@pytest.mark.slow
def test_compare_refuses_absurd_values_quickly(work, five_month_run):
    for name in ("a", "b"):
        shutil.copytree(five_month_run(name, runs=3), work / name)
    frame = pd.read_parquet(work / "b" / "trajectories.parquet")
    frame["alignment"] = np.where(frame.index % 7 == 0, 1e30, frame["alignment"])  # absurd, yet a float32
    frame.to_parquet(work / "b" / "trajectories.parquet")
    started = time.perf_counter()
    refused(cli_in_process("compare", work / "a", work / "b", "--out", work / "cmp"), "not shares between 0 and 1")
    assert time.perf_counter() - started < 20 and not (work / "cmp").exists()


@pytest.mark.slow
def test_a_damaged_manifest_does_not_break_a_report(work, five_month_run):
    shutil.copytree(five_month_run(), work / "r")
    manifest = json.loads((work / "r" / "manifest.json").read_text())
    manifest.update(versions=["not", "a", "mapping"], parameters="nor this")
    (work / "r" / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = cli_in_process("report", work / "r")
    assert code == 0, err


def test_input_errors_are_input_errors():
    with pytest.raises(InputError):
        default_folder("///")


# 7. Claim, then write: the folder a command claimed at the start is the only thing it replaces.


@pytest.mark.parametrize("when", ["before the claim", "while it simulates"])
@pytest.mark.slow
def test_a_folder_that_appears_while_a_run_works_is_kept(work, monkeypatch, when):
    from sim.experiments import request as runner

    out = work / "thesis"
    step = "prepare" if when == "before the claim" else "write_plots"
    original = getattr(runner, step)

    def user_writes(*args, **kwargs):
        out.mkdir(exist_ok=True)
        (out / "chapter1.tex").write_text("\\chapter{One}")
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, step, user_writes)
    refused(cli_in_process("run", scenario(work), "--runs", 2, "--out", out), "chapter1.tex appeared", "kept")
    assert tree(out) == {"chapter1.tex": b"\\chapter{One}"}
    assert staging(work) == []


def test_a_claimed_folder_refuses_a_second_writer(work):
    import sim

    out = work / "together"
    out.mkdir()
    with open(out / LOCK, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(sim.InputError, match="another alliance-sim command is writing") as caught:
            sim.simulate(scenario(work), runs=2, out=out, force=True)
    assert "\n" not in str(caught.value) and os.listdir(out) == [LOCK]


@pytest.mark.slow
def test_two_writers_to_one_folder_one_wins_and_nothing_is_replaced(work):
    path = scenario(work, end="2023-06")
    code = (
        "import sys, sim\n"
        "try:\n"
        f"    sim.simulate({str(path)!r}, runs=400, seed=int(sys.argv[1]), out='together')\n"
        "except sim.InputError as exc:\n"
        "    sys.exit(f'error: {exc}')\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", code, str(seed)], cwd=work, stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    codes = [w.returncode for w in writers]
    assert sorted(codes) == [0, 1], errors
    loser = errors[codes.index(1)]
    assert "Traceback" not in loser and len(loser.strip().splitlines()) == 1 and "together" in loser, loser
    assert json.loads((work / "together" / "manifest.json").read_text())["seed"] == codes.index(0) + 1
    assert not (work / "together" / LOCK).exists() and staging(work) == []


# 8. Text that stays text: no formula runs in a spreadsheet, no error line is split, reversed or endless.

FORMULAS = ['=HYPERLINK("http://x.example","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def test_only_text_cells_are_neutralised():
    frame = pd.DataFrame({"label": ["\tx", "\rx", "=1", "plain", None], "value": [-1.5, -2.0, 3.0, -0.0, 1.0]})
    frame["kind"] = pd.Categorical(["@a", "b", "@a", "b", "b"])
    safe = spreadsheet_safe(frame)
    assert safe["label"].tolist()[:4] == ["'\tx", "'\rx", "'=1", "plain"] and pd.isna(safe["label"].iloc[4])
    assert safe["value"].equals(frame["value"]) and safe["kind"].tolist() == ["'@a", "b", "'@a", "b", "b"]
    assert frame["label"].iloc[0] == "\tx"  # the caller's frame is left as it was


@pytest.mark.slow
def test_csv_cells_that_look_like_formulas_are_neutralised(work):
    labelled = "".join(
        EVENT.format(id=f"e{i}", date="2021-03").replace("source:", f"label: {json.dumps(label)}, source:")
        for i, label in enumerate(FORMULAS)
    )
    for seed, name in enumerate(("a", "=b")):
        path = scenario(work, "events:\n" + labelled, name=name)
        code, _, err = cli_in_process("run", path, "--runs", 3, "--seed", seed, "--out", work / name)
        assert code == 0, err
    logged = pd.read_csv(work / "a" / "events.csv", keep_default_na=False)
    assert set(logged["label"]) >= {f"'{label}" for label in FORMULAS}
    assert cli_in_process("compare", work / "a", work / "=b", "--out", work / "cmp")[0] == 0
    differences = pd.read_csv(work / "cmp" / "alignment_differences.csv")
    assert differences["difference_p05"].dtype == float and (differences["difference_p05"] < 0).any()
    assert "'=b" in set(differences["scenario"])
    experiment = work / "e.yaml"
    experiment.write_text(f"name: e\nscenario: {scenario(work, name='=SUM(1)', file='f.yaml')}\nruns: 2\n")
    assert cli_in_process("batch", experiment, "--out", work / "batch", "--workers", 1)[0] == 0
    assert pd.read_csv(work / "batch" / "points.csv")["scenario"].tolist() == ["'=SUM(1)"]
    assert set(pd.read_parquet(work / "batch" / "outcomes.parquet")["scenario"]) == {"=SUM(1)"}  # exact text


@pytest.mark.parametrize(
    "body, shown",
    [
        ("states: [Georgia, 'Arme\u202enia']\n", "Arme\\u202enia"),
        ("states: [Georgia, 'Arme\u2028nia']\n", "Arme\\u2028nia"),
        (events("2021-03").replace("target: Georgia", "target: " + "Q" * 9000), "9,000 characters"),
    ],
    ids=["right-to-left override", "line separator", "9000 characters"],
)
def test_error_lines_are_escaped_and_short(work, body, shown):
    code, _, err = cli_in_process("run", scenario(work, body), "--runs", 2, "--out", work / "out")
    refused((code, _, err), shown)
    assert len(err) < 1000 and not {"\u202e", "\u2028", "\r"} & set(err), err


# 9. Trust nothing read back: only regular files of a sane size, and only a folder's own.


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "environment"])
def test_sources_refuses_documents_that_are_not_files(work, monkeypatch, kind):
    from sim.inputs.sources import DOCUMENTS_ENV, load_sources

    documents = work / "documents"
    documents.mkdir()
    for name in load_sources():
        if kind == "link to /dev/zero":
            (documents / name).symlink_to("/dev/zero")
        else:
            os.mkfifo(documents / name)
    monkeypatch.delenv(DOCUMENTS_ENV, raising=False)
    if kind == "environment":
        monkeypatch.setenv(DOCUMENTS_ENV, str(documents))
    started = time.perf_counter()
    argv = ["sources"] if kind == "environment" else ["sources", "--documents", documents]
    refused(cli_in_process(*argv), "cannot read a cited document", "not a regular file")
    assert time.perf_counter() - started < 10


@pytest.mark.slow
def test_report_embeds_only_the_folders_own_pngs(work, five_month_run):
    shutil.copytree(five_month_run(), work / "r")
    private = work.parent / "private.txt"
    private.write_text("the reader's secret")
    (work / "r" / "plots" / "zz_extra.png").symlink_to(private)
    refused(cli_in_process("report", work / "r"), "zz_extra.png", "a link or a file outside")
    (work / "r" / "plots" / "zz_extra.png").unlink()
    (work / "r" / "plots" / "zz_extra.png").write_text("the reader's secret, not an image")
    refused(cli_in_process("report", work / "r"), "not a PNG image")
    assert not (work / "r" / "report.html").exists()


@pytest.mark.parametrize("content", ["[" * 12_000_000, "[" * 100_000], ids=["12 MB", "deeply nested"])
@pytest.mark.slow
def test_compare_gives_one_line_for_a_manifest_that_cannot_be_read(work, five_month_run, content):
    for name in ("a", "b"):
        shutil.copytree(five_month_run(name), work / name)
    (work / "b" / "manifest.json").write_text(content)
    refused(cli_in_process("compare", work / "a", work / "b", "--out", work / "cmp"), "manifest.json")
    assert not (work / "cmp").exists()


@pytest.mark.slow
def test_compare_reads_no_trajectories_outside_the_folder(work, five_month_run):
    for name in ("a", "b"):
        shutil.copytree(five_month_run(name), work / name)
    outside = work.parent / "elsewhere.parquet"
    (work / "b" / "trajectories.parquet").rename(outside)
    (work / "b" / "trajectories.parquet").symlink_to(outside)
    refused(cli_in_process("compare", work / "a", work / "b", "--out", work / "cmp"), "a link or a file outside")


# 10. Errors of the machine in one line, whatever was there before intact.


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS], ids=["ENOSPC", "EACCES", "EROFS"])
@pytest.mark.slow
def test_a_full_or_closed_disk_gives_one_line_and_keeps_the_previous_result(work, five_month_run, monkeypatch, code):
    from sim.experiments import request as runner

    path, out = scenario(work), work / "out"
    shutil.copytree(five_month_run(), out)
    before = tree(out)

    def fails(frame, target, **options):
        raise OSError(code, os.strerror(code), str(target))

    monkeypatch.setattr(runner, "write_table", fails)
    refused(cli_in_process("run", path, "--runs", 2, "--out", out, "--force"), os.strerror(code), "summary.csv")
    assert tree(out) == before and staging(work) == []


def test_an_output_name_too_long_gives_one_line(work):
    refused(
        cli_in_process("run", scenario(work), "--runs", 2, "--out", work / ("x" * 300)),
        "too long",
        "shorter output folder (--out)",
    )
    refused(cli_in_process("compare", work, work, "--out", "y" * 300), "too long")
    assert sorted(p.name for p in work.iterdir()) == ["s.yaml"]
