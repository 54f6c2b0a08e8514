"""Microsoft Teams Adaptive Card text (``TextBlock`` / ``FactSet`` values): Teams renders a Markdown subset
there (``**bold**``, ``_italic_``, ``[label](url)``, lists at a line's start) and entities, so the
characters that start one of those are backslash-escaped (CommonMark's escapes, which Teams' renderer
honours): a test named ``[Approve](https://evil.example)`` shows those characters, it is no link.

Only those: Teams mobile shows an escape it did not need literally (``1\\.5`` for ``1.5``), so ``-``, ``.``,
``:``, ``=`` and quotes are escaped only where they mean something: at the start of the text (a list item,
a heading, an ordered list's ``1.``), and in a bare URL (its ``://`` or ``www.``, else it is linked).
Leading spaces become no-break spaces (four would start a code block, and a paragraph drops them).
Adaptive Cards also replace ``{{DATE(...)}}`` and ``{{TIME(...)}}`` in a TextBlock by the reader's local
date or time, before Markdown: the second brace is escaped, so no value shows a date it does not hold
(Teams mobile may show that backslash: a rare value shown with one character more, never another date).
Controls and invisible characters are escaped first, so a value cannot start a new line, and the start of
the value is the only start of a line there is."""

from __future__ import annotations

import re

from reconciler.core.text import escape_invisible

# Markdown or HTML meaning anywhere in a line: emphasis, code, links and images, raw HTML and autolinks
# (<...>), entities (&...;), strikethrough, and the escape character itself.
_ANYWHERE = re.compile(r"([\\`*_\[\]<>&~])")
# Meaning only at the start of a line: a heading (``# ``), a list item (``- ``, ``+ ``), a thematic break
# (``---``), an ordered list (``1. ``, ``1) ``); ``1.5`` or ``-x`` mean nothing and stay as they are.
_LINE_START = re.compile(r"^(#{1,6}(?= |$)|[+\-](?= |$)|-(?=[- ]*$))|^(\d{1,9})([.)])(?= |$)")
# A bare URL is linked by the renderer (GFM's autolinks), and the link swallows the escapes next to it
# (``https://a.b\*`` links ``a.b\``): its ``://`` or ``www.`` is broken, the one backslash left in a URL.
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<=www)\.")
# The card's date and time functions. The renderers match them case-sensitively with no blanks; this is
# wider on purpose (ASCII letters in any case, blanks allowed), in case one renderer is more lenient.
# ``{\{DATE(`` is no function, and Markdown shows the escaped brace as ``{``.
_FUNCTION = re.compile(r"(?ai)(?<=\{)\{(?=\s*(?:DATE|TIME)\s*\()")
NO_BREAK_SPACE = "\u00a0"


def text(value: str) -> str:
    """``value`` as Teams shows it literally: the Markdown and HTML that would act, backslash-escaped."""
    shown = _AUTOLINK.sub(r"\\\g<0>", _ANYWHERE.sub(r"\\\1", escape_invisible(value)))
    shown = _FUNCTION.sub(r"\\{", shown)
    body = shown.lstrip(" ")
    indent = NO_BREAK_SPACE * (len(shown) - len(body))
    if indent:  # after a no-break space nothing is at the start of a line
        return indent + body
    return _LINE_START.sub(_start, body, count=1)


def _start(match: re.Match[str]) -> str:
    # One backslash before the marker is enough: ``\## x`` is text, so is ``\---``.
    marker, digits, closer = match.groups()
    return "\\" + marker if marker else f"{digits}\\{closer}"
