"""A sync window is scanned once per evaluation, however many changes it judges, and the scan jumps from
cron match to cron match (days, then hours and minutes) instead of stepping through every minute of a
31-day span. The answers are those of the minute-by-minute scan (kept here as the oracle), including around
Paris' and New York's daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest

from reconciler.config.windows import windows_report
from reconciler.core.plan import AccountPlan
from reconciler.core.windows import Cron, Window, denials

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MINUTE = dt.timedelta(minutes=1)


def _oracle_opened(window: Window, now: dt.datetime) -> dt.datetime | None:
    """The previous implementation: every minute back from ``now``, with its gap and fold rules."""
    zone = zoneinfo.ZoneInfo(window.timezone)
    instant = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    earliest = instant - window.duration
    while instant > earliest:
        wall = instant.astimezone(zone)
        before = (instant - MINUTE).astimezone(zone).replace(tzinfo=None)
        here = wall.replace(tzinfo=None)
        if not wall.fold:
            if here - before <= MINUTE:
                if window.cron.matches(here):
                    return instant
            else:
                skipped = before + MINUTE
                while skipped <= here:
                    if window.cron.matches(skipped):
                        return instant
                    skipped += MINUTE
        instant -= MINUTE
    return None


def _month_freeze(cron: str = "0 0 * * 5", tz: str = "Europe/Paris") -> Window:
    return Window(
        "month", "deny", Cron.parse(cron), dt.timedelta(days=31), tz, frozenset({"test"}), "a.yaml:3"
    )


def test_a_thousand_changes_under_a_31_day_window_cost_one_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[dt.datetime] = []
    days: list[dt.date] = []
    real_ends, real_day = Window.ends, Cron.matches_day

    def counted_ends(self: Window, now: dt.datetime) -> dt.datetime | None:
        scans.append(now)
        return real_ends(self, now)

    def counted_day(self: Cron, day: dt.date) -> bool:
        days.append(day)
        return real_day(self, day)

    monkeypatch.setattr(Window, "ends", counted_ends)
    monkeypatch.setattr(Cron, "matches_day", counted_day)
    # A start on the 1st at 00:00 seen on the 31st: the whole month is walked back.
    freeze = _month_freeze("0 0 1 * *")
    now = dt.datetime(2026, 7, 31, 23, 0, tzinfo=PARIS)
    changes = [f"test:{k}" for k in range(1_000)] + ["member:a@b.c"]
    assert len(denials([freeze], changes, now)) == 1_000
    assert len(scans) == 1
    assert len(days) <= 33  # one look at each day of the span, not 44,640 minutes


def test_plan_lines_and_held_changes_share_one_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[dt.datetime] = []
    real_ends = Window.ends

    def counted_ends(self: Window, now: dt.datetime) -> dt.datetime | None:
        scans.append(now)
        return real_ends(self, now)

    monkeypatch.setattr(Window, "ends", counted_ends)
    monkeypatch.setattr("reconciler.config.windows.windows_of", lambda _loaded: [_month_freeze()])

    class Loaded:
        path = "a.yaml"

    plan = AccountPlan("a.yaml", "demo", "shop", ())
    lines = windows_report([Loaded()], [plan], dt.datetime(2026, 7, 20, 12, tzinfo=PARIS))
    assert len(scans) == 1 and "deny window 'month'" in lines[0]


@pytest.mark.parametrize(
    ("cron", "tz", "start"),
    [
        ("30 2 * * *", "Europe/Paris", dt.datetime(2026, 3, 27, tzinfo=dt.UTC)),  # a start in the gap
        ("30 2 * * *", "Europe/Paris", dt.datetime(2026, 10, 23, tzinfo=dt.UTC)),  # a repeated start
        ("*/20 1-3 * * 0", "America/New_York", dt.datetime(2026, 3, 7, tzinfo=dt.UTC)),
        ("0 0 13 * 5", "Europe/Paris", dt.datetime(2026, 11, 1, tzinfo=dt.UTC)),
    ],
)
def test_the_jumps_answer_as_the_minute_scan(cron: str, tz: str, start: dt.datetime) -> None:
    rng = random.Random(cron)
    for hours in (0.5, 2.0, 26.0):
        window = Window("w", "deny", Cron.parse(cron), dt.timedelta(hours=hours), tz, frozenset(), "a.yaml:1")
        for _ in range(60):
            now = start + dt.timedelta(minutes=rng.randrange(4 * 24 * 60), seconds=rng.randrange(60))
            assert window.opened(now) == _oracle_opened(window, now), (cron, tz, hours, now)
