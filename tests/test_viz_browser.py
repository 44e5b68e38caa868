"""The classroom visualizer driven as a teacher would, in headless Chromium: one model per browser, the
projector layout at 1280x720, Step and Play, sliders acting mid-run, events on the charts, dark mode
and a broken scenario picked in the page. Every request must stay on this machine. Speed is measured by
benchmarks/bench_viz.py, not asserted here."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers import CHROMIUM, ROOT, need_chromium
from playwright.sync_api import expect, sync_playwright

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]  # fmt: skip
BROKEN = "zz_broken.yaml"
#: Everything a teacher clicks or reads in a column must be visible and on top at its centre once the page
#: (not an inner panel) has scrolled it into view: the element itself receives a click there.
REACHABLE = """el => {
    el.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const top = document.elementFromPoint(x, y);
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height,
            onTop: !!top && (el === top || el.contains(top) || top.contains(el))};
}"""

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a server and a browser for each test: seconds each


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def viz_server(tmp_path_factory):
    """`alliance-sim viz` on a free port, offering the shipped scenarios and one broken file; yields its URL and
    its process."""
    need_chromium()
    folder = tmp_path_factory.mktemp("scenarios")
    for path in (ROOT / "scenarios").glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    (folder / BROKEN).write_text("name: broken\nstart: 2021-01\nend: 2022-01\nstrategies: [1, 2]\n")
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "viz-server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "sim", "viz", "--port", str(port), "--scenarios", str(folder)],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the page is ready when the command says so, and it listens then
            if process.poll() is not None:
                pytest.fail(f"alliance-sim viz exited early:\n{log.read_text()}")
            if f"ready: open http://127.0.0.1:{port}/" in log.read_text():
                with socket.socket() as probe:
                    assert probe.connect_ex(("127.0.0.1", port)) == 0, "said ready before listening"
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"alliance-sim viz did not say it was ready within 60 s:\n{log.read_text()}")
        yield f"http://127.0.0.1:{port}/", process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    printed = log.read_text()
    assert "Traceback" not in printed, "the server printed a traceback (see test-artifacts/viz-server.log)"
    assert "samesite" not in printed, "Solara's cookie warning reached the teacher's terminal"


@pytest.fixture(scope="session")
def server(viz_server) -> str:
    """The classroom server's URL."""
    return viz_server[0]


@pytest.fixture(scope="session")
def browser(server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(server, browser):
    """Opens fresh browser contexts (each its own session) at a size; afterwards every request must have
    stayed on 127.0.0.1."""
    contexts, requested = [], []

    def open_(width: int = 1280, height: int = 720):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        tab.on("request", lambda request: requested.append(request.url))
        tab.on("websocket", lambda socket_: requested.append(socket_.url))
        tab.goto(server)
        tab.locator(".alignment-map svg").wait_for()
        return tab

    yield open_
    for context in contexts:
        context.close()
    outside = [u for u in requested if host(u) != "127.0.0.1"]
    assert requested and not outside, f"requests left this machine: {outside[:5]}"


def host(url: str) -> str | None:
    """The host a URL goes to (blob: URLs carry the page's origin; data: URLs go nowhere)."""
    if url.startswith("data:"):
        return "127.0.0.1"
    return urlparse(url.removeprefix("blob:")).hostname


def month(page) -> str:
    return page.locator("#month").inner_text()


def step(page) -> None:
    """Click Step and wait until the month and the map have both changed."""
    before = page.evaluate("() => [document.querySelector('#step').textContent, "
                           "document.querySelector('.alignment-map').innerHTML]")  # fmt: skip
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(
        "b => document.querySelector('#step').textContent !== b[0] "
        "&& document.querySelector('.alignment-map').innerHTML !== b[1]",
        arg=before,
    )


def reset(page) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator("#step")).to_have_text("0")


def log_rows(page, kind: str):
    return page.locator(f"table.event-log tr.{kind}")


def test_each_browser_has_its_own_model_and_a_fresh_page_starts_at_the_first_month(open_page):
    first = open_page()
    expect(first).to_have_title(re.compile("classroom view"))
    expect(first.locator("#month")).to_have_text("2021-01")
    for _ in range(3):
        step(first)
    second = open_page()
    expect(second.locator("#month")).to_have_text("2021-01")
    step(second)
    second.get_by_role("button", name="China: investment surge").click()
    expect(log_rows(second, "teacher")).to_have_count(1)
    expect(second.locator("#month")).to_have_text("2021-02")
    expect(first.locator("#month")).to_have_text("2021-04")
    expect(log_rows(first, "teacher")).to_have_count(0)
    step(first)
    expect(first.locator("#month")).to_have_text("2021-05")
    expect(second.locator("#month")).to_have_text("2021-02")
    third = open_page()
    expect(third.locator("#month")).to_have_text("2021-01")
    expect(log_rows(third, "teacher")).to_have_count(0)
    first.reload()
    first.locator(".alignment-map svg").wait_for()
    expect(first.locator("#month")).to_have_text("2021-01")  # a reload starts afresh


def assert_everything_reachable(page, width: int, height: int) -> None:
    """Every button, slider and column of the shares table can be scrolled into view by the page and
    clicked there; the page never scrolls sideways."""
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= width, f"the page scrolls sideways ({wide} px wide)"
    targets = page.get_by_role("button").all() + page.locator("table.shares th").all() + page.locator(".v-slider").all()
    assert len(targets) > 15
    for target in targets:
        box = target.evaluate(REACHABLE)
        name = target.inner_text() or target.get_attribute("aria-label") or target.evaluate("e => e.outerHTML")[:80]
        assert box["width"] > 0 and box["height"] > 0, f"{name!r} is not shown"
        assert 0 <= box["left"] and box["right"] <= width and 0 <= box["top"] and box["bottom"] <= height, (name, box)
        assert box["onTop"], f"{name!r} is covered or clipped by an inner panel"
    page.evaluate("() => window.scrollTo(0, 0)")


def test_at_1280x720_everything_is_reachable_large_enough_and_nothing_clipped(open_page):
    page = open_page(1280, 720)
    assert_everything_reachable(page, 1280, 720)
    label = page.locator(".alignment-map text.ink").first.bounding_box()
    pie = page.locator(".alignment-map g.pie path").first.evaluate(
        "p => p.closest('g').querySelectorAll('path').length && "
        "[...p.closest('g').querySelectorAll('path')].reduce((b, q) => { const r = q.getBoundingClientRect(); "
        "return [Math.min(b[0], r.left), Math.max(b[1], r.right)]; }, [1e9, -1e9])"
    )
    assert label["height"] >= 14, f"map labels are {label['height']:.0f} px high"
    assert pie[1] - pie[0] >= 60, f"pies are {pie[1] - pie[0]:.0f} px across"
    map_box = page.locator(".alignment-map svg").bounding_box()
    assert map_box["width"] >= 1200, "the map is not full width"
    assert page.locator("#month").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 28
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "visualizer_1280x720.png"))


def test_at_150_percent_zoom_nothing_is_clipped_or_covered(open_page):
    page = open_page(853, 480)  # 1280x720 seen at 150 % zoom
    assert_everything_reachable(page, 853, 480)
    box = page.locator(".alignment-map svg").bounding_box()
    assert box["x"] >= 0 and box["width"] >= 800, "the map does not fill the width"


def test_the_event_log_keeps_its_height_and_the_top_bar_stays_in_view(open_page):
    page = open_page(1280, 720)
    panel = page.locator(".log-panel")
    height = panel.bounding_box()["height"]
    for _ in range(10):
        step(page)
    for _ in range(4):
        page.get_by_role("button", name="US exercises in Central Asia").click()
    expect(log_rows(page, "teacher")).to_have_count(8)
    assert panel.bounding_box()["height"] == pytest.approx(height, abs=1)
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    step_button = page.get_by_role("button", name="Step", exact=True)
    box = step_button.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 720, "Step scrolled out of view"
    step_button.click()
    expect(page.locator("#month")).to_have_text("2021-12")


#: What a traceback or a server's file path would look like on the page.
LEAK = re.compile(r"Traceback|File \"|site-packages|\w+\.py\b|(?:/[\w.-]+){3,}")


