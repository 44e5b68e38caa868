"""`sim.plot`: the project's figures as matplotlib Figures, the same pixels as the files the commands write."""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

import sim
import sim.plot
from sim.outputs.plots import DPI, write_plots

FIGURES = {
    "fan_charts": sim.plot.fan_charts,
    "summary": sim.plot.summary,
    "credibility": sim.plot.credibility,
    "hedging": sim.plot.hedging,
    "dominant_partner": sim.plot.dominant_partner,
}

pytestmark = pytest.mark.slow


def pixels(figure: Figure) -> np.ndarray:
    figure.set_dpi(DPI)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The same runs in memory and written to a folder by `alliance-sim run`'s code."""
    root = tmp_path_factory.mktemp("plot")
    kept = sim.simulate("baseline", runs=12, seed=2, uncertainty="shocks")
    folder = sim.simulate("baseline", runs=12, seed=2, uncertainty="shocks", out=root / "b").folder
    sim.simulate("no_invasion", runs=12, seed=2, uncertainty="shocks", out=root / "n")
    return kept, folder, root


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_a_figure_from_a_result_has_the_pixels_of_its_file(written, name):
    kept, folder, _ = written
    drawn = pixels(FIGURES[name](kept))
    assert np.array_equal(drawn, np.asarray(PIL.Image.open(folder / "plots" / f"{name}.png"))[..., :3])


def test_a_figure_from_a_folder_read_back(written):
    """From a folder, the runs are read back (in single precision): the figure is all but the same."""
    _, folder, _ = written
    drawn = pixels(sim.plot.fan_charts(folder))
    on_disk = np.asarray(PIL.Image.open(folder / "plots" / "fan_charts.png"))[..., :3]
    assert drawn.shape == on_disk.shape and (drawn == on_disk).mean() > 0.999


def test_difference_is_the_comparison_figure(written):
    kept, folder, root = written
    figure = sim.plot.difference(folder, root / "n")
    assert isinstance(figure, Figure) and len(figure.axes) == 10
    assert figure.get_suptitle().startswith("no_invasion minus baseline")
    figures = dict(sim.compare([folder, root / "n"], root / "compared").figures)
    assert all(path.is_file() for path in figures)  # where the folder holds them
    written = np.asarray(PIL.Image.open(root / "compared" / "plots" / "difference_no_invasion.png"))[..., :3]
    assert np.array_equal(pixels(figure), written)  # its caption and source line too
    with pytest.raises(sim.InputError, match="out=FOLDER"):
        sim.plot.difference(kept, folder)


def test_the_table_simulate_returns_can_be_plotted(written, tmp_path):
    kept, _, _ = written
    paths = write_plots(kept.trajectories, tmp_path / "plots")
    assert {p.name for p in paths} == {f"{name}.png" for name in FIGURES}


def test_the_palette_is_the_colour_of_each_power_in_every_figure(written):
    kept, _, _ = written
    legend = sim.plot.fan_charts(kept).legends[0]
    shown = {
        text.get_text(): handle.get_facecolor()[:3]
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    assert set(shown) == {"Russia", "US", "China", "Turkey"}
    assert sim.PALETTE is sim.plot.PALETTE
    for power, colour in shown.items():
        assert np.allclose(colour, to_rgb(sim.PALETTE[power]))
