"""Report pages lead with findings: headline sentences that match the numbers they come from, a table of
contents, the summary figure first, and sources by title and outlet instead of file names."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.inputs.packaged import SOURCES
from sim.outputs.comparison import Digest, headlines, led_states
from sim.outputs.folders import Outcome
from sim.outputs.report import load_sources, run_page, source_text
from sim.outputs.results import run_headlines, write_json

STATES, POWERS = ["Armenia", "Kazakhstan", "Tajikistan"], ["Russia", "US", "China", "Turkey"]
DATES = ["2021-01", "2030-12"]
NUMBER = r"[+−-]?\d+\.\d+"


def outcome(name: str) -> Outcome:
    return Outcome(name, None, {}, name, DATES, STATES, POWERS, np.arange(10))


def digest(leaders: list[int], runs: int = 10) -> Digest:
    """Each state led by `leaders[s]` in 8 runs of 10, the next power in 2."""
    counts = np.zeros((2, 3, 4), dtype=np.int64)
    for s, p in enumerate(leaders):
        counts[:, s, p], counts[:, s, (p + 1) % 4] = 8, 2
    quantiles = np.zeros((3, 2, 3, 4))
    return Digest(runs, quantiles, np.zeros((3, 2, 4)), counts)


def table(differences: dict[tuple[str, str], tuple[float, float, float]]) -> pd.DataFrame:
    rows = []
    for state in STATES:
        for power in POWERS:
            d, lo, hi = differences.get((state, power), (0.0, -0.01, 0.01))
            rows.append(
                {
                    "scenario": "other",
                    "date": DATES[-1],
                    "state": state,
                    "power": power,
                    "reference": "ref",
                    "difference": d,
                    "difference_p05": lo,
                    "difference_p95": hi,
                    "pairing": "paired",
                }
            )
    return pd.DataFrame(rows)


def test_compare_headlines_say_what_the_numbers_say():
    ref, other = digest([2, 2, 2]), digest([0, 0, 2])  # China leads all 3 in ref; Russia leads 2 in other
    differences = {
        ("Tajikistan", "Russia"): (0.21, 0.05, 0.40),
        ("Kazakhstan", "China"): (-0.15, -0.30, -0.02),
        ("Armenia", "US"): (0.30, -0.05, 0.60),  # larger, but its band holds zero: not a headline
    }
    sentences = headlines([outcome("ref"), outcome("other")], [ref, other], table(differences))
    assert led_states(other, -1)[0] == 2 and led_states(ref, -1)[2] == 3
    assert (
        sentences[0] == "In other, Russia is the most likely leading partner of 2 states at 2030-12, against 0 in ref."
    )
    assert "China is the most likely leading partner of 1 state at 2030-12, against 3 in ref" in sentences[1]
    moves = [s for s in sentences if "leans" in s]
    assert [re.search(r"(\w+) leans", s)[1] for s in moves] == ["Tajikistan", "Kazakhstan"]  # largest first
    for sentence, key in zip(moves, [("Tajikistan", "Russia"), ("Kazakhstan", "China")], strict=True):
        d, lo, hi = differences[key]
        size, low, high = (float(x.replace("−", "-")) for x in re.findall(NUMBER, sentence))
        assert size == pytest.approx(abs(d)) and low == pytest.approx(lo) and high == pytest.approx(hi)
        assert ("more" in sentence) == (d > 0)
    assert not any("Armenia" in s for s in sentences)


def test_no_clear_effect_is_said_plainly_with_the_largest_difference():
    """A scenario with no clear effect is a finding: said, with its largest difference and that band."""
    same = digest([2, 2, 2])
    differences = {("Kazakhstan", "US"): (-0.04, -0.09, 0.01)}  # the largest, but its band holds zero
    sentences = headlines([outcome("ref"), outcome("other")], [same, same], table(differences))
    assert sentences == [
        "other has no clear effect at 2030-12: no state's alignment moves by a margin its band sets apart from "
        "zero; its largest difference is Kazakhstan with US, -0.04 (5–95% of run differences -0.09 to +0.01)."
    ]


def summary() -> pd.DataFrame:
    rows = []
    for s, state in enumerate(STATES):
        for p, power in enumerate(POWERS):
            share = 0.7 if p == s else 0.1
            rows.append(
                {
                    "state": state,
                    "power": power,
                    "date": DATES[-1],
                    "start": 0.25,
                    "median": share,
                    "p05": share - 0.05,
                    "p95": share + 0.05,
                    "mean": share,
                    "p_dominant": 0.9 if p == s else 0.1 / 3,
                    "hedging_median": 0.5,
                }
            )
    return pd.DataFrame(rows)


def test_run_headlines_say_what_the_numbers_say():
    spread = pd.DataFrame(
        {
            "state": STATES,
            "band_all": [0.2, 0.3, 0.4],
            "share_shocks": 0.1,
            "share_parameters": 0.6,
            "share_evidence": 0.3,
        }
    )
    sentences = run_headlines(summary(), spread)
    assert sentences[0].startswith("Most likely leading partner at 2030-12")
    assert "Russia 1 (Armenia 90%)" in sentences[0] and "China 1 (Tajikistan 90%)" in sentences[0]
    assert sentences[1] == (
        "Armenia's alignment with Russia moves from 0.25 to 0.70 by 2030-12 (mean of runs; 5–95% of runs 0.65 to 0.75)."
    )
    assert "0.30 wide on average" in sentences[-1] and "parameters 60%, evidence 30%, shocks 10%" in sentences[-1]


def test_run_page_leads_with_findings_and_names_sources(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    write_json({"tool": "alliance-sim", "scenario": "demo", "description": "a test"}, folder / "manifest.json")
    summary().to_csv(folder / "summary.csv", index=False)
    pd.DataFrame(
        {
            "date": ["2022-09", "2022-11"],
            "label": ["a border war", "an appeal"],
            "source": ["002_d2b80962dc7b4d43.txt", "model"],
        }
    ).to_csv(folder / "events.csv", index=False)
    page = run_page(folder)
    assert page.index("Headline findings") < page.index("Contents") < page.index("How it was made")
    ids = re.findall(r"<h2 id='(s\d+)'>", page)
    assert ids and all(f"href='#{i}'" in page for i in ids)
    assert "Former Soviet states eye opportunities as Russia... (The Guardian, 2022-09)" in page
    assert "002_d2b80962dc7b4d43.txt" not in page
    assert "the model (emerged in the runs)" in page


def test_sources_list_the_documents_the_evidence_cites():
    entries = yaml.safe_load(SOURCES.read_text())["sources"]
    assert len(entries) == 5
    for entry in entries:
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", entry["file"])
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", str(entry["date"]))
        assert entry["title"] and entry["outlet"]
    cited = set(re.findall(r"\d{3}_[0-9a-f]{16}\.txt", (SOURCES.parent / "evidence.yaml").read_text()))
    assert cited <= {e["file"] for e in entries}
    known = load_sources()
    assert source_text("structural (a treaty)", known) == "structural (a treaty)"
    assert source_text(float("nan"), known) == ""


def test_events_are_compared_by_how_often_they_happen():
    """An event the agents make in 26.3% of the reference's runs and 0.2% of the other's comes first; an event
    in 1-2 runs of 1,000 is no difference worth a line on the page."""
    from types import SimpleNamespace

    from sim.outputs.comparison import events_compared
    from sim.outputs.report import _event_differences

    def log(rows):
        return pd.DataFrame(rows, columns=["date", "label", "source", "answered", "runs"])

    base = log(
        [
            ["2022-02", "the invasion", "001.txt", None, 1000],
            ["2022-09", "Tajikistan appeals to Russia", "model", 0.5, 1],
            ["2023-08", "Armenia freezes its CSTO membership", "model", None, 263],
        ]
    )
    other = log(
        [
            ["2022-09", "Tajikistan appeals to Russia", "model", 0.5, 2],
            ["2023-08", "Armenia freezes its CSTO membership", "model", None, 2],
            ["2024-01", "a new pipeline", "counterfactual", None, 1000],
        ]
    )
    outcomes = [SimpleNamespace(name="baseline", runs=1000), SimpleNamespace(name="no_invasion", runs=1000)]
    compared = events_compared(outcomes, [base, other])
    first = compared.iloc[1]
    assert (first.event, first.scenario, first.emergent) == ("Armenia freezes its CSTO membership", "no_invasion", True)
    assert first.share_of_runs == pytest.approx(0.002) and first.difference == pytest.approx(-0.261)
    assert compared.iloc[0].share_of_runs == pytest.approx(0.263) and compared.iloc[0].difference == 0
    assert list(dict.fromkeys(compared["event"]))[-2:] == ["the invasion", "a new pipeline"]  # scheduled: last
    page = _event_differences(compared)
    assert "Armenia freezes" in page and "the invasion" in page and "appeals" not in page


def test_brief_is_one_pdf_page_that_replaces_only_a_brief(five_month_run, tmp_path):
    import shutil

    from sim.inputs.documents import InputError
    from sim.outputs.brief import write_brief

    folder = tmp_path / "run"
    shutil.copytree(five_month_run(), folder)
    path = write_brief(folder)
    data = path.read_bytes()
    assert path == folder / "brief.pdf" and data.startswith(b"%PDF") and b"/Count 1 >>" in data
    assert b"/Creator (alliance-sim)" in data
    write_brief(folder)  # its own brief is replaced
    mine = tmp_path / "notes.pdf"
    mine.write_bytes(b"%PDF-1.4 a user's file")
    with pytest.raises(InputError, match="not a brief alliance-sim wrote"):
        write_brief(folder, mine)
    assert mine.read_bytes() == b"%PDF-1.4 a user's file"


def test_brief_shows_a_users_description_as_written(five_month_run, tmp_path):
    import json
    import shutil

    from sim.outputs.brief import brief_figure

    folder = tmp_path / "run"
    shutil.copytree(five_month_run(), folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["description"] = "What if $x^2$ costs <b>50%</b>?"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    figure = brief_figure(folder)
    texts = [text for text in figure.texts if "$x^2$" in text.get_text()]
    assert texts and "<b>50%</b>" in texts[0].get_text()
    figure.canvas.draw()  # drawn with mathtext off: no parse error, the dollars stay