def test_three_classes_playing_60_months_at_the_fastest_pace_never_see_a_traceback(open_page):
    pages = [open_page() for _ in range(3)]
    for page in pages:
        page.get_by_role("button", name="▶ Play").click()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        for page in pages:
            text = page.locator("body").inner_text()
            assert not LEAK.search(text), f"the page shows {LEAK.search(text).group()!r}"
        if all(int(page.locator("#step").inner_text()) >= 60 for page in pages):
            break
        time.sleep(0.3)
    else:
        pytest.fail("three pages did not play 60 months within 240 s")
    for page in pages:
        expect(page.locator(".panel-failed")).to_have_count(0)
        if page.locator(".pause-button").count():
            page.locator(".pause-button").click()


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_tab_closed_while_playing_stops_playing_in_the_server(open_page, viz_server):
    pid = viz_server[1].pid
    pages = [open_page() for _ in range(2)]
    for page in pages:
        page.get_by_role("button", name="▶ Play").click()
    expect(pages[0].locator("#step")).not_to_have_text("0", timeout=10_000)
    busy = cpu_seconds(pid)
    time.sleep(3)
    busy = cpu_seconds(pid) - busy
    assert busy > 0.3, f"two pages playing cost the server only {busy:.2f} CPU-s in 3 s: nothing to measure"
    for page in pages:
        page.context.close()  # closed while playing, as a class leaving the room
    time.sleep(2)  # the server notices the dropped connections
    idle = cpu_seconds(pid)
    time.sleep(3)
    idle = cpu_seconds(pid) - idle
    assert idle < busy / 5, f"the server still spent {idle:.2f} CPU-s in 3 s after the tabs closed ({busy:.2f} playing)"


def pause_now(page) -> int:
    """Click Pause from the page itself, in the same instant as reading the month it shows; that month."""
    return page.evaluate(
        "() => { const shown = Number(document.querySelector('#step').textContent); "
        "document.querySelector('.pause-button').click(); return shown; }"
    )


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.28])
def test_pause_keeps_the_month_shown_at_the_click(open_page, delay):
    page = open_page()
    page.get_by_role("button", name="Step", exact=True).hover()
    expect(page.get_by_text("Advance one month")).to_be_visible()  # buttons, sliders and selects carry tooltips
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function("() => Number(document.querySelector('#step').textContent) >= 3")
    shown = page.locator("#step").inner_text()
    page.wait_for_function("s => document.querySelector('#step').textContent !== s", arg=shown)
    time.sleep(delay)  # from just after a month is drawn to just before the next (the pace is 0.3 s)
    paused_on = pause_now(page)
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=15_000)
    # if Play had stepped past the month shown, the page goes back to it: a replay from the seed, slower under load
    expect(page.locator("#step")).to_have_text(str(paused_on), timeout=15_000)
    time.sleep(1.0)
    assert int(page.locator("#step").inner_text()) == paused_on, "Pause did not keep the month shown at the click"
    step(page)
    assert int(page.locator("#step").inner_text()) == paused_on + 1


def shown_numbers(page) -> list[str]:
    """The month, the shares table and the map's tooltips as the page shows them, once it shows the top bar's month."""
    expect(page.locator("table.shares caption")).to_contain_text(f"Shares in {month(page)}")
    return [month(page), page.locator("table.shares").inner_text(),
            *page.locator(".alignment-map g.pie title").all_inner_texts()]  # fmt: skip


#: Records the month the top bar, the shares table's caption and the map's label show, at every change of the
#: page (before the browser paints it) and at every frame it paints.
WATCH_MONTHS = """() => { window.months = [];
    const month = (text) => ((text || "").match(/\\d{4}-\\d\\d/) || ["none"])[0];
    const read = () => window.months.push([
        month(document.querySelector("#month")?.textContent),
        month(document.querySelector("table.shares caption")?.textContent),
        month(document.querySelector(".alignment-map svg")?.getAttribute("aria-label"))]);
    new MutationObserver(read).observe(document.body, {childList: true, subtree: true, characterData: true});
    const frame = () => { read(); requestAnimationFrame(frame); };
    frame(); }"""


def test_after_step_and_back_the_top_bar_the_table_and_the_map_show_the_same_month_from_the_first_paint(open_page):
    page = open_page()
    page.evaluate(WATCH_MONTHS)
    for _ in range(3):
        for button, then in (("Step", "2021-02"), ("Step", "2021-03"), ("Back", "2021-02"), ("Back", "2021-01")):
            page.get_by_role("button", name=button, exact=True).click()
            expect(page.locator("table.shares caption")).to_contain_text(then)
            expect(page.locator("#month")).to_have_text(then)
            page.wait_for_timeout(100)
    months = page.evaluate("() => window.months")
    assert {"2021-01", "2021-02", "2021-03"} <= {top for top, _, _ in months}, "the watch saw no step"
    torn = [seen for seen in months if len(set(seen)) > 1]
    assert not torn, f"{len(torn)} of {len(months)} looks showed panels in different months, e.g. {torn[:3]}"


