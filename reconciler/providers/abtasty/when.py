"""A test's schedule as the API may print it, read as instants; timezones compared by their rules.

The document shows ``start_datetime`` / ``stop_datetime`` only as ``0`` and never a scheduled test. The
same payload prints ``creation_date`` as ISO 8601 with an offset and ``last_play_timestamp`` as epoch
seconds, so a real server may use either, or epoch milliseconds, or the schedule body's own form (local
wall time, no offset, in the test's timezone), and ``null`` for "unscheduled". Every one of those is read
here as epoch seconds (0: unscheduled), and compared as an instant, never as text.

Timezones: a server may store ``US/Eastern`` as ``America/New_York``. Two names are the same timezone for
a schedule when they give the same UTC offset at each of its instants: then every local time the plan
would show is the same on both sides, and no change is planned.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable

from reconciler.errors import ServerError
from reconciler.http import Route
from reconciler.http.bodies import is_int, malformed

# Epoch seconds reach 10**11 only in the year 5138; epoch milliseconds pass it in 1973. A number above it
# is milliseconds: no schedule of either reading falls on the other side.
_MILLIS_FROM = 10**11
_ZERO_DATES = ("0000-00-00",)  # what some SQL-backed APIs print for "no date"
_EXPECTED = "epoch seconds or milliseconds, an ISO 8601 date and time, 0 or null"


def zone(name: str) -> dt.tzinfo | None:
    """The timezone ``name`` names, or None when it is empty or unknown to this machine."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def parse_instant(value: object, timezone: str, key: str, route: Route | str) -> int:
    """A schedule field (any shape above) -> epoch seconds, 0 when unscheduled.

    A local time without an offset is read in ``timezone`` (the test's ``start_stop_timezone``), as the
    schedule PATCH sends it; without a timezone this machine knows, it could mean any instant: a
    ``ServerError`` naming the field, never a guess. (``route`` is parsed only for an error.)
    """
    if value is None or value == "" or value == 0:
        return 0
    if is_int(value) or (isinstance(value, float) and math.isfinite(value)):
        return _from_number(value, key, route)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return _from_number(int(text), key, route)
        if text.startswith(_ZERO_DATES):
            return 0
        return _from_text(text, timezone, key, route)
    raise malformed(Route.parse(route), repr(key), value, _EXPECTED)


def _from_number(number: float, key: str, route: Route | str) -> int:
    seconds = int(number // 1000) if abs(number) >= _MILLIS_FROM else int(number)
    try:  # the plan shows it as a date: one that no calendar holds is a malformed body, not a crash
        dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, ValueError, OSError):
        raise malformed(Route.parse(route), repr(key), number, _EXPECTED) from None
    return seconds


def _from_text(text: str, timezone: str, key: str, route: Route | str) -> int:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise malformed(Route.parse(route), repr(key), text, _EXPECTED) from None
    if when.tzinfo is None:
        tz = zone(timezone)
        if tz is None:
            raise _ambiguous(Route.parse(route), key, text, timezone)
        when = when.replace(tzinfo=tz)
    return int(when.timestamp())


def _ambiguous(route: Route, key: str, text: str, timezone: str) -> ServerError:
    what = f"timezone {timezone!r} is unknown here" if timezone else "no start_stop_timezone is given"
    return route.error(
        f"ambiguous {key!r}: {text!r} has no UTC offset and {what}, so it could mean any instant; "
        "reconciler will not guess (see docs/providers/abtasty.md, Reading the API document)"
    )


def same_zone(first: str, second: str, instants: Iterable[int]) -> bool:
    """Whether two timezone names mean the same for a schedule: equal names, or zones this machine knows
    that give the same UTC offset at each of ``instants`` (epoch seconds; 0s are skipped)."""
    if first == second:
        return True
    a, b = zone(first), zone(second)
    if a is None or b is None:
        return False
    moments = [dt.datetime.fromtimestamp(t, dt.UTC) for t in instants if t]
    return bool(moments) and all(a.utcoffset(m) == b.utcoffset(m) for m in moments)
