"""The visualizer without a browser: the teaching model's levers and events, its figures, the `viz` command."""

from __future__ import annotations

import socket
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, cli

from sim.geography import REGIONS
from sim.viz import command, is_loopback
from sim.viz import figures as viz_figures
from sim.viz.teaching import (
    TEACHER,
    TeachingModel,
    china_investment_surge,
    csto_appeal,
    parse_seed,
    scenario_files,
    us_exercises,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def baseline() -> TeachingModel:
    return TeachingModel()


def column(model: TeachingModel, attribute: str, power: str) -> np.ndarray:
    return getattr(model.world, attribute)[0, :, model.powers.index(power)].copy()


def test_picker_lists_every_scenario_file_baseline_first():
    names = scenario_files()
    assert sorted(names) == sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    assert names[0] == "baseline.yaml"


@pytest.mark.parametrize(("text", "seed"), [("12", 12), (" 7 ", 7), (3, 3), ("abc", None), ("-1", None), ("1.5", None)])
def test_seed_typed_into_the_page(text, seed):
    assert parse_seed(text) == seed


def test_bad_seed_falls_back_to_zero_with_a_note(baseline):
    model = TeachingModel(seed="forty-two")
    assert model.seed == 0 and "not a whole number" in model.notes[0]
    for m in (model, fresh := TeachingModel(seed="0")):
        m.step()
        m.step()
    np.testing.assert_allclose(model.world.alignment, fresh.world.alignment)


def test_broken_scenario_falls_back_to_baseline_with_a_note(tmp_path):
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    model = TeachingModel("broken.yaml", scenarios_dir=tmp_path)
    assert model.scenario_name == "baseline.yaml"
    assert "broken.yaml" in model.notes[0] and "baseline" in model.notes[0]


def test_levers_scale_the_scenario_from_the_first_month(baseline):
    moved = TeachingModel(china_outreach=2.0, russia_capacity=0.5, noise=0.0, inertia=2.0)
    np.testing.assert_allclose(column(moved, "outreach", "China"), 2 * column(baseline, "outreach", "China"))
    russia = baseline.powers.index("Russia")
    assert moved.world.free_capacity[0, russia] == pytest.approx(0.5 * baseline.world.free_capacity[0, russia])
    assert moved.params["shock_scale"] == 0.0
    assert moved.params["adjustment_rate"] == pytest.approx(2 * baseline.params["adjustment_rate"])
    assert moved.levers == {"China's investment push": 2.0, "Russia's free capacity": 0.5, "Speed of change": 2.0,
                            "Noise": 0.0}  # fmt: skip
    assert [e.source for e in moved.event_log] == [TEACHER] * 4
    np.testing.assert_allclose(moved.world.alignment, baseline.world.alignment)  # the drift starts with the first step
    for m in (moved, still := TeachingModel()):
        for _ in range(6):
            m.step()
    kazakhstan, china = moved.states.index("Kazakhstan"), moved.powers.index("China")
    assert moved.world.alignment[0, kazakhstan, china] > still.world.alignment[0, kazakhstan, china]


def test_a_lever_for_a_power_the_scenario_lacks_says_so(tmp_path):
    (tmp_path / "three.yaml").write_text("name: three\nstart: 2021-01\nend: 2021-06\npowers: [Russia, US, China]\n")
    model = TeachingModel("three.yaml", scenarios_dir=tmp_path, turkey_outreach=2.0)
    assert model.notes and "Turkey" in model.notes[0] and not model.levers


def test_china_surge_multiplies_its_outreach_in_central_asia_only():
    model = TeachingModel()
    before = column(model, "outreach", "China")
    for change in china_investment_surge(model):
        model.trigger(change)
    central = np.isin(model.states, REGIONS["Central Asia"])
    np.testing.assert_allclose(column(model, "outreach", "China")[central], 1.5 * before[central])
    np.testing.assert_allclose(column(model, "outreach", "China")[~central], before[~central])
    assert model.event_log[-1].source == TEACHER and model.event_log[-1].date == "2021-02"


def test_us_exercises_add_security_ties_and_engagement_in_central_asia():
    model = TeachingModel()
    security, outreach = column(model, "security", "US"), column(model, "outreach", "US")
    for change in us_exercises(model):
        model.trigger(change)
    central = np.isin(model.states, REGIONS["Central Asia"])
    assert (column(model, "security", "US")[central] > security[central]).all()
    assert (column(model, "outreach", "US")[central] > outreach[central]).all()
    np.testing.assert_allclose(column(model, "security", "US")[~central], security[~central])
    assert len(model.event_log) == 2


def test_csto_appeal_under_war_is_mostly_unanswered_and_costs_russia_credibility():
    model = TeachingModel()
    while model.date < "2022-10":  # after the invasion and the Kharkiv rout
        model.step()
    kyrgyzstan = model.states.index("Kyrgyzstan")
    before = column(model, "credibility", "Russia")
    for change in csto_appeal(model, "Kyrgyzstan"):
        model.trigger(change)
    logged = model.event_log[-1]
    assert "Kyrgyzstan" in logged.label and 0 < logged.answered < 0.5
    assert column(model, "credibility", "Russia")[kyrgyzstan] < before[kyrgyzstan]


def test_figures_render_every_state_and_power(baseline):
    model = TeachingModel("eu_partnership.yaml") if (ROOT / "scenarios/eu_partnership.yaml").exists() else baseline
    figure = viz_figures.alignment_map(model)
    texts = {t.get_text() for t in figure.axes[0].texts}
    assert set(model.states) <= texts and set(model.powers) <= texts
    assert len(figure.axes[0].collections[0].get_paths()) == len(model.states) * len(model.powers)  # pie wedges
    for fig in (figure, viz_figures.state_history(model, "Armenia"), viz_figures.leaning_counts(model)):
        assert viz_figures.png(fig).startswith(PNG_MAGIC)


def test_viz_command_serves_locally_without_opening_a_browser():
    line = command("127.0.0.1", 8765)
    assert line[line.index("--host") + 1] == "127.0.0.1" and line[line.index("--port") + 1] == "8765"
    assert "--no-open" in line and line[-1] != "" and str(ROOT / "sim" / "viz" / "app.py") in line
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_viz_bad_input_is_one_line_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = cli("viz", "--port", port)
    empty = cli("viz", "--scenarios", tmp_path)
    wrong_port = cli("viz", "--port", "70000")
    for result in (busy, empty, wrong_port):
        errors = [line for line in result.stderr.splitlines() if "error:" in line]
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(errors) == 1 and result.stderr.strip().endswith(errors[0])  # argparse puts its usage above
    assert "--port" in busy.stderr and str(tmp_path) in empty.stderr and "65535" in wrong_port.stderr


def test_help_does_not_load_the_visualizer():
    code = "import sys; import sim.cli; sim.cli.build_parser(); print('solara' in sys.modules, 'mesa' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"], out.stderr