def test_back_returns_to_the_previous_month_with_the_same_numbers_as_before(open_page):
    page = open_page()
    expect(page.get_by_role("button", name="Back", exact=True)).to_be_disabled()
    for _ in range(3):
        step(page)
    page.get_by_role("button", name="China: investment surge").click()
    expect(log_rows(page, "teacher")).to_have_count(1)
    step(page)
    before = shown_numbers(page)
    step(page)
    assert shown_numbers(page) != before
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.locator("#month")).to_have_text(before[0])
    assert shown_numbers(page) == before
    expect(log_rows(page, "teacher")).to_have_count(1)


def test_keyboard_space_plays_and_pauses_and_the_arrows_step_and_go_back(open_page):
    page = open_page()
    page.locator("#month").click()  # the focus on the page, not in a control
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).to_have_text("1")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).to_have_text("2")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#step")).to_have_text("1")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="❚❚ Pause")).to_be_visible()
    page.wait_for_function("() => Number(document.querySelector('#step').textContent) >= 3")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible()
    paused = page.locator("#step").inner_text()
    seed = page.get_by_label("Seed (whole number)")
    seed.click()
    seed.press("ArrowLeft")  # the text field keeps its keys
    seed.press("Space")
    time.sleep(0.8)
    expect(page.locator("#step")).to_have_text(paused)
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible()


def test_the_page_says_its_language(server, open_page):
    with urllib.request.urlopen(server, timeout=30) as response:  # as served, before any script runs
        assert '<html lang="en">' in response.read().decode()
    assert open_page().evaluate("() => document.documentElement.lang") == "en"


#: Every enabled button's text colour and the first opaque background behind it, as the browser paints them.
BUTTON_COLOURS = """() => [...document.querySelectorAll('.v-btn:not(.v-btn--disabled)')].map(b => {
    let el = b, bg = null;
    while (el && !bg) {
        const c = getComputedStyle(el).backgroundColor;
        if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') bg = c;
        el = el.parentElement;
    }
    return [b.innerText.trim() || b.getAttribute('aria-label') || 'icon', getComputedStyle(b).color, bg];
})"""


def painted_contrast(text: str, background: str) -> float:
    """WCAG contrast of two computed CSS colours, the text's alpha blended over the background."""
    *fg, alpha = [float(c) for c in re.findall(r"[\d.]+", text)] + [1.0][: 4 - len(re.findall(r"[\d.]+", text))]
    bg = [float(c) for c in re.findall(r"[\d.]+", background)][:3]
    blended = [alpha * f + (1 - alpha) * b for f, b in zip(fg[:3], bg, strict=True)]

    def luminance(rgb: list[float]) -> float:
        linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    dark, light = sorted((luminance(blended), luminance(bg)))
    return (light + 0.05) / (dark + 0.05)


def test_every_button_s_text_meets_wcag_aa_contrast_in_both_themes(open_page):
    page = open_page()
    for theme in ("light", "dark"):
        toggle = page.locator(".top-bar .v-btn").last
        for _ in range(3):
            if page.locator(f".v-application.theme--{theme}").count():
                break
            toggle.click()
            page.wait_for_timeout(300)
        page.mouse.move(0, 0)  # no hover tint
        page.wait_for_timeout(300)
        painted = page.evaluate(BUTTON_COLOURS)
        assert len(painted) >= 7
        for name, text, background in painted:
            assert painted_contrast(text, background) >= 4.5, f"{name!r} in the {theme} theme: {text} on {background}"


def test_every_control_shows_where_the_keyboard_focus_is(open_page):
    page = open_page()
    page.locator("#month").click()
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e); "
            "const slot = e.closest('.v-input') && e.closest('.v-input').querySelector('.v-input__slot'); "
            "const o = slot && e.tagName === 'INPUT' ? getComputedStyle(slot) : s; "
            "return [e.tagName, e.getAttribute('role'), (e.innerText || e.getAttribute('aria-label') || '').trim(), "
            "o.outlineStyle, parseFloat(o.outlineWidth)]; }"
        )
        tag, role, name, style, width = focused
        if tag in ("BUTTON", "INPUT") or role in ("slider", "button"):
            seen.add(name or tag)
            assert style != "none" and width >= 2, f"no visible focus on {focused}"
    assert {"RESET", "▶ PLAY", "STEP"} <= seen, seen


