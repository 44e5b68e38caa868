"""The classroom page's speed in headless Chromium: page ready, Step round trip and Play's pace.

Page ready: from starting `alliance-sim viz` to its "ready" line, then from opening the page to the
map shown: the first page after that line, and new pages on the running server. Step: click to the
month, the map and both charts redrawn, over `--steps` clicks. Play: the time between months shown
at each pace. `--classes 3 30` plays that many pages at once at 0.3 s a month, each in its own browser
context, for `--class-seconds`, and reports each page's interval between months and the server's memory per page.
`--screenshots DIR` also saves the page at 1280x720 (top, and scrolled to the charts) and 1920x1080 in
October 2022, with a Chinese investment surge triggered in the first month; presenter mode at 1280x720
with the marks labelled; and the "why" panel for Kazakhstan after the invasion of Ukraine.

Usage: python benchmarks/bench_viz.py [--repeat 3] [--steps 30] [--months 12] [--classes 3 30]
       [--screenshots docs/img]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PICTURES = (".alignment-map", ".state-chart", ".leaning-chart")
#: Records when the month shown changes, in the page's own clock.
WATCH = """() => { window.watch?.disconnect(); window.shown = [];
    let last = document.querySelector('#step').textContent;
    window.watch = new MutationObserver(() => { const now = document.querySelector('#step')?.textContent;
        if (now !== undefined && now !== last) { last = now; window.shown.push(performance.now()); } });
    window.watch.observe(document.querySelector('.date'), {childList: true, characterData: true, subtree: true}); }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """`alliance-sim viz` on `port`, returned once it says the page is ready (its later output is dropped)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "sim", "viz", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    for line in server.stdout:
        if "ready: open" in line:
            threading.Thread(target=server.stdout.read, daemon=True).start()  # never let the pipe fill
            return server
    raise SystemExit(f"alliance-sim viz stopped before it was ready (exit status {server.wait()})")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server; killed if it has not stopped 20 s after being asked (a busy server must not hide the
    error that stopped the benchmark)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def open_page(browser, port: int, width: int = 1280, height: int = 720):
    """A new page (a fresh browser context: nothing cached) on the server at `port`, with the map shown."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
    page.locator(".alignment-map svg").wait_for(timeout=60_000)
    return page


def step(page) -> float:
    """Seconds from clicking Step to the month, the map and both charts redrawn."""
    before = page.evaluate(f"() => {list(PICTURES)}.map(c => document.querySelector(c).innerHTML)")
    month = page.locator("#step").inner_text()
    started = time.perf_counter()
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(
        f"([m, b]) => document.querySelector('#step').textContent !== m && "
        f"{list(PICTURES)}.every((c, i) => document.querySelector(c).innerHTML !== b[i])",
        arg=[month, before],
    )
    return time.perf_counter() - started


def play(page, pace: str, months: int) -> list[float]:
    """Intervals (s) between the months shown while playing at `pace`."""
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function("() => document.querySelector('#step').textContent === '0'")
    page.locator(".top-bar .v-select").click()
    page.get_by_role("option", name=pace).click()
    page.evaluate(WATCH)
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(f"() => window.shown.length >= {months + 1}", timeout=120_000)
    page.get_by_role("button", name="❚❚ Pause").click()
    shown = page.evaluate("() => window.shown")
    return [(b - a) / 1000 for a, b in zip(shown[1 : months + 1], shown[2 : months + 2], strict=False)]


def resident_mib(pid: int) -> float:
    """Resident memory of a process and its children (MiB), from /proc."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024
        pending += [int(child) for child in children]
    return total


def class_at_once(browser, port: int, server: subprocess.Popen, pages: int, seconds: float) -> tuple[list, float]:
    """`pages` pages playing at 0.3 s a month together for `seconds`: each page's intervals between months, and the
    server's memory per page (MiB) once they are all open and have played."""
    before = resident_mib(server.pid)
    opened = [open_page(browser, port) for _ in range(pages)]
    for page in opened:
        page.locator(".top-bar .v-select").click()
        page.get_by_role("option", name="0.3 s per month").click()
        page.evaluate(WATCH)
    for page in opened:
        page.get_by_role("button", name="▶ Play").click()
    time.sleep(seconds)
    intervals = []
    for page in opened:
        shown = page.evaluate("() => window.shown")
        intervals.append([(b - a) / 1000 for a, b in zip(shown[1:], shown[2:], strict=False)])
    per_page = (resident_mib(server.pid) - before) / pages
    for page in opened:  # closed while playing: the server stops a closed page's Play
        page.close()
    return intervals, per_page


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(values):.3f} s, p90 {p90:.3f} s, max {max(values):.3f} s (n={len(values)})"


