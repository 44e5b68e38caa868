"""The classroom page: Mesa's SolaraViz on the alignment model, started by `alliance-sim viz`.

Run directly with `solara run sim/viz/app.py`. The scenario picker offers every file in the
folder named by the ALLIANCE_SIM_SCENARIOS environment variable (default: scenarios/).
"""

from __future__ import annotations

import os
from pathlib import Path

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.user_param import Slider

from sim.scenario import BASELINE, SCENARIOS
from sim.viz import SCENARIOS_ENV
from sim.viz.components import AlignmentMap, EventPanel, LeaningChart, ScenarioInfo, SharesTable, StateChart
from sim.viz.teaching import LEVERS, TeachingModel, scenario_files

TITLE = "Post-Soviet alignment: classroom view"
folder = Path(os.environ.get(SCENARIOS_ENV) or SCENARIOS)
choices = scenario_files(folder) or [BASELINE.name]
first = BASELINE.name if BASELINE.name in choices else choices[0]

model_params = {
    "scenario_name": {"type": "Select", "value": first, "values": choices, "label": "Scenario (then Reset)"},
    "seed": {"type": "InputText", "value": "0", "label": "Seed (whole number)"},
    "scenarios_dir": str(folder),
    **{lever.name: Slider(lever.label, value=1.0, min=lever.low, max=lever.high, step=0.05) for lever in LEVERS},
}

CSS = """
table.shares td, table.shares th { padding: 1px 8px; text-align: right; }
table.shares td.top { font-weight: bold; }
table.shares caption { text-align: left; padding-bottom: 4px; }
table.event-log { border-collapse: collapse; width: 100%; }
table.event-log td, table.event-log th { padding: 2px 6px; text-align: left; vertical-align: top; }
table.event-log tr { border-bottom: 1px solid #eee; }
table.event-log td:first-child { white-space: nowrap; }
table.event-log tr.teacher td { background: #fff6e0; }
"""

model = solara.reactive(TeachingModel(first, scenarios_dir=folder))


@solara.component
def Page() -> None:
    """SolaraViz's controls and parameters in the sidebar; the classroom components laid out map first."""
    solara.Title(TITLE)
    solara.Style(CSS)
    SolaraViz(model, components=[], model_params=model_params, name=TITLE, play_interval=300)
    with solara.Sidebar(), solara.Card("Scenario"):
        ScenarioInfo(model.value)
    with solara.Columns([8, 4]):
        AlignmentMap(model.value)
        EventPanel(model.value)
    with solara.Columns([4, 4, 4]):
        StateChart(model.value)
        LeaningChart(model.value)
        SharesTable(model.value)


page = Page()
