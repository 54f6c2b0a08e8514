"""Text a reviewer can trust: characters that are invisible, or that look like others, shown escaped.

A plan is read by a person who approves it. A zero-width space or a Cyrillic a (U+0430) in an email reads as the
address it imitates, and a newline or an ANSI escape in a name (a server chooses names) can forge or hide a
plan line. Pure: only ``unicodedata``.
"""

from __future__ import annotations

import unicodedata

# Unicode categories that draw nothing or move the cursor: controls, format characters (zero-width space,
# bidi overrides), line and paragraph separators, unassigned and private-use code points.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"})


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def is_invisible(char: str) -> bool:
    """A character that draws nothing or moves the cursor (every space but the plain one counts)."""
    category = unicodedata.category(char)
    return category in _INVISIBLE or (category == "Zs" and char != " ")


def escape_invisible(text: str) -> str:
    """``text`` with invisible and control characters escaped (``\\u200b``); other letters, accents
    included, stay as they are. Backslashes are left alone: text already escaped is not escaped twice,
    and a backslash is visible."""
    if text.isprintable():
        return text  # the common case, in one C call
    return "".join(_escaped(c) if is_invisible(c) else c for c in text)


def escape_non_ascii(text: str) -> str:
    """``text`` with every character that is not printable ASCII escaped: for emails, where a lookalike
    letter is the attack."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if c.isascii() and c.isprintable() else _escaped(c) for c in text)


def suspicious_characters(text: str) -> list[str]:
    """The characters of ``text`` that are not printable ASCII, each as ``U+0430 CYRILLIC SMALL LETTER A``."""
    out = []
    for char in dict.fromkeys(text):
        if not (char.isascii() and char.isprintable()):
            out.append(f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}")
    return out
