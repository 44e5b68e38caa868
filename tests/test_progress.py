"""Long work shows progress: off a terminal, every long command prints plain lines with the work done, the rate
and the time left; an interrupted fit resumes from its checkpoint and ends as the uninterrupted fit does."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, cli_in_process

from sim.experiments import calibration, progress
from sim.experiments.checkpoint import BEST, CHECKPOINT, Journal
from sim.inputs.documents import InputError

BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: A plain progress line: what, how much of how much, the rate, and the time left.
LINE = re.compile(
    r"^(?P<what>[^:]+(: [^:]+)?): [\d,]+ of [\d,]+ \w+ \(\d+%\), [\d.,]+ \w+/s, [\d:]+ elapsed, [\d:]+ left"
)


@pytest.fixture
def every_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line at every step of the work, not every 30 seconds."""
    monkeypatch.setattr(progress, "INTERVAL", 0.0)


@pytest.fixture
def small_posterior(monkeypatch: pytest.MonkeyPatch) -> None:
    """A posterior of a few particles: these tests are about progress and resuming, not the fit's quality."""
    monkeypatch.setattr(calibration, "ABC_POPULATION", 12)
    monkeypatch.setattr(calibration, "ABC_GENERATIONS", 2)
    monkeypatch.setattr(calibration, "ABC_RUNS", 2)


def test_off_a_terminal_a_line_comes_every_interval_and_at_the_end(every_update: None) -> None:
    stream = io.StringIO()
    lines = progress.Lines(600, "calibrate: search", "point", stream)
    lines.update(120)
    lines.set_postfix(best_loss="1.234", met=27)
    lines.update(480)
    lines.close()
    written = stream.getvalue().splitlines()
    assert len(written) == 2 and all(LINE.match(line) for line in written), written
    assert "120 of 600 points (20%)" in written[0] and written[1].endswith("best_loss=1.234, met=27")


def test_before_the_first_interval_nothing_is_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "INTERVAL", 3600.0)
    stream = io.StringIO()
    with progress.Lines(10, "short work", "point", stream) as lines:
        lines.update(10)
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    "argv, what",
    [
        (["validate", BASELINE, "--runs", 3, "--fitted-point"], "validate: 3 runs"),
        (
            ["sensitivity", BASELINE, "--samples", 2, "--runs", 1, "--parameters", "adjustment_rate,peer_weight"],
            "sensitivity",
        ),
        (["calibrate", "--max-evals", 10, "--runs", 1], "calibrate: search"),
    ],
    ids=["validate", "sensitivity", "calibrate"],
)
def test_long_commands_print_progress_lines_off_a_terminal(
    argv: list, what: str, tmp_path: Path, every_update: None, small_posterior: None
) -> None:
    extra = ["--fitted", tmp_path / "fitted.yaml"] if argv[0] == "calibrate" else []
    code, _, err = cli_in_process(*argv, *extra, "--out", tmp_path / "out")
    assert code == 0, err
    assert any((found := LINE.match(line)) and found["what"] == what for line in err.splitlines()), err


def test_a_batch_prints_progress_lines_off_a_terminal(tmp_path: Path, every_update: None) -> None:
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(
        f"name: tiny\nscenario: {BASELINE}\nruns: 4\nseed: 1\nchunk_runs: 2\nstore: outcomes\n"
        "parameters:\n  shock_scale: [0.02]\n"
    )
    code, _, err = cli_in_process("batch", experiment, "--out", tmp_path / "out", "--workers", 1)
    assert code == 0, err
    assert any((found := LINE.match(line)) and found["what"] == "tiny" for line in err.splitlines()), err


def _fit(out: Path, **options) -> calibration.Fit:
    return calibration.calibrate(max_evals=10, runs=1, seed=2, out=out, fitted_path=out / "fitted.yaml", **options)


@pytest.mark.slow
def test_a_resumed_fit_ends_as_the_uninterrupted_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_posterior: None
) -> None:
    real = Journal.evaluate
    computed: list[int] = []  # the points of each batch simulated (not replayed from a checkpoint)
    stop = [None]  # interrupt (as Ctrl-C does) when this many batches are simulated

    def counted(self, key, points, compute):
        def simulated(points):
            if len(computed) == stop[0]:
                raise KeyboardInterrupt
            computed.append(len(points))
            return compute(points)

        return real(self, key, points, simulated)

    monkeypatch.setattr(Journal, "evaluate", counted)
    whole = _fit(tmp_path / "whole")
    batches, computed[:] = len(computed), []
    stop[0] = 3
    with pytest.raises(KeyboardInterrupt):
        _fit(tmp_path / "cut")
    cut = tmp_path / "cut"
    assert (cut / CHECKPOINT).is_dir() and json.loads((cut / "manifest.json").read_text())["tool"] == "alliance-sim"
    best = json.loads((cut / BEST).read_text())
    assert best["evaluations"] == sum(computed[:2]) and set(best["parameters"]) == set(calibration.FITTED)

    with pytest.raises(InputError, match="holds an interrupted fit; resume it"):
        _fit(cut)
    with pytest.raises(InputError, match="started with runs 1, not 2"):
        calibration.calibrate(max_evals=10, runs=2, seed=2, out=cut, fitted_path=cut / "fitted.yaml", resume=True)

    computed[:], stop[0] = [], None
    resumed = _fit(cut, resume=True)
    assert len(computed) == batches - 3  # the three batches done before the interruption are replayed
    assert resumed.values == whole.values and resumed.loss == whole.loss
    for name in ("evaluations.csv", "targets.csv", "projection.csv", "posterior.csv"):
        assert (cut / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    fitted = [yaml.safe_load((folder / "fitted.yaml").read_text()) for folder in (cut, tmp_path / "whole")]
    assert [{k: v for k, v in fit.items() if k != "created"} for fit in fitted] == [
        {k: v for k, v in fitted[1].items() if k != "created"}
    ] * 2
    assert not (cut / CHECKPOINT).exists() and not (cut / BEST).exists()  # a finished fit leaves no checkpoint


def test_resume_needs_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no interrupted fit to resume"):
        _fit(tmp_path / "none", resume=True)
