"""One colour per power everywhere (CLI plots, reports, visualizer): Okabe-Ito, colour-blind safe."""

from __future__ import annotations

KNOWN = {
    "Russia": "#D55E00",  # vermillion
    "US": "#0072B2",  # blue
    "China": "#009E73",  # bluish green
    "Turkey": "#CC79A7",  # reddish purple
    "EU": "#56B4E9",  # sky blue
}
SPARE = ["#E69F00", "#F0E442", "#000000", "#999999"]


def power_colors(powers: list[str]) -> dict[str, str]:
    """Colour for each power: fixed for the four main powers and the EU, spare colours in order for others."""
    spare = iter(SPARE * 4)
    return {p: KNOWN[p] if p in KNOWN else next(spare) for p in powers}
