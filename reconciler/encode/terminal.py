"""The terminal: one line per line, no control or invisible character (an ANSI escape or a newline in a name
would redraw or forge what the reviewer reads)."""

from __future__ import annotations

from reconciler.core.text import escape_invisible


def text(value: str) -> str:
    """``value`` on one line, with every control, format and invisible character escaped (``\\x1b``)."""
    return escape_invisible(value)
