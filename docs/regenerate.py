"""Regenerate every picture and number the README, docs/ODD.md, docs/teaching.md and docs/img show, from
the model as it stands, and stamp them with the hashes of the model's code and inputs.

    .venv/bin/python docs/regenerate.py            # everything (the screenshots need Debian's chromium)
    .venv/bin/python docs/regenerate.py --check    # exit 1 if the stamp is not the model's: the pages are stale
    .venv/bin/python docs/regenerate.py --lesson   # only docs/teaching.md, after editing sim/viz/lesson.py

tests/test_docs.py runs the check, so a change of the model that leaves the pages as they were fails the suite
until this script is run again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from sim.outputs.brief import brief_figure
from sim.viz import lesson

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
STAMP = IMG / "stamp.json"
LESSON = ROOT / "docs" / "teaching.md"
BIN = Path(sys.executable).parent
#: What the pages' numbers depend on: the model's code, the evidence, the fit, the facts scored and the baseline.
MODEL_FILES = (
    *sorted((ROOT / "sim" / "model").glob("*.py")),
    ROOT / "sim" / "inputs" / "parameters.py",
    ROOT / "sim" / "inputs" / "evidence.py",
    ROOT / "sim" / "experiments" / "validation.py",
    ROOT / "sim" / "experiments" / "ablation.py",
    ROOT / "calibration" / "evidence.yaml",
    ROOT / "calibration" / "fitted.yaml",
    ROOT / "calibration" / "posterior.csv",
    ROOT / "calibration" / "targets.yaml",
    ROOT / "calibration" / "hindcast.yaml",
    ROOT / "scenarios" / "baseline.yaml",
)
#: The commands whose outputs the pages show (seeds fixed, so the same model gives the same numbers).
RUNS, VALIDATION_RUNS, ABLATION_RUNS = 1000, 1000, 1000
PREDICTORS = ("model", "persistence_start", "persistence_end", "trend", "last_direction", "no_events", "zero_weights")


def stamp() -> dict[str, str]:
    """SHA-256 of every file the pages' numbers depend on, by path from the repository root."""
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in MODEL_FILES}


def stale() -> list[str]:
    """The files changed since the pages were regenerated (every file, if they never were)."""
    recorded = json.loads(STAMP.read_text()) if STAMP.is_file() else {}
    return [name for name, digest in stamp().items() if recorded.get(name) != digest]


def alliance(*args: str) -> None:
    """Run one alliance-sim command, stopping here if it fails."""
    subprocess.run([str(BIN / "alliance-sim"), *args], check=True, cwd=ROOT)


def replace_between(path: Path, marker: str, text: str) -> None:
    """Put `text` between `<!-- marker -->` and `<!-- /marker -->` in `path`."""
    page = path.read_text()
    pattern = re.compile(rf"(<!-- {marker} -->\n).*?(<!-- /{marker} -->)", re.S)
    if not pattern.search(page):
        raise SystemExit(f"{path}: no <!-- {marker} --> ... <!-- /{marker} --> block to fill")
    path.write_text(pattern.sub(lambda m: m.group(1) + text + m.group(2), page))


def scores_table(folders: dict[str, Path]) -> str:
    """The Brier score of every predictor, in and out of sample, with the model's rank: a Markdown table. Each
    folder is a validation folder, or the path of one of its scores tables."""
    header = "| sample | facts | " + " | ".join(p.replace("_", " ") for p in PREDICTORS) + " | model's rank |"
    lines = [header, "|---|---:|" + "---:|" * (len(PREDICTORS) + 1)]
    for label, folder in folders.items():
        table = pd.read_csv(folder if folder.suffix == ".csv" else folder / "scores.csv").set_index("predictor")
        cells = []
        for name in PREDICTORS:
            row = table.loc[name]
            cell = f"{row['brier']:.3f} ({int(row['met'])})"
            cells.append(f"**{cell}**" if row["rank"] == 1 else cell)
        facts = int(table.loc["model", "facts"])
        lines.append(f"| {label} | {facts} | " + " | ".join(cells) + f" | {int(table.loc['model', 'rank'])} of 7 |")
    return "\n".join(lines) + "\n"


