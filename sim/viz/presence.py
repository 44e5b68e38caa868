"""Whether a browser still shows a page, so that work for a closed tab stops at once.

Solara keeps a page's session for a while after its tab closes (in case the connection comes back), and
Play's thread and the "why" panel would go on working for nobody until the server frees it.
"""

from __future__ import annotations

from collections.abc import Callable

from solara.server import kernel_context


def watched() -> Callable[[], bool]:
    """For the page being rendered: a check that is false once its last connection has closed or dropped
    (always true when rendered outside a server, where nobody can close it)."""
    try:
        context = kernel_context.get_current_context()
    except RuntimeError:
        return lambda: True

    def still() -> bool:
        pages = list(context.page_status.values())
        return not context.closed_event.is_set() and (not pages or kernel_context.PageStatus.CONNECTED in pages)

    return still
