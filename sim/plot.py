"""The project's figures as matplotlib Figures, for a notebook: from a `sim.Result`, or from a results folder.

    import sim, sim.plot
    result = sim.simulate("baseline", runs=200)
    sim.plot.fan_charts(result)            # a Figure; the notebook shows it
    sim.plot.difference("results/baseline", "results/no_invasion")

They are drawn by the same functions as the files `alliance-sim run` and `compare` write, from the same runs
(the first 2,000), with the same caption and source line, so they show the same pixels. `PALETTE` is the power
colours every figure uses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.outputs.colors import KNOWN

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.api import Result
    from sim.outputs.plots import Bands

#: Each power's colour in every figure and page (told apart under colour blindness); a new power takes a spare one.
PALETTE: dict[str, str] = dict(KNOWN)


def fan_charts(result: Result | str | Path) -> Figure:
    """One panel per state: the median alignment with each power and its 5-95% band across runs."""
    from sim.outputs.plots import fan_charts as draw

    return _drawn("fan_charts", draw, result)


def dominant_partner(result: Result | str | Path) -> Figure:
    """Each state's most frequent dominant partner by month; paler where fewer runs agree."""
    from sim.outputs.plots import dominant_heatmap

    return _drawn("dominant_partner", dominant_heatmap, result)


def credibility(result: Result | str | Path) -> Figure:
    """Each power's credibility as a security guarantor, averaged over states, with its largest falls named."""
    from sim.outputs.plots import credibility_plot

    return _drawn("credibility", credibility_plot, result, _events(result))


def hedging(result: Result | str | Path) -> Figure:
    """Each state's hedging index (0: one patron, 1: an even split), median and 5-95% band."""
    from sim.outputs.plots import hedging_plot

    return _drawn("hedging", hedging_plot, result)


def summary(result: Result | str | Path) -> Figure:
    """Where each state ends: alignment with each power at the last month beside where it started."""
    from sim.outputs.plots import summary_dots

    return _drawn("summary", summary_dots, result)


def difference(reference: Result | str | Path, other: Result | str | Path) -> Figure:
    """`other` minus `reference` in each state's alignment with each power, as `alliance-sim compare` draws it
    (both results folders: runs paired by run number when they share a seed)."""
    from sim.outputs.compare_folders import compare_folders
    from sim.outputs.compare_plots import comparison_source, difference_caption, difference_chart
    from sim.outputs.plots import captioned
    from sim.outputs.results import provenance

    comparison = compare_folders([str(_folder(reference)), str(_folder(other))])
    (ref, compared), paired = comparison.outcomes, comparison.pairing[0]
    fig = difference_chart(ref, compared, comparison.bands[0], paired)
    source = comparison_source(comparison.outcomes, str(provenance()["alliance-sim"]))
    captioned(fig, difference_caption(ref, compared, paired), source)
    return fig


def _bands(result: Result | str | Path) -> Bands:
    """What the run figures draw: from the runs a Result holds, or read back from a folder's trajectories."""
    from sim.experiments.run import PLOT_RUNS, first_runs
    from sim.outputs.folders import plotted_runs
    from sim.outputs.plots import Bands

    simulation = getattr(result, "_simulation", None)
    if simulation is not None:
        return Bands.of(first_runs(simulation.held, PLOT_RUNS))
    return Bands.of(plotted_runs(_folder(result), PLOT_RUNS))


def _drawn(name: str, draw: Callable[..., Figure], result: Result | str | Path, *extra: object) -> Figure:
    """`draw` of the result's bands (and `extra`), with the caption and source line its file has."""
    bands = _bands(result)
    return _captioned(draw(bands, *extra), name, bands, result)


def _captioned(fig: Figure, name: str, bands: Bands, result: Result | str | Path) -> Figure:
    """The figure with its caption and source line, as its file has them: the runs and seed of a Result's
    simulation, or of a folder's manifest."""
    from sim.outputs.folders import read_manifest
    from sim.outputs.plots import CAPTIONS, captioned, source_line
    from sim.outputs.results import provenance

    simulation = getattr(result, "_simulation", None)
    if simulation is not None:
        made = (simulation.runs, simulation.seed, str(provenance()["alliance-sim"]))
    else:
        manifest = read_manifest(_folder(result))
        made = (int(manifest["runs"]), int(manifest["seed"]), str(manifest["made_by"]["alliance-sim"]))
    captioned(fig, CAPTIONS[name], source_line(bands, *made))
    return fig


def _events(result: Result | str | Path) -> pd.DataFrame | None:
    """The event log: a Result's, or a folder's events.csv."""
    from sim.outputs.folders import event_log, load_outcome

    if not isinstance(result, str | Path):
        return result.events

    log: pd.DataFrame | None = event_log(load_outcome(str(_folder(result))))
    return log


def _folder(result: Result | str | Path) -> Path:
    from sim.inputs.documents import InputError

    folder = result if isinstance(result, str | Path) else getattr(result, "folder", None)
    if folder is None:
        raise InputError("this result holds its runs in memory only: simulate it with out=FOLDER to compare it")
    return Path(folder)
