"""The buttons' colours in the light and the dark theme, and the CSS that applies them.

Each pair of text and background meets WCAG AA text contrast (4.5:1; tests/test_viz.py computes
it): Vuetify's own colours did not (its success green and error red give 2.8:1 and 3.2:1 on
white, and white on its dark-theme blue 3.1:1). A button names its tone by a class, `tone-NAME`;
a disabled button keeps Vuetify's greyed look.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tone:
    """A button's text colour and the background behind it: its own fill, or the page's when outlined."""

    text: str
    background: str
    filled: bool = False


#: What lies behind an outlined button (the top bar and the panels) in each theme.
PAGE = {"light": "#FFFFFF", "dark": "#1E1E1E"}
#: Tone name -> theme -> colours. "main": Play, Step, Back and a Reset that waits; "plain": outlined.
TONES: dict[str, dict[str, Tone]] = {
    "main": {"light": Tone("#FFFFFF", "#1565C0", True), "dark": Tone("#FFFFFF", "#1565C0", True)},
    "plain": {"light": Tone("#1565C0", PAGE["light"]), "dark": Tone("#90CAF9", PAGE["dark"])},
    "attack": {"light": Tone("#C62828", PAGE["light"]), "dark": Tone("#FF8A80", PAGE["dark"])},
    "china": {"light": Tone("#806000", PAGE["light"]), "dark": Tone("#FFD54F", PAGE["dark"])},  # China's gold
}
#: The focus outline in each theme: at least 3:1 against the page (WCAG's contrast for what is not text).
FOCUS = {"light": "#1565C0", "dark": "#90CAF9"}


def css() -> str:
    """CSS rules giving each tone its colours in each theme, and every control a visible focus outline."""
    rules = []
    for name, themes in TONES.items():
        for theme, tone in themes.items():
            fill = f" background-color: {tone.background} !important;" if tone.filled else ""
            rules.append(
                f".theme--{theme} .v-btn.tone-{name}:not(.v-btn--disabled) {{ color: {tone.text} !important;{fill} }}"
            )
    for theme, color in FOCUS.items():
        rules.append(
            f".theme--{theme} :focus-visible, .theme--{theme} .v-input--is-focused .v-input__slot "
            f"{{ outline: 3px solid {color} !important; outline-offset: 2px; }}"
        )
    return "\n".join(rules) + "\n"
