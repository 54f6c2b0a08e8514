"""Microsoft Teams Adaptive Card text (``TextBlock`` / ``FactSet`` values): Teams renders a Markdown subset
there (``**bold**``, ``_italic_``, ``[label](url)``, lists at a line's start) and entities, so every ASCII
punctuation character Markdown or HTML gives a meaning is backslash-escaped (CommonMark's escapes, which
Teams' renderer honours): a test named ``[Approve](https://evil.example)`` shows those characters, it is
no link. Controls and invisible characters are escaped first, so a value cannot start a new block."""

from __future__ import annotations

import re

from reconciler.core.text import escape_invisible

# CommonMark's escapable punctuation that any Markdown or HTML construct starts with.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&:=\"'])")


def text(value: str) -> str:
    """``value`` as Teams shows it literally: Markdown and HTML punctuation backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", escape_invisible(value))
