"""The teacher's keys and what the page showed when Pause was pressed, from the browser.

Space plays and pauses, the right arrow steps and the left arrow goes back, unless the focus is
in a field or a slider (which keep their keys); on a button, Space presses that button. A click
on Pause comes as the key "pause" with the month on screen, in one message, so that Play can stop
there even if the next month was already being drawn; a click on a state's pie names that state.
"""

from __future__ import annotations

from collections.abc import Callable

from solara.components.component_vue import component_vue


@component_vue("keys.vue")
def TeacherKeys(
    event_key: Callable[[dict[str, object]], None],
    event_pick: Callable[[dict[str, object]], None],
) -> None:
    """Listens to the page's keyboard and to clicks on Pause and on the map's pies; sends {"key", "shown"}
    and {"state"}."""
