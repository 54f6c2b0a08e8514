"""Sync windows: when changes may be written (Argo CD's sync windows, kargo's change windows).

A window opens at each time its cron expression names, in its timezone's wall time, and stays open for its
duration. The rules, as Argo CD's:

- a ``deny`` window in force refuses the changes it covers;
- when an account has ``allow`` windows, a change they cover is refused unless one of them is in force;
- deny wins over allow; a window limited to ``changes`` (resource types: ``test``, ``member``, ``user``,
  ``script``) covers only those, so memberships can stay writable while test states are frozen.

Everything here is pure: the clock is an argument (an aware ``datetime``), so daylight-saving edges are
tested without waiting for them. Cron is evaluated on wall time: a start whose wall time is skipped by a
spring-forward fires at the first instant after the gap (a freeze must not silently vanish), and a wall
time that repeats at a fall-back fires once, at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_MINUTE = dt.timedelta(minutes=1)
MAX_DURATION = dt.timedelta(days=31)  # the look-back is one step a minute: bounded, and no freeze is longer


class CronError(ValueError):
    """A cron expression that does not parse."""


@dataclass(frozen=True)
class Cron:
    """Five fields (minute hour day-of-month month day-of-week): ``*``, numbers, ranges, lists, steps."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday (7 is read as 0)
    any_day: bool  # day of month is ``*``
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        """Parse ``text``; ``CronError`` naming the field that is wrong."""
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"{text!r}: a cron expression has 5 fields (minute hour day month weekday)")
        sets = [_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*")

    def matches(self, wall: dt.datetime) -> bool:
        """Whether the wall time ``wall`` (its minute) is one the expression names."""
        if wall.minute not in self.minutes or wall.hour not in self.hours or wall.month not in self.months:
            return False
        day_ok, weekday_ok = wall.day in self.days, (wall.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:  # cron's rule: both restricted means either may match
            return day_ok and weekday_ok
        return day_ok or weekday_ok


def _field(text: str, name: str, lo: int, hi: int) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, stop = lo, hi
            elif "-" in base:
                first, _, last = base.partition("-")
                start, stop = int(first), int(last)
            else:
                start = int(base)
                stop = hi if step_text else start
        except ValueError:
            raise CronError(f"cron {name} {text!r}: expected *, N, N-M, lists and /STEP") from None
        if step < 1 or not lo <= start <= stop <= hi:
            raise CronError(f"cron {name} {text!r}: values go from {lo} to {hi}")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Window:
    """One window: allow or deny, from each cron start for ``duration``, optionally for some changes."""

    name: str
    kind: str  # "allow" | "deny"
    cron: Cron
    duration: dt.timedelta
    timezone: str
    changes: frozenset[str] = frozenset()  # resource types; empty: every change
    where: str = ""  # FILE:LINE of the window in the config

    def covers(self, resource: str) -> bool:
        """Whether this window concerns a change of ``resource`` (``test:381296``)."""
        return not self.changes or resource.partition(":")[0] in self.changes

    def opened(self, now: dt.datetime) -> dt.datetime | None:
        """The start of the occurrence in force at ``now`` (the latest one), or None."""
        zone = zoneinfo.ZoneInfo(self.timezone)
        instant = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
        earliest = instant - self.duration
        while instant > earliest:
            if self._starts_at(instant, zone):
                return instant
            instant -= _MINUTE
        return None

    def ends(self, now: dt.datetime) -> dt.datetime | None:
        """When the occurrence in force at ``now`` ends (None when none is)."""
        start = self.opened(now)
        return start + self.duration if start is not None else None

    def _starts_at(self, instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
        wall = instant.astimezone(zone)
        if wall.fold:  # the second pass of a repeated hour: it fired on the first
            return False
        before = (instant - _MINUTE).astimezone(zone).replace(tzinfo=None)
        here = wall.replace(tzinfo=None)
        if here - before <= _MINUTE:
            return self.cron.matches(here)
        skipped = before + _MINUTE  # a spring-forward gap: the wall times that never happened start here
        while skipped <= here:
            if self.cron.matches(skipped):
                return True
            skipped += _MINUTE
        return False


@dataclass(frozen=True)
class Denial:
    """Why a change may not be written now: the window that denies it (or the allow windows closed)."""

    resource: str
    window: Window
    until: dt.datetime | None  # when a deny window ends; None for "outside every allow window"

    def message(self) -> str:
        """What the user reads: which window, where it is, until when."""
        w = self.window
        if self.until is None:
            return f"{self.resource}: outside every allow window (e.g. {w.name!r}, {w.where})"
        return f"{self.resource}: deny window {w.name!r} ({w.where}) is in force until {_utc(self.until)}"


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def denial(windows: Sequence[Window], resource: str, now: dt.datetime) -> Denial | None:
    """Whether a change of ``resource`` is refused at ``now``, and by which window."""
    concerned = [w for w in windows if w.covers(resource)]
    for window in concerned:
        if window.kind == "deny":
            end = window.ends(now)
            if end is not None:
                return Denial(resource, window, end)
    allows = [w for w in concerned if w.kind == "allow"]
    if allows and not any(w.opened(now) is not None for w in allows):
        return Denial(resource, allows[0], None)
    return None


def denials(windows: Sequence[Window], resources: Iterable[str], now: dt.datetime) -> list[Denial]:
    """The refused changes among ``resources`` at ``now``."""
    found = (denial(windows, r, now) for r in resources)
    return [d for d in found if d is not None]


def in_force(windows: Sequence[Window], now: dt.datetime) -> list[tuple[Window, dt.datetime]]:
    """The windows open at ``now`` and when each ends (what ``plan`` shows)."""
    out = []
    for window in windows:
        end = window.ends(now)
        if end is not None:
            out.append((window, end))
    return out


def describe(window: Window, end: dt.datetime) -> str:
    """One line for people: ``deny window 'black-friday' (shop.yaml:12) in force until ...``."""
    scope = f" for {', '.join(sorted(window.changes))} changes" if window.changes else ""
    return f"{window.kind} window {window.name!r} ({window.where}){scope} in force until {_utc(end)}"
