"""The run plots are written, readable and not blank, for many runs and for one, and draw what they claim:
bands, the projection marker, credibility from 0 with its drops labelled, hedging without power colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import sim.outputs.plots
from sim.inputs.geography import STATES
from sim.model.trajectories import Trajectories
from sim.outputs.colors import power_colors
from sim.outputs.plots import PROJECTION, Bands, decimal_year, largest_drop, write_plots

NAMES = ["summary.png", "fan_charts.png", "dominant_partner.png", "hedging.png", "credibility.png"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def synthetic(runs: int, powers: list[str], months: int = 25, seed: int = 0) -> Trajectories:
    """Alignment rows on the simplex drifting over time, plus credibility in [0, 1]."""
    rng = np.random.default_rng(seed)
    shape = (runs, months, len(STATES), len(powers))
    drift = rng.normal(0, 0.1, shape[2:]) * np.arange(months)[:, None, None]
    logits = rng.normal(0, 1, shape[2:]) + drift + rng.normal(0, 0.3, shape).cumsum(axis=1)
    alignment = np.exp(logits)
    alignment /= alignment.sum(axis=-1, keepdims=True)
    dates = [f"{2021 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    return Trajectories(
        scenario="test",
        dates=dates,
        states=list(STATES),
        powers=powers,
        alignment=alignment,
        credibility=rng.uniform(0, 1, shape),
        economic=rng.uniform(0, 1, shape),
        security=rng.uniform(0, 1, shape),
        outreach=rng.uniform(0, 1, shape),
    )


def assert_real_png(path: Path) -> None:
    """A PNG file that decodes to a reasonably large image with more than one colour."""
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert height > 200 and width > 300
    rgb = (image[..., :3] * 255).round().astype(np.uint32)
    colours = np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])
    assert colours.size > 10


@pytest.mark.parametrize(
    ("runs", "powers"),
    [
        (5, ["Russia", "US", "China", "Turkey"]),
        (5, ["Russia", "US", "China", "Turkey", "EU"]),
        (1, ["Russia", "US", "China", "Turkey", "EU"]),
    ],
)
@pytest.mark.slow
def test_write_plots(tmp_path: Path, runs: int, powers: list[str]) -> None:
    synthetic_traj = synthetic(runs, powers)
    np.testing.assert_allclose(synthetic_traj.alignment.sum(axis=-1), 1.0)
    outdir = tmp_path / "plots"  # does not exist yet: write_plots must create it
    paths = write_plots(synthetic_traj, outdir)
    assert [p.name for p in paths] == NAMES
    for path in paths:
        assert path.parent == outdir
        assert_real_png(path)


def test_blank_png_is_rejected(tmp_path: Path) -> None:
    """The PNG check itself can fail: a one-colour image does not pass."""
    blank = tmp_path / "blank.png"
    Figure(figsize=(6, 4)).savefig(blank, dpi=110)
    with pytest.raises(AssertionError):
        assert_real_png(blank)


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Write the plots of 30 synthetic runs over 2021-2023 (credibility falling sharply in 2022-06) and keep each
    figure by file name, as drawn."""
    figures = {}
    save = sim.outputs.plots._save

    def keep(fig, path):
        figures[Path(path).name] = fig
        return save(fig, path)

    monkeypatch.setattr(sim.outputs.plots, "_save", keep)
    monkeypatch.setattr(sim.outputs.plots, "PLOT_WORKERS", 1)  # draw here, where the figures are kept
    traj = synthetic(30, ["Russia", "US", "China", "Turkey"], months=36)
    traj.credibility[:] = 0.6
    traj.credibility[:, 18:, :, 0] = 0.3  # Russia's credibility drops by 0.3 in 2022-07
    events = pd.DataFrame({"date": ["2022-07"], "label": ["a patron fails its client"]})
    write_plots(traj, tmp_path, events)
    return figures, traj


@pytest.mark.slow
def test_projection_marker_on_every_time_plot(drawn):
    figures, _ = drawn
    month = decimal_year(PROJECTION)
    for name in ("fan_charts.png", "dominant_partner.png", "hedging.png", "credibility.png"):
        markers = [line for ax in figures[name].axes for line in ax.lines if line.get_gid() == "projection"]
        assert markers, name
        assert all(line.get_xdata()[0] == pytest.approx(month) for line in markers)
        labels = [t for ax in figures[name].axes for t in ax.texts if t.get_gid() == "projection-label"]
        assert len(labels) == 1 and "projection begins" in labels[0].get_text(), name


@pytest.mark.slow
def test_credibility_band_from_zero_with_drop_labelled(drawn):
    figures, _ = drawn
    ax = figures["credibility.png"].axes[0]
    assert ax.get_ylim()[0] == 0
    assert len(ax.collections) == 4  # one 5-95% band per power
    drops = [t.get_text() for t in ax.texts if t.get_gid() == "drop"]
    assert len(drops) == 1 and drops[0].startswith("Russia −0.30 by 2022-07")
    assert "a patron fails its client" in drops[0]


