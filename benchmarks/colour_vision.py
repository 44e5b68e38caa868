"""How far apart the powers' colours stay under normal vision and the three colour-blindnesses.

Each colour is simulated as a protanope, deuteranope or tritanope sees it (Machado, Oliveira and
Fernandes 2009, severity 1.0, applied to linear sRGB) and compared in CIELAB (ΔE76, D65 white).
tests/test_viz.py holds sim/outputs/colors.py to the minimum printed here.

Usage: python benchmarks/colour_vision.py   (prints each condition's closest pair of powers)
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sim.outputs.colors import KNOWN  # noqa: E402

#: Machado et al. (2009), severity 1.0: linear RGB as each condition sees it.
VISION: dict[str, np.ndarray] = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}  # fmt: skip
#: Linear sRGB to CIE XYZ, and the D65 white.
XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
WHITE = XYZ @ np.ones(3)


def linear(hex_colour: str) -> np.ndarray:
    """A #RRGGBB colour as linear sRGB in [0, 1]."""
    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB of a linear sRGB colour (clipped to the gamut first)."""
    t = XYZ @ np.clip(rgb, 0.0, 1.0) / WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distances(colours: dict[str, str]) -> dict[str, tuple[float, str, str]]:
    """For each way of seeing: the smallest ΔE76 between two of the colours, and which two."""
    out = {}
    for vision, matrix in VISION.items():
        seen = {name: lab(matrix @ linear(c)) for name, c in colours.items()}
        out[vision] = min(
            (float(np.linalg.norm(seen[a] - seen[b])), a, b) for a, b in itertools.combinations(colours, 2)
        )
    return out


def minimum(colours: dict[str, str]) -> float:
    """The smallest ΔE76 between two of the colours under any of the four ways of seeing."""
    return min(d for d, _, _ in distances(colours).values())


def main() -> None:
    for vision, (d, a, b) in distances(KNOWN).items():
        print(f"{vision:13s} min ΔE76 {d:5.1f} ({a}-{b})")
    print(f"minimum {minimum(KNOWN):.1f}")


if __name__ == "__main__":
    main()
