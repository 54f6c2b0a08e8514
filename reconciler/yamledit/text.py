"""YAML text for values and comments we write ourselves: always valid, never surprising.

A value is written plain only when every YAML reader agrees it is that very string (YAML 1.1 readers take
``no`` for a boolean, 1.2 readers do not: we quote both). Anything else is double-quoted with escapes. A
test's name goes into a comment, where nothing is escaped by YAML itself: a newline would end the comment and
turn the rest of the name into YAML, so names are written as a double-quoted, escaped string there too.
"""

from __future__ import annotations

import functools
import re

from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

_STR_TAG = "tag:yaml.org,2002:str"
# Conservative: letters, digits and the punctuation of emails, timezone names and enums; no leading
# indicator character, no ': ' or ' #', no spaces.
_PLAIN = re.compile(r"[A-Za-z0-9_$][A-Za-z0-9_.@+\-/{}$]*")
_RESOLVERS = (VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2)))
_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\0": "\\0",
    "\x85": "\\N",
    "\u2028": "\\L",  # line separators: YAML and str.splitlines() both break lines on them
    "\u2029": "\\P",
}


def _printable(char: str) -> bool:
    """YAML's printable set, minus the byte-order mark (only allowed at the start of a stream)."""
    code = ord(char)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )


def double_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar on one line (non-ASCII kept readable, controls escaped)."""
    return '"' + _escaped(text, quotes=True) + '"'


def one_line(text: str) -> str:
    """Free text for a comment: line breaks and control characters escaped, quotes left as they are."""
    return _escaped(text, quotes=False)


def _escaped(text: str, *, quotes: bool) -> str:
    out = []
    for char in text:
        if char in _ESCAPES and (quotes or char not in '"\\'):
            out.append(_ESCAPES[char])
        elif _printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def single_quoted(text: str) -> str | None:
    """``text`` as a single-quoted scalar, or None when it cannot be one (it needs escapes)."""
    if any(not _printable(c) for c in text):
        return None
    return "'" + text.replace("'", "''") + "'"


@functools.cache
def is_plain_safe(text: str) -> bool:
    """True when ``text`` written plain reads back as the same string in YAML 1.1 and 1.2."""
    if not _PLAIN.fullmatch(text):
        return False
    return all(r.resolve(ScalarNode, text, (True, False)) == _STR_TAG for r in _RESOLVERS)


def scalar(text: str) -> str:
    """A string value: plain when that is unambiguous, double-quoted otherwise."""
    return text if is_plain_safe(text) else double_quoted(text)


def comment_text(text: str) -> str:
    """A name for a ``# ...`` comment: one line, quoted, escaped; ``(no name)`` when empty."""
    return double_quoted(text) if text else "(no name)"


def ascii_quoted(text: str) -> str:
    """``text`` double-quoted with every non-ASCII character escaped (``\\u0430``): an email whose letters
    imitate others shows what it is in the file itself, where a reviewer reads it."""

    def escaped(char: str) -> str:
        code = ord(char)
        return char if char.isascii() else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    return "".join(escaped(c) for c in double_quoted(text))
