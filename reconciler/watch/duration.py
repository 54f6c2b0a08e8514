"""Durations on the command line: ``300``, ``90s``, ``5m``, ``1h30m``, ``250ms``."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in ``text``: a plain number of seconds, or number-unit pairs (``1h30m``); ``ValueError``
    for anything else or for zero."""
    raw = text.strip().lower()
    try:
        seconds = float(raw)
    except ValueError:
        if not raw or _PART.sub("", raw):
            raise ValueError(
                f"{text!r} is not a duration: use seconds (300) or e.g. 90s, 5m, 1h30m"
            ) from None
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(raw))
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{text!r}: a duration must be more than zero")
    return seconds
