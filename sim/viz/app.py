"""The classroom page, started by `alliance-sim viz` (or `solara run sim/viz/app.py`).

Every browser gets its own model, made inside the page when it first renders (see classroom.py):
nothing about a run lives at module level, so pages never share a model and a reload starts
afresh. The scenario picker offers every file in the folder named by ALLIANCE_SIM_SCENARIOS
(default: scenarios/). Neither mesa.visualization nor altair is imported.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import solara

from sim.inputs.documents import InputError
from sim.inputs.packaged import SCENARIOS
from sim.viz import ADDRESS_ENV, SCENARIOS_ENV, buttons, scenario_files

TITLE = "Post-Soviet alignment: classroom view"
FOLDER = Path(os.environ.get(SCENARIOS_ENV) or SCENARIOS)
CHOICES = scenario_files(FOLDER) or ["baseline.yaml"]


def get_ready() -> None:
    """Import the model's modules (Mesa, pandas, SciPy: a second or two), read the evidence file once and
    draw the page once unseen, then say on the terminal that the page is ready.

    Run in a thread at start, so that the server answers at once; the unseen page pays for the first use
    of Solara's widgets and the model, which the first browser would otherwise wait for.
    """
    importlib.import_module("sim.viz.classroom")
    with contextlib.suppress(InputError):  # a broken evidence file: the page says so in one line
        importlib.import_module("sim.viz.teaching").shared_evidence()
    draw_unseen()
    if address := os.environ.get(ADDRESS_ENV):
        if wait_listening(address):
            print(f"alliance-sim visualizer ready: open {address} in a browser (Ctrl-C stops it)", flush=True)


def draw_unseen() -> None:
    """Render the page once in a kernel of its own, shown to nobody, and close it."""
    from solara.server import kernel_context

    # Only a head start: whatever fails here, a browser's page shows in one line.
    with contextlib.suppress(Exception):
        context = kernel_context.create_dummy_context()
        with context:
            _, rendered = solara.render(Page(), handle_error=False)
            rendered.close()
        context.close()


def wait_listening(address: str, seconds: float = 60) -> bool:
    """Whether the server at `address` accepts connections within `seconds`."""
    where = urlsplit(address)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET6 if ":" in (where.hostname or "") else socket.AF_INET) as probe:
            if probe.connect_ex((where.hostname, where.port)) == 0:
                return True
        time.sleep(0.05)
    return False


CSS = """
.v-application { font-size: 16px; }
.classroom { padding: 0 12px 24px 12px; max-width: 1900px; margin: 0 auto; }
.top-bar { position: sticky; top: 0; z-index: 5; padding: 6px 12px; margin: 0 -12px 6px -12px; }
.date #month { font-size: 34px; font-weight: bold; letter-spacing: 1px; }
.date .of { font-size: 15px; opacity: 0.8; margin-left: 6px; }
.changed { font-weight: bold; color: #B35C00; border: 2px solid #E69F00; border-radius: 6px; padding: 2px 8px; }
.theme--dark .changed { color: #FFC857; }
.this-month { font-size: 17px; margin-top: 2px; }
.scenario-name { font-size: 17px; font-weight: bold; }
.alignment-map svg { display: block; width: 100%; max-height: calc(100vh - 150px); margin: 0 auto; }
.chart svg { display: block; width: 100%; }
svg .ink { fill: currentColor; }
svg .mark-label { paint-order: stroke; stroke: #FFFFFF; stroke-width: 5px; stroke-linejoin: round; }
.theme--dark svg .mark-label { stroke: #121212; }
svg .grid { stroke: currentColor; stroke-opacity: 0.15; }
svg line.border { stroke: #9a9a9a; stroke-width: 2; }
svg line.border.conflict { stroke-dasharray: 8 5; }
svg .pie path { stroke: white; stroke-width: 1; }
table.shares { border-collapse: collapse; font-size: 16px; }
table.shares td, table.shares th { padding: 2px 10px; text-align: right; }
table.shares th:first-child { text-align: left; }
table.shares td.top { font-weight: bold; }
table.shares caption { text-align: left; padding-bottom: 4px; font-weight: bold; }
.log-panel { height: 220px; overflow-y: auto; border: 1px solid rgba(128, 128, 128, 0.4); border-radius: 4px; }
table.event-log { border-collapse: collapse; width: 100%; font-size: 15px; }
table.event-log td, table.event-log th { padding: 2px 6px; text-align: left; vertical-align: top; }
table.event-log tr { border-bottom: 1px solid rgba(128, 128, 128, 0.25); }
table.event-log td:first-child { white-space: nowrap; }
table.event-log tr.teacher td { background: rgba(230, 159, 0, 0.22); font-weight: bold; }
table.event-log tr.decision td { background: rgba(192, 57, 43, 0.12); }
.events .v-btn { max-width: 100%; }
.lever { width: 100%; }
.lever .v-input { flex: 1 1 auto; }
.lever .v-label { min-width: 190px; }
.lever-value { min-width: 42px; font-weight: bold; font-size: 17px; text-align: right; }
.lever-value.moved { color: #B35C00; }
div:has(> b > a[href="https://solara.dev"]) { display: none; }
.theme--dark .lever-value.moved { color: #FFC857; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
.panel-failed { padding: 8px; font-size: 17px; border: 2px dashed #9a9a9a; border-radius: 6px; }
.why-panel { font-size: 16px; min-height: 3em; }
.why-panel ul { margin: 2px 0 0 0; }
.alignment-map g.pie { cursor: pointer; }
.record-panel { max-height: 260px; overflow-y: auto; font-size: 15px; }
.record-panel li.met b { color: #1B7F3B; }
.record-panel li.missed b { color: #B00020; }
.theme--dark .record-panel li.met b { color: #7BD88F; }
.theme--dark .record-panel li.missed b { color: #FF8A80; }
svg .fact.met line { stroke: #1B7F3B; }
svg .fact.met text { fill: #1B7F3B; }
svg .fact.missed line { stroke: #B00020; }
svg .fact.missed text { fill: #B00020; }
.theme--dark svg .fact.met line { stroke: #7BD88F; }
.theme--dark svg .fact.met text { fill: #7BD88F; }
.theme--dark svg .fact.missed line { stroke: #FF8A80; }
.theme--dark svg .fact.missed text { fill: #FF8A80; }
.presenter .why-panel, .presenter .v-btn, .presenter .v-label, .presenter .v-select__selection,
.presenter .scenario-name, .presenter .this-month, .presenter table.event-log, .presenter .record-panel,
.presenter table.shares, .presenter .changed, .presenter .v-expansion-panel-header, .presenter .settings,
.presenter .panel-failed { font-size: 21px !important; }
.presenter .v-btn:not(.v-btn--icon) { height: 46px !important; text-transform: none; letter-spacing: 0; }
.presenter .date #month { font-size: 36px; }
.presenter .date .of { font-size: 20px; }
.presenter .top-bar { padding: 4px 12px; }
.presenter .stage { flex-wrap: nowrap; align-items: flex-start; }
.presenter .stage > .alignment-map { flex: 0 0 62%; min-width: 0; }
.presenter .stage > :last-child { flex: 1 1 0; min-width: 0; }
.presenter .alignment-map svg { max-height: none; }
.presenter .log-panel { height: 300px; }
.presenter .controls .v-select { width: 240px !important; }
""" + buttons.css()


@solara.component
def Layout(children: list = []) -> None:  # noqa: B006 (Solara's signature for a layout)
    """The page alone, without Solara's app bar and drawer: the drawer covered the map at high zoom."""
    solara.Column(children=children, style={"padding": "0"})


@solara.component
def Page() -> None:
    """The page's title and style, and its content once the model's modules are loaded."""
    from sim.viz.classroom import Classroom  # loaded by the thread above; waits for it if still importing

    solara.Title(TITLE)
    solara.Style(CSS)
    Classroom(FOLDER, CHOICES)


# Started last, once Page exists: the thread draws it unseen.
threading.Thread(target=get_ready, daemon=True, name="get-ready").start()