def test_a_screen_reader_hears_the_month(open_page):
    page = open_page()
    live = page.locator("[aria-live=polite]#month-announcement")
    expect(live).to_have_text(re.compile(r"^2021-01, month 0 of \d+$"))
    step(page)
    expect(live).to_have_text(re.compile(r"^2021-02, month 1 of "))


def test_a_slider_moved_while_paused_acts_from_that_month_and_reset_starts_with_it(open_page):
    page = open_page()
    step(page)
    step(page)
    before = page.locator("table.shares").inner_text()
    slider = page.get_by_role("slider", name="China's investment ×")
    slider.focus()
    for value in ("1.1", "1.2", "1.3", "1.4", "1.5"):
        slider.press("ArrowRight")
        expect(slider).to_have_attribute("aria-valuenow", value)
    lever = page.locator(".lever", has=slider)
    expect(lever.locator(".lever-value")).to_have_text("1.5")
    moved = log_rows(page, "teacher").filter(has_text="teacher set China's investment to ×1.5")
    expect(moved).to_contain_text("2021-03")
    expect(log_rows(page, "teacher")).to_have_count(1)  # one line for the moves of one month
    expect(page.get_by_text("changed: press Reset to apply")).to_have_count(0)  # a slider waits for nothing
    assert page.locator("table.shares").inner_text() == before  # the month shown is as it was
    step(page)
    expect(page.locator("#month")).to_have_text("2021-04")
    reset(page)
    expect(log_rows(page, "teacher").filter(has_text="China's investment × 1.5 (slider)")).to_be_visible()
    expect(lever.locator(".lever-value")).to_have_text("1.5")
    step(page)
    page.reload()  # a fresh model at the first month, with the settings Reset applied
    page.locator(".alignment-map svg").wait_for()
    expect(page.locator("#month")).to_have_text("2021-01")
    expect(page.locator(".lever", has=page.get_by_role("slider", name="China's investment ×"))).to_contain_text("1.5")
    expect(log_rows(page, "teacher").filter(has_text="China's investment × 1.5 (slider)")).to_be_visible()


def test_events_are_marked_on_the_charts_over_a_faint_baseline(open_page):
    page = open_page()
    page.locator(".events .v-select").click()
    page.get_by_role("option", name="Armenia", exact=True).click()
    page.get_by_role("button", name="Attack: it calls for help").click()
    expect(log_rows(page, "teacher").filter(has_text="Armenia comes under attack")).to_contain_text("2021-02")
    step(page)
    for chart in (".state-chart", ".leaning-chart"):
        expect(page.locator(f"{chart} g.marker.you")).to_have_count(1)
        expect(page.locator(f'{chart} polyline[stroke-dasharray="6 4"]')).to_have_count(4)
    expect(page.locator(".this-month")).to_contain_text("2021-02: largest move")
    expect(page.locator(".alignment-map g.pie title").first).to_contain_text("%")


def test_the_state_chart_follows_the_state_an_event_acts_on(open_page):
    page = open_page()
    expect(page.locator(".state-chart svg")).to_have_attribute("aria-label", re.compile("Armenia"))
    page.get_by_role("button", name="Attack: it calls for help").click()  # on Kyrgyzstan, the default
    expect(page.locator(".state-chart svg")).to_have_attribute("aria-label", re.compile("Kyrgyzstan"))
    expect(page.locator(".why-panel")).to_contain_text("Kyrgyzstan")
    page.get_by_role("button", name="US exercises in Central Asia").click()  # five states: the chart stays
    expect(log_rows(page, "teacher").filter(has_text="US exercises")).to_have_count(2)
    expect(page.locator(".state-chart svg")).to_have_attribute("aria-label", re.compile("Kyrgyzstan"))


def test_a_bad_seed_and_a_broken_scenario_give_one_line_each_never_a_traceback(open_page):
    page = open_page()
    seed = page.get_by_label("Seed (whole number)")
    seed.fill("forty-two")
    page.locator(".settings .v-select").first.click()
    page.get_by_role("option", name=BROKEN).click()
    reset(page)
    notes = page.locator(".note")
    expect(notes).to_have_count(2)
    expect(notes.filter(has_text="not a whole number")).to_have_count(1)
    expect(notes.filter(has_text=BROKEN)).to_contain_text("showing the baseline instead")
    for text in notes.all_inner_texts():
        assert "\n" not in text.strip() and "Traceback" not in text
    assert "Traceback" not in page.locator("body").inner_text()
    step(page)
    expect(page.locator("#month")).to_have_text("2021-02")


