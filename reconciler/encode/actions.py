"""GitHub Actions logs: a line that starts with ``::`` (or the older ``##[``) is a workflow command the runner
obeys (``::add-mask::``, ``::stop-commands::``, forged ``::error`` annotations), so no printed line may start
so. Our own annotations are written by ``command``; everything else goes through ``line``."""

from __future__ import annotations

import re

# The runner looks for a command after leading whitespace too: both spellings, after any blanks.
_COMMAND = re.compile(r"^(\s*)(::|##\[)")


def line(value: str) -> str:
    """One printed line made inert: a leading ``::`` becomes ``\\::`` (visible, and not a command)."""
    return _COMMAND.sub(lambda m: m.group(1) + "\\" + m.group(2), value)


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