def ablation_table(folder: Path) -> str:
    """The ablation as a Markdown table, with each mechanism's verdict."""
    frame = pd.read_csv(folder / "ablation.csv").fillna("")
    verdicts = json.loads((folder / "manifest.json").read_text())["verdicts"]
    lines = [
        "| mechanism | in the model | variant | in sample met | Brier | out of sample met | Brier | verdict |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for row in frame.itertuples():
        verdict = verdicts.get(row.mechanism, "").split("; ", 1)[-1]
        lines.append(
            f"| {row.mechanism} | {'' if row.variant == 'as it is' else 'on' if row.in_model else 'off'} | "
            f"{row.variant} | {row.in_sample_met} of {row.in_sample_facts} | {row.in_sample_brier:.3f} | "
            f"{row.out_sample_met} of {row.out_sample_facts} | {row.out_sample_brier:.3f} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


#: Each parameter's symbol in docs/ODD.md.
SYMBOLS = {
    "adjustment_rate": "$r$",
    "shock_scale": "$s$",
    "economic_weight": "$w_E$",
    "security_weight": "$w_S$",
    "regime_weight": "$w_G$",
    "protection_weight": "$w_P$",
    "balancing_weight": "$w_B$",
    "outreach_weight": "$w_O$",
    "peer_weight": "$w_Q$",
    "hedging_gain": "$g$",
    "outreach_fade": "$\\eta$",
    "responsiveness": "$\\xi$",
    "max_reallocation": "$\\Delta$",
    "rivalry_weight": "$w_R$",
    "coercion_trigger": "$\\theta_C$",
    "appeal_threshold": "$\\theta_A$",
    "acute_fade": "$\\eta_A$",
    "freeze_threshold": "$\\theta_F$",
    "freeze_months": "$m_F$",
    "dependence_build_rate": "$\\beta$",
    "dependence_decay": "$\\nu$",
    "appeal_failure_penalty": "$\\phi$",
    "appeal_success_gain": "$\\gamma$",
    "reputation_spillover": "$\\psi$",
    "credibility_recovery": "$c$",
}


def parameter_table() -> str:
    """Every global parameter with its value from calibration/fitted.yaml: the fitted ones with their posterior's
    5-95% range and their prior, the held ones with the reason they are held."""
    fit = yaml.safe_load((ROOT / "calibration" / "fitted.yaml").read_text())
    ranges = fit["posterior"]["ranges"]
    lines = [
        f"Fitted by `{fit['command']}`: {fit['targets_met']} targets met, loss {fit['loss']}; posterior of "
        f"{fit['posterior']['accepted']} points, effective sample size {fit['posterior']['effective_size']}.",
        "",
        "| parameter | symbol | value | source | posterior 5-95% from the uniform prior, and the prior's reason; "
        "or why it is held |",
        "|---|---|---:|---|---|",
    ]
    for name, value in fit["parameters"].items():
        band, prior = ranges[name], fit["priors"][name]
        lines.append(
            f"| {name} | {SYMBOLS[name]} | {value:.3g} | fitted | {band['p05']:.3g}-{band['p95']:.3g} from "
            f"{prior['low']:g}-{prior['high']:g}: {prior['reason']} |"
        )
    for name, held in fit["held"].items():
        lines.append(f"| {name} | {SYMBOLS[name]} | {held['value']:.3g} | held | {held['reason']} |")
    return "\n".join(lines) + "\n"


def bands_sentence(folder: Path) -> str:
    """How wide the baseline's 2030 bands are, with every source of uncertainty and with the shocks alone."""
    bands = pd.read_csv(folder / "uncertainty.csv")
    return (
        f"The 2030 bands are {bands['band_all'].mean():.2f} wide on average (5-95% of {RUNS:,} runs, averaged over "
        f"states and powers) because they carry the parameters the facts leave open and the uncertainty of the "
        f"evidence, not only the monthly shocks ({bands['band_shocks'].mean():.3f} alone).\n"
    )


def printed_report(folder: Path, path: Path) -> None:
    """The first A4 page of the run's report.html as Chromium prints it (print styles, 12 mm margins), as a PNG."""
    from playwright.sync_api import sync_playwright

    alliance("report", str(folder))
    width, height = round((210 - 24) / 25.4 * 96), round((297 - 24) / 25.4 * 96)  # A4 inside the margins
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.emulate_media(media="print")
            page.goto((folder / "report.html").as_uri())
            page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": width, "height": height})
        finally:
            browser.close()


def write_lesson() -> None:
    """docs/teaching.md: the lesson with its numbers computed from the model now."""
    LESSON.write_text(lesson.render(), encoding="utf-8")
    print(f"wrote {LESSON.relative_to(ROOT)}")


def regenerate(screenshots: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="alliance-docs-"))
    try:
        alliance("run", "baseline", "--runs", str(RUNS), "--seed", "0", "--out", str(work / "baseline"))
        shutil.copyfile(work / "baseline" / "plots" / "fan_charts.png", IMG / "baseline_fan_charts.png")
        brief_figure(work / "baseline").savefig(IMG / "brief.png", dpi=90)  # what `alliance-sim brief` prints
        folders = {
            "in sample (documented facts, 2021-2023)": work / "in",
            "out of sample (hindcast, public record 2023-2025)": work / "out",
            "out of sample, given the shocks of 2023-2025 (conditional)": work / "out" / "scores_conditional.csv",
        }
        alliance("validate", "--runs", str(VALIDATION_RUNS), "--out", str(work / "in"))
        alliance("validate", "--hindcast", "--runs", str(VALIDATION_RUNS), "--out", str(work / "out"))
        alliance("validate", "--ablation", "--runs", str(ABLATION_RUNS), "--out", str(work / "ablation"))
        scores = scores_table(folders)
        for page in (ROOT / "README.md", ROOT / "docs" / "ODD.md"):
            replace_between(page, "scores", scores)
        replace_between(ROOT / "docs" / "ODD.md", "ablation", ablation_table(work / "ablation"))
        replace_between(ROOT / "README.md", "bands", bands_sentence(work / "baseline"))
        replace_between(ROOT / "docs" / "ODD.md", "parameters", parameter_table())
        write_lesson()
        if screenshots:
            printed_report(work / "baseline", IMG / "report_printed.png")
            subprocess.run(
                [
                    sys.executable,
                    "benchmarks/bench_viz.py",
                    "--repeat",
                    "1",
                    "--steps",
                    "3",
                    "--months",
                    "2",
                    "--screenshots",
                    str(IMG),
                ],
                check=True,
                cwd=ROOT,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    STAMP.write_text(json.dumps(stamp(), indent=1, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the pages are older than the model")
    parser.add_argument("--no-screenshots", action="store_true", help="leave the visualizer's screenshots as they are")
    parser.add_argument("--lesson", action="store_true", help="write only docs/teaching.md (after editing the lesson)")
    args = parser.parse_args()
    if args.lesson:
        write_lesson()
        return
    if args.check:
        changed = stale()
        if changed:
            print(f"the pages are stale ({', '.join(changed)} changed): run python docs/regenerate.py")
            raise SystemExit(1)
        return
    regenerate(screenshots=not args.no_screenshots)


if __name__ == "__main__":
    main()