def surge_then_october(page) -> None:
    """A Chinese investment surge in the first month, then Step to October 2022."""
    page.get_by_role("button", name="China: investment surge").click()
    while page.locator("#month").inner_text() < "2022-10":
        step(page)


def screenshots(browser, port: int, folder: Path) -> None:
    """The page in 2022-10, a Chinese investment surge triggered in the first month, at projector sizes."""
    folder.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 720), (1920, 1080)):
        page = open_page(browser, port, width, height)
        surge_then_october(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(folder / f"visualizer_{width}x{height}.png"))
        if width == 1280:  # what a scroll down shows: the charts, the buttons and the log
            page.locator(".leaning-chart").evaluate("e => e.scrollIntoView({block: 'start', behavior: 'instant'})")
            page.evaluate("() => window.scrollBy(0, -160)")
            page.wait_for_timeout(300)
            page.screenshot(path=str(folder / f"visualizer_{width}x{height}_charts.png"))
        page.close()
    page = open_page(browser, port, 1280, 720)
    page.get_by_role("switch", name="Presenter").check(force=True)  # Vuetify lays a ripple over the input
    page.locator(".classroom.presenter").wait_for()
    surge_then_october(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / "classroom_presenter.png"))
    page.close()
    page = open_page(browser, port, 1280, 720)
    while page.locator("#month").inner_text() < "2022-04":  # past the invasion of Ukraine (2022-02)
        step(page)
    page.locator('.alignment-map g.pie[data-state="Kazakhstan"] path').first.click()
    page.locator(".why-panel li").nth(1).wait_for(timeout=120_000)
    page.locator(".why-panel").evaluate("e => e.scrollIntoView({block: 'center', behavior: 'instant'})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / "classroom_why.png"))
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="server starts timed for page ready (default 3)")
    parser.add_argument("--steps", type=int, default=30, help="Step clicks timed (default 30)")
    parser.add_argument("--months", type=int, default=12, help="months timed at each Play pace (default 12)")
    parser.add_argument("--classes", type=int, nargs="*", default=[], help="pages playing at once, e.g. 3 30")
    parser.add_argument("--class-seconds", type=float, default=30.0, help="how long those pages play (default 30)")
    parser.add_argument("--screenshots", type=Path, help="also save screenshots into this folder")
    args = parser.parse_args()
    start, first, warm, classes = [], [], [], {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for i in range(args.repeat):
            port = free_port()
            started = time.perf_counter()
            server = start_server(port)
            try:
                start.append(time.perf_counter() - started)
                started = time.perf_counter()
                page = open_page(browser, port)
                first.append(time.perf_counter() - started)
                for _ in range(3):
                    started = time.perf_counter()
                    open_page(browser, port).close()
                    warm.append(time.perf_counter() - started)
                if i < args.repeat - 1:
                    continue
                page.locator("#month").wait_for()
                step(page)  # the first click also pays for the page's first redraw: not counted
                trips = [step(page) for _ in range(args.steps)]
                paces = {pace: play(page, pace, args.months) for pace in ("0.3 s per month", "1 s per month")}
                paces["2 s per month"] = play(page, "2 s per month", max(3, args.months // 4))
                page.close()
                for pages in args.classes:
                    classes[pages] = class_at_once(browser, port, server, pages, args.class_seconds)
                if args.screenshots:
                    screenshots(browser, port, args.screenshots)
            finally:
                stop_server(server)
        browser.close()
    print(f"server start to its 'ready' line: {summary(start)}")
    print(f"page ready, the first page after that line: {summary(first)}")
    print(f"page ready, a new page on the running server: {summary(warm)}")
    print(f"Step round trip (month, map and charts redrawn): {summary(trips)}")
    for pace, intervals in paces.items():
        print(f"Play at {pace}: interval {summary(intervals)}")
    for pages, (intervals, memory) in classes.items():
        medians = [statistics.median(i) for i in intervals if i]
        print(
            f"{pages} pages playing at 0.3 s a month: interval {summary([v for i in intervals for v in i])}; "
            f"each page's median {min(medians, default=0):.3f}-{max(medians, default=0):.3f} s, "
            f"{pages - len(medians)} pages showed no second month; {memory:.1f} MiB of server memory per page"
        )


if __name__ == "__main__":
    main()
