"""How a test's schedule is printed and how a timezone is stored, in each dialect.

The document shows ``start_datetime`` / ``stop_datetime`` only as ``0`` (never a scheduled test), next to
``creation_date`` as ISO 8601 with an offset and ``last_play_timestamp`` as epoch seconds. The sandbox keeps
epoch seconds and prints them as the dialect says: epoch seconds (default), ISO with an offset
(``dates-iso``), epoch milliseconds (``dates-ms``) or local wall time in the test's timezone
(``dates-local``); unscheduled is ``0``, or ``null`` with ``dates-null``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Aliases a server may store under their canonical name (tz-canonical): the IANA "backward" links in use.
CANONICAL = {
    "US/Eastern": "America/New_York",
    "US/Central": "America/Chicago",
    "US/Mountain": "America/Denver",
    "US/Pacific": "America/Los_Angeles",
    "US/Hawaii": "Pacific/Honolulu",
    "Canada/Eastern": "America/Toronto",
    "Europe/Kiev": "Europe/Kyiv",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "GB": "Europe/London",
    "Japan": "Asia/Tokyo",
    "UTC": "Etc/UTC",
    "Universal": "Etc/UTC",
    "Zulu": "Etc/UTC",
}


def stored_zone(name: str, dialects: frozenset[str]) -> str:
    """The timezone name as stored: as sent, or its canonical name with ``tz-canonical``."""
    return CANONICAL.get(name, name) if "tz-canonical" in dialects else name


def render_when(epoch: int, timezone: str, dialects: frozenset[str]) -> Any:
    """One schedule instant (epoch seconds, 0 when unscheduled) in the dialect's shape."""
    if not epoch:
        return None if "dates-null" in dialects else 0
    if "dates-ms" in dialects:
        return epoch * 1000
    if "dates-iso" in dialects or "dates-local" in dialects:
        when = dt.datetime.fromtimestamp(epoch, _zone(timezone))
        return when.strftime("%Y-%m-%dT%H:%M:%S" if "dates-local" in dialects else "%Y-%m-%dT%H:%M:%S%z")
    return epoch


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC
