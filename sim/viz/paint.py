"""Every panel that shows the month painted from one message, so that the browser never shows two months at once.

Each Solara widget is updated by a message of its own, and the browser may paint between two
messages: after Step the top bar showed the new month while the table still showed the last. So
the panels are empty slots (`components.Slot`), and one widget (`PaintAtOnce`) carries all their HTML for a
model version and writes it into every slot in the same instant, before the browser paints.
"""

from __future__ import annotations

from solara.components.component_vue import component_vue


@component_vue("paint.vue")
def PaintAtOnce(panels: dict[str, str]) -> None:
    """Writes `panels[name]` into every slot of that name whenever `panels["frame"]` changes, and into any slot
    that appears later (a panel drawn again after Reset)."""
