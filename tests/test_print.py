"""The report pages print on A4 and Letter with nothing clipped: in Chromium's print media every table fits its box."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import CHROMIUM, cli_in_process, need_chromium
from playwright.sync_api import sync_playwright

#: Printable widths in CSS pixels (96 per inch) inside the pages' 12 mm side margins: A4 (210 mm), Letter (8.5 in).
WIDTHS = {"A4": round((210 - 24) / 25.4 * 96), "Letter": round((8.5 * 25.4 - 24) / 25.4 * 96)}
OVERFLOW = """() => [...document.querySelectorAll('table')]
    .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(t => t.innerText.slice(0, 60))"""

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def pages(tmp_path_factory, five_month_run) -> list[Path]:
    """A run's report.html and a comparison's, of two ten-state folders."""
    need_chromium()
    root = tmp_path_factory.mktemp("print")
    shutil.copytree(five_month_run("a", runs=3), root / "a")
    assert cli_in_process("report", root / "a")[0] == 0
    assert (
        cli_in_process("compare", five_month_run("a", runs=3), five_month_run("b", runs=3), "--out", root / "c")[0] == 0
    )
    return [root / "a" / "report.html", root / "c" / "report.html"]


@pytest.mark.parametrize("paper", sorted(WIDTHS))
def test_no_table_is_clipped_when_printed(pages, paper):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": WIDTHS[paper], "height": 1000})
            page.emulate_media(media="print")
            for path in pages:
                page.goto(path.as_uri())
                assert page.evaluate(OVERFLOW) == [], (paper, path)
                assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[paper], (paper, path)
                page.emulate_media(media="screen")  # on screen the wide tables scroll instead (the same page)
                assert page.evaluate("document.querySelectorAll('.scroll').length") > 0
                page.emulate_media(media="print")
        finally:
            browser.close()