def test_largest_drop_finds_the_fall():
    series = np.array([0.5, 0.5, 0.5, 0.4, 0.2, 0.2, 0.25])
    assert largest_drop(series, months=2) == (4, pytest.approx(0.3))
    assert largest_drop(np.linspace(0.2, 0.5, 10)) is None


@pytest.mark.slow
def test_hedging_uses_no_power_colour(drawn):
    figures, _ = drawn
    fig = figures["hedging.png"]
    assert len(fig.axes) == len(STATES)  # small multiples, one per state
    reserved = {to_hex(c) for c in power_colors(["Russia", "US", "China", "Turkey", "EU"]).values()}
    used = {to_hex(line.get_color()) for ax in fig.axes for line in ax.lines if line.get_gid() != "projection"}
    assert used and not used & reserved


@pytest.mark.slow
def test_lines_at_zero_stay_visible(drawn):
    figures, _ = drawn
    for ax in figures["fan_charts.png"].axes:
        assert ax.get_ylim()[0] < 0 < ax.get_ylim()[1]


def test_bands_are_the_quantiles_of_the_runs():
    traj = synthetic(40, ["Russia", "US", "China", "Turkey"])
    bands = Bands.of(traj)
    np.testing.assert_allclose(bands.alignment[2], np.quantile(traj.alignment, 0.95, axis=0))
    assert (bands.alignment[0] < bands.alignment[2]).any()  # a band with width is drawn
    np.testing.assert_allclose(bands.dominant.sum(axis=-1), 1.0)


def test_a_fall_is_captioned_with_the_events_that_bear_on_that_power_in_most_runs():
    """Not an event of another month, of another power, of something else than its credibility or capacity, or
    one that happened in few runs."""
    from sim.outputs.plots import _events_near

    dates = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
    events = pd.DataFrame(
        [
            ["2021-05", "Russia's reputation falls", 1000, "scheduled", "Russia", "credibility"],
            ["2021-05", "Armenia appeals to Russia for help", 990, "appeal", "Russia", ""],
            ["2021-05", "Armenia freezes its CSTO membership", 3, "freeze", "Russia", ""],
            ["2021-05", "the US pulls out", 1000, "scheduled", "US", "free_capacity"],
            ["2021-05", "Russia courts Kazakhstan", 1000, "scheduled", "Russia", "interest"],
            ["2021-01", "an old Russian setback", 1000, "scheduled", "Russia", "credibility"],
        ],
        columns=["date", "label", "runs", "kind", "power", "attribute"],
    )
    caption = _events_near(events, dates, 5, "Russia").replace("\n", " ")
    assert caption == " (Russia's reputation falls; Armenia appeals to Russia for help)"


def test_figures_as_svg_and_pdf_carry_their_caption_and_source(tmp_path):
    """A figure pasted elsewhere keeps what it shows and where it comes from; user text is drawn as written."""
    from helpers import cli_in_process

    from sim.outputs.plots import CAPTIONS

    scenario = tmp_path / "s.yaml"
    scenario.write_text('name: "costs $5 & <more>"\nstart: 2021-01\nend: 2021-06\n')
    out = tmp_path / "r"
    code, _, err = cli_in_process("run", scenario, "--runs", 3, "--seed", 4, "--out", out, "--figures", "svg,pdf")
    assert code == 0, err
    assert not list((out / "plots").glob("*.png"))
    svg = (out / "plots" / "summary.svg").read_text()
    assert CAPTIONS["summary"] in svg and "costs $5 &amp; &lt;more&gt;: where each state ends" in svg
    assert "scenario costs $5 &amp; &lt;more&gt;, 3 runs, seed 4" in svg
    assert all((out / "plots" / f"{name}.pdf").read_bytes().startswith(b"%PDF") for name in CAPTIONS)
    code, _, err = cli_in_process("run", scenario, "--runs", 3, "--out", tmp_path / "x", "--figures", "png,gif")
    assert code == 2 and "--figures" in err and "gif" in err and "Traceback" not in err


def test_figure_workers_wait_for_cores_other_processes_leave_free(monkeypatch):
    """Two figure workers are forked on a 2-core machine only if the other processes kept less than half a core
    busy since the last look: this process's own work (threads, waited-for workers) does not count against it."""
    from sim.outputs import cores

    monkeypatch.setattr(cores.os, "cpu_count", lambda: 2)

    def after(seconds: float, machine: float, own: float) -> bool:
        monkeypatch.setattr(cores, "_last", cores.Reading(100.0, 10.0, 50.0))
        monkeypatch.setattr(cores, "reading", lambda: cores.Reading(100.0 + machine, 10.0 + own, 50.0 + seconds))
        return cores.spare_cores(2)

    assert after(2.0, machine=3.8, own=3.6)  # both cores busy, with this process's own threads
    assert after(2.0, machine=0.5, own=0.0)  # another process, a quarter of a core
    assert not after(2.0, machine=3.0, own=1.0)  # another process on one core all along
    assert not after(2.0, machine=4.0, own=2.0)
