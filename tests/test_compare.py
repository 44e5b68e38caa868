"""`alliance-sim compare` and `report`: files, paired bands, intervals, clear refusals, self-contained pages."""

from __future__ import annotations

import html
import json
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from helpers import BASELINE, cli_in_process
from matplotlib.image import imread

from sim.cli.main import main
from sim.experiments.request import RunRequest
from sim.outputs.comparison import HELD, RESOLUTION, Histogram, summarise
from sim.outputs.folders import blocks, load_outcome, load_outcomes, paired

QUESTION = "What if Russia had not invaded Ukraine, in this short test variant?"


def scenario(folder, name: str, body: str, end: str = "2023-12"):
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nextends: {BASELINE}\nend: {end}\n{body}")
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Short runs of 20: baseline and no-invasion with one seed, plus folders that do not fit with them."""
    root = tmp_path_factory.mktemp("compare")
    specs = {
        "base": (scenario(root, "short", "description: baseline to 2023\n"), 1, "parquet"),
        "noinv": (scenario(root, "no-invasion", f"description: {QUESTION}\nwithout: [invasion]\n"), 1, "parquet"),
        "other_seed": (scenario(root, "no-invasion", f"description: {QUESTION}\nwithout: [invasion]\n"), 2, "parquet"),
        "earlier_end": (scenario(root, "shorter", "description: to 2022\n", end="2022-12"), 1, "parquet"),
        "with_eu": (
            scenario(root, "eu", "description: with the EU\npowers: [Russia, US, China, Turkey, EU]\n"),
            1,
            "parquet",
        ),
    }
    out = {
        key: RunRequest.build(path, runs=20, seed=seed, format=fmt).write(root / key)
        for key, (path, seed, fmt) in specs.items()
    }
    out["csv"] = root / "csv"  # the baseline's folder as `run --format csv` writes it
    out["csv"].mkdir()
    shutil.copy(out["base"] / "manifest.json", out["csv"])
    pd.read_parquet(out["base"] / "trajectories.parquet").to_csv(out["csv"] / "trajectories.csv", index=False)
    return out


@pytest.fixture(scope="module")
def compared(folders, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    assert (
        main(
            ["compare", str(folders["base"]), str(folders["noinv"]), "--out", str(out), "--horizons", "2022-06,2023-12"]
        )
        == 0
    )
    return out


@pytest.mark.slow
def test_compare_writes_the_expected_files(compared):
    names = {p.name for p in compared.iterdir()}
    assert {"report.html", "dominant_probabilities.csv", "alignment_differences.csv", "manifest.json", "plots"} <= names
    plots = {p.name for p in (compared / "plots").glob("*.png")}
    assert {"difference_no-invasion.png", "dominant_partner.png", "blocs.png", "hedging.png"} <= plots
    assert {f"alignment_{p}.png" for p in ("russia", "us", "china", "turkey")} <= plots
    for path in (compared / "plots").glob("*.png"):
        image = imread(path)
        assert image.shape[0] > 300 and image.std() > 0.05, path.name
    manifest = json.loads((compared / "manifest.json").read_text())
    assert manifest["pairing"] == {"no-invasion": "paired"}
    assert manifest["horizons"] == ["2022-06", "2023-12"]
    assert manifest["reproduce"].startswith("alliance-sim compare ")
    assert not list(compared.parent.glob(".out.*")), "no staging folder left behind"


@pytest.mark.slow
def test_differences_show_the_counterfactual(compared):
    table = pd.read_csv(compared / "alignment_differences.csv")
    noinv = table[(table["scenario"] == "no-invasion") & (table["date"] == "2023-12")]
    assert set(noinv["pairing"]) == {"paired by run (common random numbers)"}
    # The band is the spread of run-by-run differences (the difference of medians may fall outside it).
    assert (noinv["difference_p05"] <= noinv["difference_p95"] + 1e-12).all()
    # Without the war absorbing its forces Russia keeps more of its clients' alignment.
    russia = noinv[noinv["power"] == "Russia"].set_index("state")["difference"]
    assert russia["Tajikistan"] > 0.02


def alignment(spec: str, runs: int = 7) -> np.ndarray:
    """Every run's alignment of a folder, read block by block (blocks of `runs` runs)."""
    return np.concatenate([values for _, values in blocks(load_outcome(spec), runs=runs)])


@pytest.mark.slow
def test_paired_band_is_narrower_than_unpaired(folders):
    outcomes = load_outcomes([str(folders["base"]), str(folders["noinv"])])
    _, [paired] = summarise(outcomes, [True])
    _, [unpaired] = summarise(outcomes, [False])
    np.testing.assert_allclose(paired[1], unpaired[1])  # same line: difference of medians
    paired_width = (paired[2] - paired[0])[1:].mean()
    unpaired_width = (unpaired[2] - unpaired[0])[1:].mean()
    assert paired_width < 0.5 * unpaired_width


