"""The visualizer without a browser: sessions, levers, events, the SVG pictures, the lesson, the `viz` command."""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import subprocess
import sys

import numpy as np
import pytest
import solara.util
from helpers import ROOT, cli

from sim.cli import viz as viz_command
from sim.cli.viz import command, is_loopback
from sim.inputs.geography import REGIONS
from sim.inputs.packaged import SCENARIOS
from sim.inputs.parameters import BY_NAME
from sim.inputs.vocabulary import attribute_bound
from sim.model.events import LEVER
from sim.outputs.colors import KNOWN
from sim.viz import buttons, charts, lesson, mapview, scenario_files
from sim.viz import session as session_module
from sim.viz.classroom import start
from sim.viz.safety import drawn
from sim.viz.session import Session, Settings
from sim.viz.teaching import (
    DECIDED,
    LEVERS,
    TEACHER,
    TeachingModel,
    china_investment_surge,
    crisis,
    parse_seed,
    us_exercises,
)

HORIZON = "2025-01"


@pytest.fixture(scope="module")
def baseline() -> TeachingModel:
    return TeachingModel()


def column(model: TeachingModel, attribute: str, power: str) -> np.ndarray:
    return getattr(model.world, attribute)[..., model.powers.index(power)].copy()


def run_to(model: TeachingModel, date: str) -> TeachingModel:
    while model.date < date:
        model.step()
    return model


@pytest.fixture(scope="module")
def plain_2025() -> TeachingModel:
    return run_to(TeachingModel(), HORIZON)


def test_picker_lists_every_scenario_file_baseline_first():
    names = scenario_files()
    assert sorted(names) == sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    assert names[0] == "baseline.yaml"


@pytest.mark.parametrize(("text", "seed"), [("12", 12), (" 7 ", 7), (3, 3), ("abc", None), ("-1", None), ("1.5", None)])
def test_seed_typed_into_the_page(text, seed):
    assert parse_seed(text) == seed


def test_bad_seed_falls_back_to_zero_with_a_note():
    model = TeachingModel(seed="forty-two")
    assert model.seed == 0 and "not a whole number" in model.notes[0]
    fresh = TeachingModel(seed="0")
    for m in (model, fresh):
        run_to(m, "2021-03")
    np.testing.assert_allclose(model.world.alignment, fresh.world.alignment)


