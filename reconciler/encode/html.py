"""HTML (the status page, and ``<details>`` blocks of a comment): every value an escaped text node."""

from __future__ import annotations

import html as _html

from reconciler.core.text import escape_invisible


def text(value: str) -> str:
    """``value`` as an HTML text or attribute value: ``& < > " '`` as entities, controls escaped."""
    return _html.escape(escape_invisible(value), quote=True)