@pytest.mark.slow
def test_runs_are_paired_only_with_the_same_seed(folders):
    base, noinv, other_seed = (load_outcome(str(folders[k])) for k in ("base", "noinv", "other_seed"))
    assert paired(base, noinv)
    assert not paired(base, other_seed)


@pytest.mark.slow
def test_probabilities_have_wilson_intervals(compared):
    table = pd.read_csv(compared / "dominant_probabilities.csv")
    assert set(table["date"]) == {"2022-06", "2023-12"} and set(table["scenario"]) == {"short", "no-invasion"}
    assert len(table) == 2 * 2 * 10 * 4
    assert ((table["ci_low"] >= 0) & (table["ci_high"] <= 1)).all()
    assert ((table["ci_low"] <= table["probability"]) & (table["probability"] <= table["ci_high"])).all()
    assert (table["ci_high"] - table["ci_low"] > 0).all()  # 20 runs never give certainty
    sums = table.groupby(["scenario", "date", "state"])["probability"].sum()
    np.testing.assert_allclose(sums, 1.0)
    # Wilson's interval for 0 of 20: 0 to z²/(n+z²).
    zero = table[table["count"] == 0].iloc[0]
    assert zero["ci_low"] == pytest.approx(0, abs=1e-12)
    assert zero["ci_high"] == pytest.approx(1.96**2 / (20 + 1.96**2), rel=1e-3)


@pytest.mark.slow
def test_report_is_self_contained(compared, folders):
    page = (compared / "report.html").read_text()
    assert html.escape(QUESTION) in page
    assert "paired by run (common random numbers)" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"url\(|@import|<script|<link", page, re.I)
    sources = re.findall(r"""<img[^>]*src=["']([^"']*)""", page)
    assert len(sources) == len(list((compared / "plots").glob("*.png")))
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "alliance-sim run " in page  # each scenario's reproduce line
    shown = re.findall(r"<th>results folder</th><td><code>([^<]*)</code>", page)
    assert shown == [os.path.relpath(folders[key], compared) for key in ("base", "noinv")]  # as the page sees them
    assert "Events that differ" in page and "Russia invades Ukraine" in page


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ("earlier_end", "covers 2021-01 to 2022-12"),
        ("with_eu", "it adds EU"),
    ],
)
@pytest.mark.slow
def test_mismatched_folders_are_refused(folders, tmp_path, capsys, other, expected):
    out = tmp_path / "out"
    assert main(["compare", str(folders["base"]), str(folders[other]), "--out", str(out)]) == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1
    assert str(folders[other]) in message and expected in message
    assert not out.exists()