BROKEN = {
    "syntax.yaml": "name: [unclosed\n",
    "types.yaml": "name: x\nstart: 2021-01\nend: 2022-01\nstrategies: [1, 2]\n",
    "dates.yaml": "name: x\nstart: 2021-13\nend: 2022-01\n",
    "loop.yaml": "name: x\nextends: loop.yaml\nstart: 2021-01\nend: 2022-01\n",
    "nan.yaml": "name: x\nstart: 2021-01\nend: 2022-01\nparameters: {adjustment_rate: .nan}\n",
    "binary.yaml": "\x00\x01\x02name",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_scenario_gives_one_line_and_the_baseline(tmp_path, name):
    (tmp_path / name).write_text(BROKEN[name])
    model = TeachingModel(name, scenarios_dir=tmp_path)
    assert model.scenario_name == "baseline.yaml" and len(model.notes) == 1
    note = model.notes[0]
    assert "\n" not in note and "Traceback" not in note and name in note and "baseline" in note


def test_a_run_that_breaks_stops_with_one_line(monkeypatch):
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    monkeypatch.setattr(session.model, "step", lambda: (_ for _ in ()).throw(ValueError("bad\nsecond line")))
    assert not session.step() and not session.running
    assert session.error == "baseline.yaml: bad"


def test_when_no_model_can_be_built_the_page_gets_one_line(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("evidence.yaml:12: entries[3]: unknown power 'XX'\nmore detail")

    monkeypatch.setattr(session_module, "TeachingModel", broken)
    line = start(Settings("baseline.yaml"), SCENARIOS)
    assert line == "baseline.yaml: evidence.yaml:12: entries[3]: unknown power 'XX'"


def test_each_session_has_its_own_model_and_a_baseline_twin():
    one, two = (Session(Settings("baseline.yaml"), SCENARIOS) for _ in range(2))
    assert one.model is not two.model and one.baseline is not one.model
    for _ in range(3):
        one.step()
    two.step()
    assert (one.model.steps, two.model.steps, one.baseline.steps) == (3, 1, 3)
    np.testing.assert_allclose(one.model.world.alignment, one.baseline.world.alignment)  # nothing changed yet
    one.trigger(china_investment_surge)
    assert [e.source for e in one.model.event_log].count(TEACHER) == 1
    assert TEACHER not in {e.source for e in one.baseline.event_log} | {e.source for e in two.model.event_log}
    for _ in range(6):
        one.step()
    assert not np.allclose(one.model.world.alignment, one.baseline.world.alignment)


def test_back_returns_to_the_month_before_with_the_numbers_shown_then():
    session = Session(Settings("baseline.yaml", levers=(("china_engagement", 2.0),)), SCENARIOS)
    for _ in range(5):
        session.step()
    session.trigger(lambda m: crisis(m, "Armenia"))
    session.step()
    shown = session.model.world.alignment.copy(), [e.label for e in session.model.event_log]
    for _ in range(3):
        session.step()
    session.trigger(china_investment_surge)  # pressed in a month that Back then leaves
    assert session.back(to=6) and session.model.steps == 6 and session.baseline.steps == 6
    np.testing.assert_array_equal(session.model.world.alignment, shown[0])
    assert [e.label for e in session.model.event_log] == shown[1]
    before = session.model.world.alignment.copy()
    session.step()
    assert session.back() and session.model.steps == 6
    np.testing.assert_array_equal(session.model.world.alignment, before)


def test_back_at_the_first_month_does_nothing():
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    version = session.version
    assert not session.back() and session.model.steps == 0 and session.version == version


def test_a_failing_panel_gives_one_line_on_the_page_and_one_on_the_terminal(capsys):
    session = Session(Settings("baseline.yaml"), SCENARIOS)

    def broken() -> str:
        raise KeyError("/home/teacher/alliance-sim/sim/viz/mapview.py: no place\nline two")

    line = drawn(session, "map", broken)
    assert line.startswith('<div class="panel-failed"') and "The map could not be drawn" in line
    assert "mapview.py" in line and "/home" not in line and "Traceback" not in line and "\n" not in line
    printed = capsys.readouterr().err
    assert printed.count("\n") == 1 and "the map could not be drawn" in printed and "/home" not in printed
    assert not session.lock.locked()
    assert drawn(session, "map", lambda: "<svg/>") == "<svg/>"


def test_a_page_whose_map_fails_shows_one_line_there_and_keeps_stepping(monkeypatch, capsys):
    import ipyvue
    import ipyvuetify
    import solara
    from solara.server import kernel_context

    from sim.viz.classroom import Classroom

    def broken(*drawn):
        raise RuntimeError("/srv/alliance-sim/sim/viz/mapview.py: no place for Armenia")

    monkeypatch.setattr(mapview, "alignment_map", broken)
    context = kernel_context.create_dummy_context()
    try:
        with context:
            _, page = solara.render(Classroom(SCENARIOS, scenario_files(SCENARIOS)), handle_error=False)

            def shown() -> list[str]:
                (painter,) = [w for w in page.find(ipyvue.VueTemplate).widgets if w.has_trait("panels")]
                return list(painter.panels.values())

            assert sum("panel-failed" in html for html in shown()) == 1
            assert sum("<svg" in html for html in shown()) == 2  # both charts still drawn
            page.find(ipyvuetify.Btn, children=["Step"]).widget.fire_event("click", {})
            assert any('id="month">2021-02<' in html for html in shown())
            assert not any("Traceback" in html or "/srv" in html for html in shown())
            page.close()
    finally:
        with contextlib.suppress(Exception):  # closing a kernel made for a test leaves no page to tell
            context.close()
    line = "alliance-sim viz: the map could not be drawn: RuntimeError: mapview.py: no place for Armenia"
    assert capsys.readouterr().err.splitlines() == [line, line]  # one line per failure: the first month, the next


def test_settings_record_the_sliders_and_tell_what_changed():
    first, (one, two) = Settings("baseline.yaml"), (lever.name for lever in LEVERS[:2])
    moved = first.with_lever(one, 2.0).with_lever(two, 0.5)
    assert moved != first and moved.factor(one) == 2.0 and first.factor(one) == 1.0
    assert moved == first.with_lever(two, 0.5).with_lever(one, 2.0)  # order does not matter
    assert Session(moved, SCENARIOS).settings == moved
    assert moved.with_lever(one, 1.0) == first.with_lever(two, 0.5)  # a slider moved back to 1 is no change


def test_settings_survive_a_reload_through_the_page_address():
    choices = scenario_files()
    lever = LEVERS[0]
    chosen = Settings(choices[-1], "7").with_lever(lever.name, lever.high)
    assert Settings.from_query(chosen.query(), choices) == chosen
    assert Settings.from_query(None, choices) == Settings(choices[0])
    hostile = f"scenario=../../etc/passwd&seed=1&{lever.name}=nan&nosuch=2&{LEVERS[1].name}={LEVERS[1].high + 1}"
    assert Settings.from_query(hostile, choices) == Settings(choices[0], "1")


@pytest.mark.parametrize("lever", LEVERS, ids=[lever.name for lever in LEVERS])
def test_each_lever_scales_its_target_from_the_first_month(baseline, lever):
    factor = lever.high
    moved = TeachingModel(levers={lever.name: factor})
    if lever.power is None:
        (name,) = lever.attributes
        spec = BY_NAME[name]
        assert moved.params[name] == pytest.approx(np.clip(baseline.params[name] * factor, spec.low, spec.high))
    else:
        for attribute in lever.attributes:
            before, after = column(baseline, attribute, lever.power), column(moved, attribute, lever.power)
            np.testing.assert_allclose(after, np.clip(before * factor, 0, attribute_bound(attribute)))
            assert (after >= before).all() and (after > before).any()
    assert moved.levers == {lever.name: factor} and moved.event_log[0].source == TEACHER
    np.testing.assert_allclose(moved.world.alignment, baseline.world.alignment)  # the drift starts with the first step


@pytest.mark.parametrize(
    ("lever", "factor"),
    [(lever, end) for lever in LEVERS for end in (lever.low, lever.high)],
    ids=[f"{lever.name}-x{end:g}" for lever in LEVERS for end in (lever.low, lever.high)],
)
def test_each_lever_at_its_ends_changes_a_main_partner_or_a_share_by_5_points_by_2025(plain_2025, lever, factor):
    moved = run_to(TeachingModel(levers={lever.name: factor}), HORIZON)
    before, after = plain_2025.world.alignment[0], moved.world.alignment[0]
    flips = [s for s in moved.states if after[moved.states.index(s)].argmax() != before[moved.states.index(s)].argmax()]
    largest = 100 * np.abs(after - before).max()
    assert flips or largest >= 5, f"{lever.label} {factor:g}: largest change {largest:.1f} points, no partner changes"


def test_a_lever_for_a_power_the_scenario_lacks_says_so(tmp_path):
    (tmp_path / "three.yaml").write_text("name: three\nstart: 2021-01\nend: 2021-06\npowers: [Russia, US, Turkey]\n")
    model = TeachingModel("three.yaml", scenarios_dir=tmp_path, levers={"china_engagement": 2.0})
    assert model.notes and "China" in model.notes[0] and not model.levers


def test_china_surge_raises_its_interest_in_central_asia_only():
    model = TeachingModel()
    before = column(model, "interest", "China")[0]
    model.trigger(china_investment_surge(model)[0])
    central = np.isin(model.states, REGIONS["Central Asia"])
    after = column(model, "interest", "China")[0]
    np.testing.assert_allclose(after[central], np.minimum(1.5 * before[central], 5.0))
    np.testing.assert_allclose(after[~central], before[~central])
    assert model.event_log[-1].source == TEACHER and model.event_log[-1].date == "2021-02"


def test_us_exercises_add_security_ties_in_central_asia_only():
    model = TeachingModel()
    security = column(model, "security", "US")[0]
    for change in us_exercises(model):
        model.trigger(change)
    central = np.isin(model.states, REGIONS["Central Asia"])
    assert (column(model, "security", "US")[0][central] > security[central]).all()
    np.testing.assert_allclose(column(model, "security", "US")[0][~central], security[~central])
    assert len(model.event_log) == 2


def test_an_attack_makes_the_state_appeal_to_its_patron_next_month():
    model = run_to(TeachingModel(), "2022-10")
    for change in crisis(model, "Kyrgyzstan"):
        model.trigger(change)
    assert model.event_log[-1].label == "Kyrgyzstan comes under attack" and model.event_log[-1].date == "2022-11"
    model.step()
    appeals = [e for e in model.event_log if e.date == "2022-11" and e.source == DECIDED and "Kyrgyzstan" in e.label]
    assert appeals and 0 <= appeals[0].answered <= 1


def test_an_event_pressed_says_which_states_it_acts_on_so_the_page_can_follow_one():
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    assert session.trigger(lambda m: crisis(m, "Kyrgyzstan")) == ["Kyrgyzstan"]
    assert session.trigger(us_exercises) == [s for s in REGIONS["Central Asia"] if s in session.model.states]


def test_this_month_names_the_largest_move_and_its_cause():
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    assert "starting picture" in session.this_month()
    session.trigger(lambda m: crisis(m, "Armenia"))
    session.step()
    change = session.model.history["alignment"][-1] - session.model.history["alignment"][-2]
    s, p = np.unravel_index(np.abs(change).argmax(), change.shape)
    line = session.this_month()
    assert line.startswith(f"2021-02: largest move {session.model.states[s]} {session.model.powers[p]}")
    assert f"{100 * change[s, p]:+.1f} points" in line and "(you)" in line


def test_the_map_shows_every_state_as_a_pie_with_its_shares_as_a_tooltip(baseline):
    svg = mapview.alignment_map(baseline)
    assert svg.count('<g class="pie"') == len(baseline.states)
    for s, state in enumerate(baseline.states):
        top = baseline.powers[int(baseline.world.alignment[0, s].argmax())]
        assert re.search(rf"<title>{state}: [^<]*{top} \d+%", svg)
    for power in baseline.powers:
        assert f">{power}</text>" in svg
    x, y = mapview.place("Armenia")
    assert mapview.wedge(x, y, 0.0, 1.0).count("a") == 2  # a whole pie is two arcs
    assert 2 * mapview.PIE_RADIUS >= 60 and min(mapview.DESK.name, mapview.DESK.partner) >= 14


def test_each_pie_has_a_ring_of_the_run_as_written_which_parts_from_it_when_the_class_acts():
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    session.step()
    svg = mapview.alignment_map(session.model, written=session.baseline)
    assert svg.count('class="ring"') >= len(session.model.states) and "the ring around a pie" in svg
    assert re.search(r"<title>Armenia: ([^;<]*); as written \(the ring\): \1</title>", svg), "as written, same shares"
    for _ in range(3):
        session.trigger(china_investment_surge)
        session.step()
    svg = mapview.alignment_map(session.model, written=session.baseline)
    tips = re.findall(r"<title>(\w+): ([^;<]*); as written \(the ring\): ([^<]*)</title>", svg)
    assert len(tips) == len(session.model.states)
    assert any(now != written for _, now, written in tips), "the surge moved no state away from its ring"
    assert "as written" not in mapview.alignment_map(session.model), "no ring without the run as written"


def test_places_keep_pies_and_labels_apart():
    boxes = []
    for state in mapview.PLACES:
        x, y = mapview.place(state)
        half = max(mapview.OUTER, 0.62 * mapview.DESK.name * len(state) / 2)
        boxes.append((x - half, y - mapview.OUTER, x + half, y + mapview.OUTER + 44))
        assert 0 <= x - half and x + half <= mapview.WIDTH and y + mapview.OUTER + 44 <= mapview.HEIGHT
        for sizes in (mapview.DESK, mapview.PRESENTER):  # the partner's line ends inside the map
            assert y + mapview.OUTER + sizes.name + sizes.partner + 8 <= mapview.height(sizes), (state, sizes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_charts_draw_the_run_over_its_baseline_with_event_marks():
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    session.trigger(us_exercises)
    for _ in range(10):
        session.step()
    model = session.model
    history = charts.state_history(model, session.baseline, "Armenia")
    leaning = charts.leaning_counts(model, session.baseline)
    for svg in (history, leaning):
        assert svg.count('stroke-dasharray="6 4"') == len(model.powers)  # the baseline, one per power
        assert svg.count("<polyline") == 2 * len(model.powers)
        assert 'class="marker you"' in svg and "US exercises in Central Asia" in svg
        assert svg.count('class="marker') == len({e.date for e in model.event_log})
    assert "Armenia" in history and ">2021</text>" in history


def test_presenter_marks_carry_level_labels_that_stay_in_the_chart_and_never_overlap():
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    for month in range(30):
        if month % 4 == 0:
            session.trigger(us_exercises if month % 8 else china_investment_surge)
        session.step()
    svg = charts.state_history(session.model, session.baseline, "Armenia", charts.PRESENTER)
    found = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="(start|end)" font-size="(\d+)" '
                       r'class="ink mark-label">([^<]+)</text>', svg)  # fmt: skip
    assert len(found) >= 3 and "rotate" not in svg, "the presenter's marks are labelled, level"
    spans = []
    for x, y, anchor, size, text in found:
        width = charts.LABEL_WIDTH * int(size) * len(text)
        start = float(x) if anchor == "start" else float(x) - width
        assert charts.PRESENTER.left <= start and start + width <= charts.WIDTH - charts.RIGHT, text
        assert charts.PRESENTER.top < float(y) < charts.HEIGHT - charts.BOTTOM, text
        spans.append((float(y), start, start + width))
    for i, (y, a, b) in enumerate(spans):
        assert all(y != y2 or b < a2 or b2 < a for y2, a2, b2 in spans[i + 1 :]), "two labels overlap"
    assert "mark-label" not in charts.state_history(session.model, session.baseline, "Armenia")  # not at a desk


def test_the_time_axis_grows_two_years_at_a_time(baseline):
    model = TeachingModel()
    assert charts.span(model) == 24
    run_to(model, "2023-02")
    assert charts.span(model) == 48


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour written #RRGGBB."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2.x contrast ratio, (lighter + 0.05) / (darker + 0.05)."""
    dark, light = sorted((relative_luminance(one), relative_luminance(other)))
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_gives_wcag_s_known_ratios():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#4CAF50", "#FFFFFF") == pytest.approx(2.78, abs=0.01)  # Vuetify's success green: fails AA


@pytest.mark.parametrize("name", buttons.TONES)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_button_tone_meets_wcag_aa_text_contrast_in_both_themes(name, theme):
    tone = buttons.TONES[name][theme]
    assert contrast(tone.text, tone.background) >= 4.5, f"{name} in the {theme} theme"
    assert tone.filled or tone.background == buttons.PAGE[theme]
    assert contrast(buttons.FOCUS[theme], buttons.PAGE[theme]) >= 3.0


def test_every_button_on_the_page_has_a_tone_the_css_colours():
    source = (ROOT / "sim" / "viz" / "components.py").read_text()
    used = set(re.findall(r"tone-(\w+)", source))
    assert used == set(buttons.TONES), "a button without colours of its own, or a tone nothing uses"
    assert "color=" not in source, "a button coloured by Vuetify's theme, whose contrast is not checked"
    css = buttons.css()
    for name, themes in buttons.TONES.items():
        for theme, tone in themes.items():
            assert f".theme--{theme} .v-btn.tone-{name}:not(.v-btn--disabled) {{ color: {tone.text} !important;" in css


def test_the_lesson_in_the_docs_is_what_the_model_gives_now():
    """Fails when a model change moves a number in docs/teaching.md: `python docs/regenerate.py --lesson` mends it."""
    written = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    assert written == lesson.render(), "docs/teaching.md is stale: run python docs/regenerate.py --lesson"
    assert f"seed {lesson.SEED}" in written


@pytest.mark.slow
def test_the_page_makes_no_model_at_import_and_does_not_load_altair():
    code = (
        "import sys; import sim.viz.teaching as t; made = []; init = t.TeachingModel.__init__\n"
        "t.TeachingModel.__init__ = lambda self, *a, **k: made.append(1) or init(self, *a, **k)\n"
        "import sim.viz.app as app; print(len(made), 'mesa.visualization' in sys.modules, 'altair' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["0", "False", "False"], out.stderr


def test_viz_command_serves_locally_without_opening_a_browser():
    line = command("127.0.0.1", 8765)
    assert line[line.index("--host") + 1] == "127.0.0.1" and line[line.index("--port") + 1] == "8765"
    assert "--no-open" in line and line[-1] != "" and str(ROOT / "sim" / "viz" / "app.py") in line
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def environment_of_the_server(monkeypatch, name: str, value: str | None) -> dict[str, str]:
    """The environment `alliance-sim viz` starts the server with, when the user's own has `name` set to
    `value` (or unset)."""
    started: dict[str, str] = {}
    monkeypatch.setattr(viz_command.os, "execve", lambda path, line, env: started.update(env))
    monkeypatch.setattr(viz_command, "check_port_free", lambda host, port: None)
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)
    viz_command.cmd_viz(argparse.Namespace(host="127.0.0.1", port=8765, scenarios=None))
    return started


@pytest.mark.parametrize("asked", [None, "30s"])
def test_the_server_frees_a_closed_tab_s_run_after_minutes_unless_told_otherwise(monkeypatch, asked):
    started = environment_of_the_server(monkeypatch, "SOLARA_KERNEL_CULL_TIMEOUT", asked)
    assert started["SOLARA_KERNEL_CULL_TIMEOUT"] == (asked or viz_command.KEPT_AFTER_CLOSE)
    assert solara.util.parse_timedelta(viz_command.KEPT_AFTER_CLOSE) <= 600  # not Solara's day


@pytest.mark.parametrize("theirs", [None, "error::DeprecationWarning"])
def test_the_server_keeps_solara_s_cookie_warning_out_of_the_terminal_and_the_user_s_filters(monkeypatch, theirs):
    started = environment_of_the_server(monkeypatch, "PYTHONWARNINGS", theirs)
    assert started["PYTHONWARNINGS"].split(",") == [*filter(None, [theirs]), viz_command.COOKIE_WARNING]


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
    code = (
        "import sys; from sim.cli.main import build_parser; build_parser(); "
        "print('solara' in sys.modules, 'mesa' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_the_map_draws_the_land_borders_with_the_conflict_borders_and_no_sea_crossing(baseline):
    drawn_pairs = {frozenset(pair) for pair in mapview.borders(tuple(baseline.states))}
    must = [("Armenia", "Azerbaijan"), ("Kyrgyzstan", "Tajikistan"), ("Armenia", "Georgia"),
            ("Kazakhstan", "Turkmenistan"), ("Turkmenistan", "Uzbekistan"), ("Tajikistan", "Uzbekistan")]  # fmt: skip
    must_not = [("Azerbaijan", "Turkmenistan"), ("Azerbaijan", "Kazakhstan"), ("Belarus", "Moldova"),
                ("Kazakhstan", "Tajikistan"), ("Georgia", "Moldova")]  # fmt: skip
    assert all(frozenset(pair) in drawn_pairs for pair in must)
    assert not any(frozenset(pair) in drawn_pairs for pair in must_not)
    assert len(drawn_pairs) == 10
    svg = mapview.alignment_map(baseline)
    assert svg.count('class="border"') == 8 and svg.count('class="border conflict"') == 2


def test_a_slider_moved_at_month_12_changes_the_months_after_it_only_and_back_replays_it():
    moved, plain = Session(Settings("baseline.yaml"), SCENARIOS), Session(Settings("baseline.yaml"), SCENARIOS)
    for _ in range(12):
        moved.step()
        plain.step()
    moved.move("china_engagement", 3.0)
    assert moved.settings.factor("china_engagement") == 3.0
    for _ in range(12):
        moved.step()
        plain.step()
    run, written = (np.stack(s.model.history["alignment"]) for s in (moved, plain))
    assert np.array_equal(run[:13], written[:13]), "the slider acted before the month it was moved"
    assert np.abs(run[14:] - written[14:]).max() > 0.001, "the slider changed nothing after its month"
    logged = [e for e in moved.model.event_log if e.source == TEACHER]
    assert [(e.date, e.label) for e in logged] == [(moved.model.setup.scenario.date(12),
                                                    "teacher set China's investment to ×3")]  # fmt: skip
    assert moved.back(to=20) and np.array_equal(np.stack(moved.model.history["alignment"]), run[:21])
    assert moved.back(to=11) and moved.settings.factor("china_engagement") == 1.0
    assert not [e for e in moved.model.event_log if e.source == TEACHER]


def test_a_lever_moved_twice_in_a_month_is_logged_once_by_name_and_two_levers_twice():
    session = Session(Settings("baseline.yaml"), SCENARIOS)
    session.step()
    session.move("china_engagement", 2.0)
    session.move("china_engagement", 3.0)
    session.move("us_engagement", 2.0)
    logged = [e for e in session.model.event_log if e.source == TEACHER]
    assert [(e.kind, e.attribute, e.power) for e in logged] == [
        (LEVER, "china_engagement", "China"),
        (LEVER, "us_engagement", "US"),
    ]
    assert logged[0].label == "teacher set China's investment to ×3"


def test_the_powers_colours_stay_apart_under_normal_vision_and_every_colour_blindness():
    import importlib.util

    spec = importlib.util.spec_from_file_location("colour_vision", ROOT / "benchmarks" / "colour_vision.py")
    vision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vision)
    assert vision.minimum({"a": "#D55E00", "b": "#0072B2", "c": "#009E73", "d": "#CC79A7", "e": "#56B4E9"}) < 17
    seen = vision.distances(KNOWN)
    assert set(seen) == {"normal", "protanopia", "deuteranopia", "tritanopia"}
    assert all(d >= 38.5 for d, _, _ in seen.values()), seen  # 38.7 reached; 25 is the aim


def test_the_shares_table_says_how_far_each_state_is_from_the_run_as_written():
    from sim.viz.components import shares_table

    session = Session(Settings("baseline.yaml"), SCENARIOS)
    for _ in range(6):
        session.step()
    assert re.findall(r'id="change-\w+">([^<]*)<', shares_table(session.model, session.baseline)) == ["none"] * 10
    session.move("china_engagement", 3.0)
    for _ in range(12):
        session.step()
    table = shares_table(session.model, session.baseline)
    assert "change vs as written" in table
    s, p = divmod(int(np.abs(session.model.world.alignment[0] - session.baseline.world.alignment[0]).argmax()), 4)
    points = 100 * (session.model.world.alignment[0, s, p] - session.baseline.world.alignment[0, s, p])
    state, power = session.model.states[s], session.model.powers[p]
    assert abs(points) >= 0.5 and f'id="change-{state}">{power} {points:+.1f}<' in table


def test_why_a_state_moved_is_explain_s_decomposition_of_the_same_run():
    from dataclasses import replace

    from sim.experiments.attribution import event_parts, removable, without_event
    from sim.experiments.uncertainty import simulate_uncertain
    from sim.model.ensemble import run_seed
    from sim.viz import why

    steps = 20
    session = Session(Settings("baseline.yaml", str(run_seed(0, 0))), SCENARIOS)  # the ensemble's run 0 of seed 0
    for _ in range(steps):
        session.step()
    found = why.why(session, "Armenia")
    setup = session.model.setup
    setup = replace(setup, scenario=replace(setup.scenario, months=steps))

    def shares(of) -> np.ndarray:
        return simulate_uncertain(of, 1, 0, ("shocks",), None).alignment[0]  # (T, S, P)

    run = shares(setup)
    np.testing.assert_allclose(run[steps], session.model.world.alignment[0], atol=1e-12)  # the same run
    fired = [event for event in removable(setup) if event[0] <= steps]
    without = [shares(without_event(setup, event)) for event in fired]
    named = [(setup.events[m][i].date, setup.events[m][i].label.split(";")[0]) for m, i in fired]
    s = session.model.states.index("Armenia")
    for move, first in ((found.start, 0), (found.month, steps - 1)):
        p = session.model.powers.index(move.power)
        change = run[steps, s, p] - run[first, s, p]
        parts = event_parts(change, [w[steps, s, p] - w[first, s, p] for w in without], named)[: why.SHOWN]
        assert move.change == pytest.approx(100 * change, abs=1e-9)
        assert [(date, label) for date, label, _ in move.causes] == [(date, label) for date, label, _ in parts]
        np.testing.assert_allclose([c[2] for c in move.causes], [100 * part for *_, part in parts], atol=1e-9)
    assert found.start.causes, "no cause found for Armenia's move since the start"
    text = why.panel(found)
    assert "Armenia" in text and f"{found.start.causes[0][2]:+.1f}" in text


def test_the_causes_are_given_up_when_the_page_moves_on_and_made_once_when_it_rests(monkeypatch):
    from sim.viz import why

    session = Session(Settings("baseline.yaml"), SCENARIOS)
    for _ in range(6):
        session.step()
    made = []
    replay = why.replay
    monkeypatch.setattr(why, "replay", lambda run, leave: made.append(leave) or replay(run, leave))
    assert why.replays(session, stop=lambda: len(made) >= 2) is None, "a Step during the work stops it"
    assert len(made) == 2 and session not in why.MADE, "stopped work is neither finished nor kept"
    found = why.replays(session)
    assert found is not None and len(found.without) == len(made) - 2 > 2
    assert why.replays(session, stop=lambda: True) is found, "a month rested on is worked out once"


def test_what_really_happened_agrees_with_the_hindcast_scoring_of_the_same_run():
    from sim.experiments.validation import margin, per_run
    from sim.viz import record

    model = TeachingModel()
    run_to(model, "2023-03")
    assert record.judged(model) == []  # nothing shown while the run is within the documents
    run_to(model, "2024-12")
    found = record.judged(model)
    due = [f for f in found if f.verdict != record.LATER]
    assert due and any(f.verdict == record.LATER for f in found)  # facts of 2025 are still to come
    assert all((f.verdict == record.LATER) == (f.month > model.date) for f in found)
    values = per_run(model.trajectories(), [f.target for f in due])[0]
    met = [bool(margin(f.target, values[k]) > 0) for k, f in enumerate(due)]
    assert [f.verdict == record.MET for f in due] == met
    assert {record.MET, record.MISSED} <= {f.verdict for f in due}
    text = record.panel(found, model.date)
    assert f"meets {sum(met)} of the {len(due)} facts" in text and "<script" not in text


def test_the_run_as_csv_holds_every_month_shown_so_far_as_the_session_s_history():
    import io

    import pandas as pd

    from sim.viz import takeaway

    session = Session(Settings("baseline.yaml", "3"), SCENARIOS)
    for _ in range(3):
        session.step()
    session.trigger(china_investment_surge)
    for _ in range(3):
        session.step()
    model = session.model
    frame = pd.read_csv(io.StringIO(takeaway.csv(session)))
    assert len(frame) == 7 * len(model.states) * len(model.powers)
    assert list(frame["date"].unique()) == model.setup.scenario.dates[:7]
    s = frame["state"].map(model.states.index).to_numpy()
    p = frame["power"].map(model.powers.index).to_numpy()
    for series in ("alignment", "credibility", "outreach"):
        expected = model.history[series][frame["step"].to_numpy(), s, p]
        np.testing.assert_allclose(frame[series].to_numpy(), expected, rtol=1e-6)


def test_the_handout_names_the_current_settings_and_escapes_what_users_wrote(tmp_path):
    from sim.viz import takeaway

    (tmp_path / "baseline.yaml").write_text((SCENARIOS / "baseline.yaml").read_text())
    (tmp_path / "evil.yaml").write_text(
        'name: evil_one\ndescription: "What if <script>alert(1)</script> & more?"\nextends: baseline.yaml\n'
    )
    session = Session(Settings("evil.yaml", "5").with_lever("china_engagement", 1.5), tmp_path)
    session.step()
    session.move("us_engagement", 2.0)
    session.step()
    page = takeaway.handout(session, "Georgia")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more?" in page
    for said in ("Seed: 5", "China&#x27;s investment × 1.5", "US engagement × 2", "Month shown: 2021-03"):
        assert said in page, said
    assert page.count("<svg") == 3 and "Georgia: share with each power" in page
    assert "15-minute lesson" in page and "<h2>" in page  # the lesson's text follows
    assert takeaway.png(takeaway.pictures(session, "Georgia")["map"]).startswith(b"\x89PNG")
