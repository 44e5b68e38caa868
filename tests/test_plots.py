"""The four PNG plots are written, readable and not blank, for many runs and for one."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.geography import STATES
from sim.plots import write_plots
from sim.trajectories import Trajectories

NAMES = ["fan_charts.png", "dominant_partner.png", "hedging.png", "credibility.png"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def synthetic(runs: int, powers: list[str], months: int = 25, seed: int = 0) -> Trajectories:
    """Alignment rows on the simplex drifting over time, plus credibility in [0, 1]."""
    rng = np.random.default_rng(seed)
    shape = (runs, months, len(STATES), len(powers))
    drift = rng.normal(0, 0.1, shape[2:]) * np.arange(months)[:, None, None]
    logits = rng.normal(0, 1, shape[2:]) + drift + rng.normal(0, 0.3, shape).cumsum(axis=1)
    alignment = np.exp(logits)
    alignment /= alignment.sum(axis=-1, keepdims=True)
    dates = [f"{2021 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    return Trajectories(
        scenario="test",
        dates=dates,
        states=list(STATES),
        powers=powers,
        alignment=alignment,
        credibility=rng.uniform(0, 1, shape),
        economic=rng.uniform(0, 1, shape),
        security=rng.uniform(0, 1, shape),
        outreach=rng.uniform(0, 1, shape),
    )


def assert_real_png(path: Path) -> None:
    """A PNG file that decodes to a reasonably large image with more than one colour."""
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert height > 200 and width > 300
    rgb = (image[..., :3] * 255).round().astype(np.uint32)
    colours = np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])
    assert colours.size > 10


@pytest.mark.parametrize(
    ("runs", "powers"),
    [
        (5, ["Russia", "US", "China", "Turkey"]),
        (5, ["Russia", "US", "China", "Turkey", "EU"]),
        (1, ["Russia", "US", "China", "Turkey", "EU"]),
    ],
)
def test_write_plots(tmp_path: Path, runs: int, powers: list[str]) -> None:
    synthetic_traj = synthetic(runs, powers)
    np.testing.assert_allclose(synthetic_traj.alignment.sum(axis=-1), 1.0)
    outdir = tmp_path / "plots"  # does not exist yet: write_plots must create it
    paths = write_plots(synthetic_traj, outdir)
    assert [p.name for p in paths] == NAMES
    for path in paths:
        assert path.parent == outdir
        assert_real_png(path)


def test_blank_png_is_rejected(tmp_path: Path) -> None:
    """The PNG check itself can fail: a one-colour image does not pass."""
    blank = tmp_path / "blank.png"
    Figure(figsize=(6, 4)).savefig(blank, dpi=110)
    with pytest.raises(AssertionError):
        assert_real_png(blank)