def test_dark_theme_keeps_text_light_on_dark(open_page):
    page = open_page()
    toggle = page.locator(".top-bar .v-btn").last
    for _ in range(3):  # auto -> light -> dark, in whatever order the toggle cycles
        if page.locator(".v-application.theme--dark").count():
            break
        toggle.click()
        page.wait_for_timeout(300)
    expect(page.locator(".v-application.theme--dark")).to_have_count(1)
    ink = page.locator(".alignment-map text.ink").first.evaluate("e => getComputedStyle(e).fill")
    channels = [int(c) for c in re.findall(r"\d+", ink)[:3]]
    assert min(channels) >= 200, f"map labels are {ink} on a dark page"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "visualizer_dark.png"))


#: Each SVG text's size on screen in px: its font size times the SVG's scale.
SVG_TEXT_PX = """svg => [...svg.querySelectorAll('text')].map(t => [t.textContent,
    parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * svg.getScreenCTM().a])"""


def test_presenter_mode_shows_the_map_a_chart_and_the_buttons_on_one_screen_in_large_type(open_page, server):
    page = open_page(1280, 720)
    expect(page.locator(".settings")).to_be_visible()  # at a desk the settings are open
    page.get_by_role("switch", name="Presenter").check(force=True)  # Vuetify lays a ripple over the input
    expect(page.locator(".classroom.presenter")).to_have_count(1)
    expect(page.locator(".settings")).to_have_count(0)  # folded away
    page.get_by_role("button", name="China: investment surge").click()
    for _ in range(3):
        step(page)
    assert "presenter=1" in page.url  # a bookmark keeps it
    page.evaluate("() => window.scrollTo(0, 0)")
    shown = [page.locator(".alignment-map svg"), page.locator(".state-chart svg")]
    shown += [page.get_by_role("button", name=name, exact=True) for name in ("▶ Play", "Step", "Back", "Reset")]
    for element in shown:
        box = element.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 720, f"{element} leaves the screen"
    for element in shown[2:]:
        assert element.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 20
    for svg in shown[:2]:
        for text, px in svg.evaluate(SVG_TEXT_PX):
            assert px >= 20, f"{text!r} is {px:.1f} px on screen"
    labels = page.locator(".state-chart text.mark-label")
    expect(labels.first).to_be_visible()  # the marks are labelled in words
    assert any("China" in text for text in labels.all_text_contents())
    page.screenshot(path=str(ARTIFACTS / "classroom_presenter.png"))
    page.get_by_text("Settings: scenario, seed and sliders").click()
    expect(page.locator(".settings .lever").first).to_be_visible()
    fresh = open_page(1280, 720)
    fresh.goto(page.url)
    fresh.locator(".alignment-map svg").wait_for()
    expect(fresh.locator(".classroom.presenter")).to_have_count(1)


def test_clicking_a_state_on_the_map_shows_why_it_moved(open_page):
    page = open_page(1280, 720)
    for _ in range(15):  # past the invasion of Ukraine (2022-02)
        step(page)
    page.locator('.alignment-map g.pie[data-state="Kazakhstan"] path').first.click()
    panel = page.locator(".why-panel")
    expect(panel.locator("li")).to_have_count(2, timeout=60_000)
    expect(panel).to_contain_text("Why Kazakhstan moved")
    expect(panel.locator("li").first).to_contain_text(f"this month ({month(page)})")
    step(page)  # the causes follow the month shown
    expect(panel.locator("li").first).to_contain_text(f"this month ({month(page)})", timeout=60_000)
    expect(panel.locator("li").last).to_contain_text(re.compile(r"^Kazakhstan \w+ [+-]\d+\.\d points since 2021-01: "))
    expect(panel.locator("li").last).to_contain_text(re.compile(r"\(20\d\d-\d\d\) [+-]\d+\.\d"))  # a dated cause
    expect(page.locator(".state-chart svg")).to_have_attribute("aria-label", re.compile("Kazakhstan"))
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "classroom_why.png"))


def test_the_run_so_far_and_the_map_download_from_the_page(open_page, tmp_path):
    page = open_page()
    step(page)
    step(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Run so far (CSV)").click()
    assert download.value.suggested_filename == "run_to_2021-03.csv"
    path = tmp_path / "run.csv"
    download.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("step,date,state,power,alignment") and len(lines) == 1 + 3 * 10 * 4
    with page.expect_download() as download:
        page.get_by_role("button", name="Map (PNG)").click()
    download.value.save_as(tmp_path / "map.png")
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG")
