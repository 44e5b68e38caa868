"""One colour per power everywhere (CLI plots, reports, visualizer), told apart under colour blindness.

Each power keeps its usual hue (Russia red, the US blue, China gold, Turkey plum, the EU sky
blue), chosen so that any two stay at least 38 ΔE76 apart under normal vision, protanopia,
deuteranopia and tritanopia (benchmarks/colour_vision.py; the Okabe-Ito set gave 16), and each
stands out 2.2:1 from the page in the light and the dark theme.
"""

from __future__ import annotations

KNOWN = {
    "Russia": "#C11531",  # crimson
    "US": "#194EBE",  # blue
    "China": "#C7AC11",  # gold
    "Turkey": "#83396D",  # plum
    "EU": "#43BBE7",  # sky blue
}
SPARE = ["#E69F00", "#F0E442", "#000000", "#999999"]


def power_colors(powers: list[str]) -> dict[str, str]:
    """Colour for each power: fixed for the four main powers and the EU, spare colours in order for others."""
    spare = iter(SPARE * 4)
    return {p: KNOWN[p] if p in KNOWN else next(spare) for p in powers}
