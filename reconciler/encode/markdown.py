"""GitHub-flavoured Markdown (PR comments, drift issues, job summaries, merge-request notes).

Text from a config or a server goes into a code span and nowhere else. Inside a code span GFM opens no
emphasis, link, image, autolink, mention, emoji, entity or HTML tag; the only ways out are a backtick run as
long as the fence (the fence is made longer than any run inside) and, in a table, ``|`` (escaped as ``\\|``,
which the table extension turns back into ``|`` inside the span). Line breaks and other controls are escaped
first, so a value can neither end a row nor start a block. Backslash-escaping punctuation instead would still
let GitHub autolink ``https://...``, ``www.`` and emails and turn ``@team`` into a mention: those run on the
rendered text, which only a code element keeps them out of.
"""

from __future__ import annotations

import re

from reconciler.core.text import escape_invisible

# A value longer than this is cut in a cell: a 10,000-character name would push the Change column off screen.
CELL_LIMIT = 300

_BACKTICKS = re.compile(r"`+")
# A link target that cannot end the link or the line early, nor be a javascript: or data: link.
_LINK_TARGET = re.compile(r"https?://[^\s\x00-\x1f\x7f()<>\[\]`\\\"']+")


def link_target(url: str) -> str:
    """``url`` when it is safe inside ``[label](url)`` (http or https, none of ``( ) < > [ ]``, quotes,
    backslashes, blanks or controls), else "" (the caller then shows no link). The run and pipeline URLs come
    from CI variables, which a job's own settings can override."""
    return url if _LINK_TARGET.fullmatch(url) else ""


def code(value: str, *, limit: int | None = None) -> str:
    """``value`` as an inline code span that renders exactly its (escaped) characters."""
    shown = escape_invisible(value)
    if limit is not None and len(shown) > limit:
        shown = f"{shown[:limit]}... ({len(shown) - limit} more characters)"
    if not shown.strip(" "):
        shown = f'"{shown}"'  # empty or all blanks: quoted, or the span would show nothing (or collapse)
    longest = max((len(run) for run in _BACKTICKS.findall(shown)), default=0)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick or a blank needs one blank each side, which GFM strips.
    pad = " " if shown[0] in "` " or shown[-1] in "` " else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def cell(value: str) -> str:
    """``value`` for a table cell: a code span with ``|`` escaped, cut at ``CELL_LIMIT`` characters."""
    return code(value, limit=CELL_LIMIT).replace("|", "\\|")


def fence(lines: list[str], info: str = "") -> str:
    """A fenced code block holding ``lines`` (each escaped to one line), with a fence no line can close."""
    shown = [escape_invisible(line) for line in lines]
    longest = max((len(run) for line in shown for run in _BACKTICKS.findall(line)), default=0)
    marker = "`" * max(3, longest + 1)
    return "\n".join([marker + info, *shown, marker])