@pytest.mark.slow
def test_not_results_folders_are_refused(folders, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    no_trajectories = tmp_path / "no_trajectories"
    no_trajectories.mkdir()
    (no_trajectories / "manifest.json").write_text((folders["base"] / "manifest.json").read_text())
    cases = [(empty, "no manifest.json"), (no_trajectories, "no trajectories file"), (tmp_path / "missing", "no such")]
    for folder, expected in cases:
        assert main(["compare", str(folders["base"]), str(folder), "--out", str(tmp_path / "out")]) == 2
        message = capsys.readouterr().err.strip()
        assert len(message.splitlines()) == 1 and str(folder) in message and expected in message
    assert (
        main(
            [
                "compare",
                str(folders["base"]),
                str(folders["noinv"]),
                "--out",
                str(tmp_path / "out"),
                "--horizons",
                "2030-12",
            ]
        )
        == 2
    )
    assert "outside the results (2021-01 to 2023-12)" in capsys.readouterr().err


@pytest.mark.slow
def test_refuses_non_empty_out_without_force(folders, compared, capsys):
    before = (compared / "manifest.json").read_text()
    assert main(["compare", str(folders["base"]), str(folders["noinv"]), "--out", str(compared)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (compared / "manifest.json").read_text() == before


@pytest.mark.slow
def test_csv_folder_reads_like_parquet(folders):
    parquet, csv = load_outcome(str(folders["base"])), load_outcome(str(folders["csv"]))
    assert (csv.states, csv.powers, csv.dates) == (parquet.states, parquet.powers, parquet.dates)
    np.testing.assert_array_equal(csv.run_ids, parquet.run_ids)
    np.testing.assert_allclose(alignment(str(folders["csv"])), alignment(str(folders["base"])), rtol=1e-6)


@pytest.mark.slow
def test_batch_points_compare_like_scenarios(folders, tmp_path):
    """A batch folder (trajectories/ dataset with a point column, points.csv) is compared point by point."""
    batch = tmp_path / "batch"
    (batch / "trajectories").mkdir(parents=True)
    for point, key in enumerate(("base", "noinv")):
        frame = pd.read_parquet(folders[key] / "trajectories.parquet").assign(point=point)
        frame["run"] += 20 * point  # batch run ids: point p's replicate k is run p * runs + k
        frame.to_parquet(batch / "trajectories" / f"chunk-{point:06d}.parquet")
    pd.DataFrame(
        {
            "point": [0, 1],
            "scenario": ["short", "no-invasion"],
            "scenario_file": ["a.yaml", "b.yaml"],
            "adjustment_rate": [0.08, 0.08],
        }
    ).to_csv(batch / "points.csv", index=False)
    (batch / "manifest.json").write_text(json.dumps({"kind": "batch", "seed": 1, "description": "a sweep"}))
    out = tmp_path / "out"
    assert main(["compare", f"{batch}:point=0", f"{batch}:point=1", "--out", str(out)]) == 0
    table = pd.read_csv(out / "dominant_probabilities.csv")
    assert set(table["scenario"]) == {"short point 0", "no-invasion point 1"}
    np.testing.assert_array_equal(alignment(f"{batch}:point=1"), alignment(str(folders["noinv"])))
    assert json.loads((out / "manifest.json").read_text())["pairing"] == {"no-invasion point 1": "unpaired"}
    assert "unpaired (independent runs)" in (out / "report.html").read_text()
    assert main(["compare", str(batch), str(folders["base"]), "--out", str(tmp_path / "again")]) == 2


@pytest.mark.slow
def test_single_run_report(folders, tmp_path):
    out = tmp_path / "page.html"
    assert main(["report", str(folders["noinv"]), "--out", str(out)]) == 0
    page = out.read_text()
    assert html.escape(QUESTION) in page
    label = pd.read_csv(folders["noinv"] / "events.csv")["label"].iloc[0]
    assert "Tajikistan" in page and html.escape(label) in page  # summary and events tables
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    sources = re.findall(r"""<img[^>]*src=["']([^"']*)""", page)
    assert len(sources) == 5 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert main(["report", str(folders["base"])]) == 0
    assert (folders["base"] / "report.html").is_file()


@pytest.mark.parametrize("runs", [1, 2, 301, 2500])
def test_quantiles_from_histograms_match_numpy_on_rounded_values(runs):
    """Streaming quantiles equal numpy's for values at the histogram's resolution, whatever the blocks: held as
    bins and sorted (few runs), counted (many), or counted part way through (2500 runs pass HELD per bin)."""
    rng = np.random.default_rng(4)
    values = rng.beta(2, 5, size=(runs, 3, 2)) * 2 - 0.5  # some below 0 and above 1: they go to the end bins
    rounded = np.round(values.clip(-0.2, 1.2) * RESOLUTION) / RESOLUTION
    expected = np.quantile(rounded, (0.05, 0.5, 0.95), axis=0)
    held, counted = Histogram((3, 2), -0.2, 1.2), Histogram((3, 2), -0.2, 1.2)
    counted.counts  # noqa: B018 (asking for the counts starts counting)
    for block in np.array_split(values, 5 if runs >= 5 else 1):
        held.add(block)
        counted.add(block)
    assert (held.tally is None) == (runs <= HELD * held.bins)
    np.testing.assert_allclose(held.quantiles(), expected, atol=1e-12)
    np.testing.assert_array_equal(held.quantiles(), counted.quantiles())
    np.testing.assert_array_equal(held.counts, counted.counts)


@pytest.mark.slow
def test_blocks_do_not_change_the_statistics(folders, monkeypatch):
    """Reading 7 runs or all 20 at a time gives the same digest and band (memory stays that of a block)."""
    outcomes = load_outcomes([str(folders["base"]), str(folders["noinv"])])
    whole = summarise(outcomes, [True])
    monkeypatch.setattr("sim.outputs.folders.BLOCK_RUNS", 7)
    small = summarise(outcomes, [True])
    np.testing.assert_array_equal(whole[1][0], small[1][0])
    np.testing.assert_array_equal(whole[0][1].alignment, small[0][1].alignment)
    runs = alignment(str(folders["base"]))
    rounded = np.round(runs * RESOLUTION) / RESOLUTION
    np.testing.assert_allclose(whole[0][0].alignment, np.quantile(rounded, (0.05, 0.5, 0.95), axis=0), atol=1e-12)


def test_wilson_interval_matches_scipy():
    from scipy.stats import binomtest

    from sim.outputs.comparison import wilson

    for k, n in ((0, 20), (3, 20), (20, 20), (517, 1000)):
        expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson(k, n) == pytest.approx((expected.low, expected.high), abs=1e-12)


@pytest.mark.slow
def test_power_figures_drawn_on_one_layout_match_each_drawn_alone(folders, tmp_path):
    """The four alignment figures share one laid-out figure: each must be pixel for pixel the figure drawn on
    its own, so reusing the layout never clips or shifts anything."""
    from sim.outputs.compare_plots import overlaid_fans

    outcomes = load_outcomes([str(folders["base"]), str(folders["noinv"])])
    digests, _ = summarise(outcomes, [True])
    powers = outcomes[0].powers
    source = "Source: a test"
    figures = {p: (tmp_path / f"together_{p}", f"caption for {p}") for p in powers}
    together = overlaid_fans(outcomes, digests, figures, ("png",), source)
    assert [paths[0].name for paths in together] == [f"together_{p}.png" for p in powers]
    for power in powers:
        [[alone]] = overlaid_fans(
            outcomes, digests, {power: (tmp_path / f"alone_{power}", f"caption for {power}")}, ("png",), source
        )
        assert np.array_equal(imread(tmp_path / f"together_{power}.png"), imread(alone)), power


@pytest.mark.slow
def test_compare_writes_each_figure_in_each_format_with_its_caption_and_source_inside(folders, tmp_path):
    out = tmp_path / "figures"
    code, _, err = cli_in_process("compare", folders["base"], folders["noinv"], "--out", out, "--figures", "svg,pdf")
    assert code == 0, err
    written = sorted(path.name for path in (out / "plots").iterdir())
    stems = sorted({path.rsplit(".", 1)[0] for path in written})
    kinds = ("pdf", "png", "svg")  # the PNGs too: report.html embeds them
    assert len(stems) == 9 and written == sorted(f"{stem}.{kind}" for stem in stems for kind in kinds)
    for stem in stems:
        assert (out / "plots" / f"{stem}.pdf").read_bytes().startswith(b"%PDF"), stem
    turkey = (out / "plots" / "alignment_turkey.svg").read_text(encoding="utf-8")
    assert "Alignment with Turkey in each state" in turkey and "compare of short, 20 runs, seed 1" in turkey
    assert "Alignment with Russia in each state" not in turkey  # each power's own caption
    manifest = json.loads((out / "manifest.json").read_text())
    assert "--figures svg,pdf" in manifest["reproduce"]
    assert (out / "report.html").read_text(encoding="utf-8").count("data:image/png;base64,") == 9
    code, _, err = cli_in_process(
        "compare", folders["base"], folders["noinv"], "--out", tmp_path / "x", "--figures", "gif"
    )
    assert code == 2 and "--figures" in err and not (tmp_path / "x").exists()


def test_figure_jobs_come_back_in_order_heaviest_handed_out_first():
    from concurrent.futures import ThreadPoolExecutor

    from sim.outputs.plots import draw_all

    started = []

    def job(k: int) -> int:
        started.append(k)
        return k * k

    with ThreadPoolExecutor(1) as pool:  # one worker: jobs start in the order they are handed out
        assert draw_all([(job, (k,)) for k in range(5)], [1, 5, 2, 6, 3], pool) == [0, 1, 4, 9, 16]
    assert started == [3, 1, 4, 2, 0]


@pytest.mark.slow
def test_switches_and_bloc_events_are_compared_as_each_folder_wrote_them(compared, folders):
    for name, keys, share in (
        ("switches", ["state", "date", "power"], "p_switched"),
        ("bloc_events", ["state", "bloc", "date"], "p_frozen_or_left"),
    ):
        table = pd.read_csv(compared / f"{name}_compared.csv", dtype={"date": str})
        reference = pd.read_csv(folders["base"] / f"{name}.csv", dtype={"date": str}).set_index(keys)[share]
        other = pd.read_csv(folders["noinv"] / f"{name}.csv", dtype={"date": str}).set_index(keys)[share]
        rows = table[table["scenario"] == "no-invasion"].set_index(keys)
        assert rows[share].to_dict() == other.reindex(rows.index, fill_value=0.0).to_dict()
        expected = (other - reference).reindex(rows.index, fill_value=0.0)
        np.testing.assert_allclose(rows[f"{share}_difference"], expected)
        assert (table[table["scenario"] == "short"][f"{share}_difference"] == 0).all()  # the reference itself


def test_a_tally_row_one_scenario_lacks_counts_as_no_runs():
    from types import SimpleNamespace

    from sim.outputs.comparison import shares_compared

    reference = pd.DataFrame({"state": ["A", "B"], "date": ["2030-12"] * 2, "p": [0.5, 0.25]})
    other = pd.DataFrame({"state": ["A"], "date": ["2030-12"], "p": [0.75]})
    outcomes = [SimpleNamespace(name="ref"), SimpleNamespace(name="other")]
    table = shares_compared(outcomes, [reference, other], ["state", "date"], ["p"])
    rows = table.set_index(["state", "scenario"])
    assert rows.loc[("A", "other"), "p_difference"] == 0.25
    assert rows.loc[("B", "other"), "p"] == 0.0 and rows.loc[("B", "other"), "p_difference"] == -0.25
