"""Sync windows: when changes may be written (Argo CD's sync windows, kargo's change windows).

A window opens at each time its cron expression names, in its timezone's wall time, and stays open for its
duration. The rules, as Argo CD's:

- a ``deny`` window in force refuses the changes it covers;
- when an account has ``allow`` windows, a change they cover is refused unless one of them is in force;
- deny wins over allow; a window limited to ``changes`` (its provider's resource types, e.g. ``test`` and
  ``member``) covers only those, so memberships can stay writable while test states are frozen.

Everything here is pure: the clock is an argument (an aware ``datetime``), so daylight-saving edges are
tested without waiting for them. Cron is evaluated on wall time: a start whose wall time is skipped by a
spring-forward fires at the first instant after the gap (a freeze must not silently vanish), and a wall
time that repeats at a fall-back fires once, at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_MINUTE = dt.timedelta(minutes=1)
MAX_DURATION = dt.timedelta(days=31)  # no freeze is longer, and the look-back stays a month of days


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
        return wall.minute in self.minutes and wall.hour in self.hours and self.matches_day(wall.date())

    def matches_day(self, day: dt.date) -> bool:
        """Whether the expression names some minute of ``day``."""
        if day.month not in self.months:
            return False
        day_ok, weekday_ok = day.day in self.days, (day.isoweekday() % 7) in self.weekdays
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
    # Or how to find it, asked only when a message shows the window: a config's positions are built on
    # demand (a reparse of the file), and most plans never show a window.
    locate: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    @property
    def place(self) -> str:
        """FILE:LINE of the window in the config."""
        return self.locate() if self.locate is not None else self.where

    def covers(self, resource: str) -> bool:
        """Whether this window concerns a change of ``resource`` (``test:381296``)."""
        return not self.changes or resource.partition(":")[0] in self.changes

    def opened(self, now: dt.datetime) -> dt.datetime | None:
        """The start of the occurrence in force at ``now`` (the latest one), or None.

        It walks back from cron match to cron match (days that match, then their hours and minutes, latest
        first), not minute by minute: a 31-day window is a few dozen candidates, not 44,640 steps."""
        zone = zoneinfo.ZoneInfo(self.timezone)
        instant = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
        earliest = instant - self.duration
        day = instant.astimezone(zone).date()
        # One day more than the span: a start skipped by a gap at midnight fires on the next day.
        last = earliest.astimezone(zone).date() - dt.timedelta(days=1)
        hours, minutes = sorted(self.cron.hours, reverse=True), sorted(self.cron.minutes, reverse=True)
        while day >= last:
            if self.cron.matches_day(day):
                for hour in hours:
                    for minute in minutes:
                        start = _start_of(dt.datetime.combine(day, dt.time(hour, minute)), zone)
                        if (
                            start <= instant
                        ):  # later wall times map to later instants: the first is the latest
                            return start if start > earliest else None
            day -= dt.timedelta(days=1)
        return None

    def ends(self, now: dt.datetime) -> dt.datetime | None:
        """When the occurrence in force at ``now`` ends (None when none is)."""
        start = self.opened(now)
        return start + self.duration if start is not None else None


def _start_of(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant a start at the naive wall time ``wall`` fires: its first occurrence when a fall-back
    repeats it (fold 0), the first instant after the gap when a spring-forward skips it."""
    first = wall.replace(tzinfo=zone).astimezone(dt.UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold 1 resolves before it: step to the transition (at most the gap's length, once a year).
    moment = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    while moment.astimezone(zone).replace(tzinfo=None) < wall:
        moment += _MINUTE
    return moment


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
            return f"{self.resource}: outside every allow window (e.g. {w.name!r}, {w.place})"
        return f"{self.resource}: deny window {w.name!r} ({w.place}) is in force until {_utc(self.until)}"


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def open_windows(windows: Sequence[Window], now: dt.datetime) -> list[tuple[Window, dt.datetime | None]]:
    """Each window and when its occurrence in force at ``now`` ends (None: closed). The one scan of an
    evaluation: the changes are then classified against this, never by scanning again."""
    return [(window, window.ends(now)) for window in windows]


def _refusal(evaluated: Sequence[tuple[Window, dt.datetime | None]], resource: str) -> Denial | None:
    concerned = [(w, end) for w, end in evaluated if w.covers(resource)]
    for window, end in concerned:
        if window.kind == "deny" and end is not None:
            return Denial(resource, window, end)
    allows = [(w, end) for w, end in concerned if w.kind == "allow"]
    if allows and all(end is None for _, end in allows):
        return Denial(resource, allows[0][0], None)
    return None


def denial(windows: Sequence[Window], resource: str, now: dt.datetime) -> Denial | None:
    """Whether a change of ``resource`` is refused at ``now``, and by which window."""
    return _refusal(open_windows([w for w in windows if w.covers(resource)], now), resource)


def refused(evaluated: Sequence[tuple[Window, dt.datetime | None]], resources: Iterable[str]) -> list[Denial]:
    """The refused changes among ``resources``, against windows already evaluated (``open_windows``)."""
    found = (_refusal(evaluated, r) for r in resources)
    return [d for d in found if d is not None]


def denials(windows: Sequence[Window], resources: Iterable[str], now: dt.datetime) -> list[Denial]:
    """The refused changes among ``resources`` at ``now`` (each window is evaluated once for all)."""
    return refused(open_windows(windows, now), resources)


def in_force(windows: Sequence[Window], now: dt.datetime) -> list[tuple[Window, dt.datetime]]:
    """The windows open at ``now`` and when each ends (what ``plan`` shows)."""
    return [(window, end) for window, end in open_windows(windows, now) if end is not None]


def describe(window: Window, end: dt.datetime) -> str:
    """One line for people: ``deny window 'black-friday' (shop.yaml:12) in force until ...``."""
    scope = f" for {', '.join(sorted(window.changes))} changes" if window.changes else ""
    return f"{window.kind} window {window.name!r} ({window.place}){scope} in force until {_utc(end)}"
