"""GitHub Actions logs: a line that starts with ``::`` (or the older ``##[``) is a workflow command the runner
obeys (``::add-mask::``, ``::stop-commands::``, forged ``::error`` annotations), so no printed line may start
so. Our own annotations are written by ``command``; everything else goes through ``line``."""

from __future__ import annotations

import re
from typing import Any, TextIO

# The runner looks for a command after leading whitespace too: both spellings (and Azure's ``##vso[``).
# Blanks include what draws nothing: a byte-order mark and the zero-width characters, which a trim that
# knows them (or an older runtime's) would remove as well. The safe side: count them as blanks.
_BLANK = r"[\s\ufeff\u200b\u200c\u200d\u2060]"
_COMMAND = re.compile(rf"^({_BLANK}*)(::|##(?:vso)?\[)")
# A line start that may still become one of those, and the breaks that end a line for str.splitlines.
_UNDECIDED = re.compile(rf"{_BLANK}*(?::|#|##|##v|##vs|##vso)?")
_BLANKS = re.compile(f"{_BLANK}*")
_LINE_ENDS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def line(value: str) -> str:
    """One printed line made inert: a leading ``::`` becomes ``\\::`` (visible, and not a command)."""
    return _COMMAND.sub(lambda m: m.group(1) + "\\" + m.group(2), value)


class SafeStream:
    """A text stream whose every line is passed through ``line`` as it is written, in whatever pieces: what
    the CLI prints in a GitHub Actions job cannot be a workflow command, whichever code path printed it.

    The start of a line that could still become a command (blanks, then ``:`` or ``#``...) is held back until
    the line decides; a flush writes it with the mark already added. Any line break ``str.splitlines`` knows
    ends a line here (more than the runner splits on: the safe side)."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        self._at_start = True  # no character but blanks written on this line yet
        self._blanks = 0  # blanks already written at the start of this line
        self._held = ""  # the undecided start of the line, not written yet

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes with b"" to tell a text stream from a binary one
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        out = []
        for piece in text.splitlines(keepends=True):
            ended = piece.rstrip(_LINE_ENDS) != piece
            if self._at_start:
                piece = self._held + piece
                self._held = ""
                if not ended and _UNDECIDED.fullmatch(piece):
                    self._held = piece
                    continue
                piece = line(" " * self._blanks + piece)[self._blanks :]
                self._blanks = 0
            self._at_start = ended
            out.append(piece)
        if out:
            self._inner.write("".join(out))
        return len(text)

    def flush(self) -> None:
        if self._held:
            blanks = len(_BLANKS.match(self._held).group())  # type: ignore[union-attr]  # always matches
            rest = self._held[blanks:]
            self._inner.write(self._held[:blanks] + ("\\" + rest if rest else ""))
            self._blanks += blanks
            self._at_start = not rest
            self._held = ""
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno...: the inner stream's
        return getattr(self._inner, name)


def lines(value: str) -> str:
    """Every line of ``value`` made inert (newlines kept: this is for text already one line per line)."""
    return "\n".join(line(part) for part in value.split("\n"))


def _property(value: str) -> str:
    # The runner's own escapes for a command's data and properties (actions/toolkit, command.ts).
    return (
        value.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def command(name: str, message: str, **properties: str) -> str:
    """A workflow command of ours (``::error file=...::message``), its data escaped as the runner expects."""
    props = ",".join(f"{key}={_property(value)}" for key, value in properties.items())
    data = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{name}{' ' + props if props else ''}::{data}"
