"""The classroom visualizer: a Solara page driving the Mesa model (`alliance-sim viz` serves it).

Only light imports here: Solara and Mesa load in the server process that `solara run` starts.
"""

from __future__ import annotations

from pathlib import Path

from sim.inputs.packaged import BASELINE, SCENARIOS

#: Environment variables through which the server learns which scenario folder to offer, and the address to
#: announce on the terminal once the page is ready.
SCENARIOS_ENV = "ALLIANCE_SIM_SCENARIOS"
ADDRESS_ENV = "ALLIANCE_SIM_ADDRESS"
APP = Path(__file__).resolve().parent / "app.py"


def scenario_files(folder: Path = SCENARIOS) -> list[str]:
    """File names of the scenarios the page offers, baseline first."""
    names = sorted(p.name for p in Path(folder).glob("*.yaml"))
    return sorted(names, key=lambda name: name != BASELINE.name)
