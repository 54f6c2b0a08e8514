"""Sync windows evaluated with a clock argument: cron fields, allow / deny rules, kinds of change, and the
timezone and daylight-saving edges (a start the clocks skip, a start the clocks repeat)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from reconciler.config.windows import parse_window_duration
from reconciler.core.windows import Cron, CronError, Window, denial, in_force

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def window(
    kind: str, cron: str, hours: float, tz: str = "Europe/Paris", changes: tuple[str, ...] = ()
) -> Window:
    return Window(
        f"{kind}-w", kind, Cron.parse(cron), dt.timedelta(hours=hours), tz, frozenset(changes), "a.yaml:7"
    )


def at(
    year: int, month: int, day: int, hour: int, minute: int = 0, tz: zoneinfo.ZoneInfo = PARIS
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.mark.parametrize(
    ("text", "minutes", "hours"),
    [("*/15 9-17 * * 1-5", {0, 15, 30, 45}, set(range(9, 18))), ("5,10 0 1 1 *", {5, 10}, {0})],
)
def test_cron_fields(text: str, minutes: set[int], hours: set[int]) -> None:
    cron = Cron.parse(text)
    assert cron.minutes == minutes and cron.hours == hours


@pytest.mark.parametrize(
    "text", ["", "* * * *", "60 * * * *", "* 24 * * *", "a * * * *", "*/0 * * * *", "5-1 * * * *"]
)
def test_bad_cron(text: str) -> None:
    with pytest.raises(CronError):
        Cron.parse(text)


def test_weekday_seven_is_sunday_and_day_or_weekday() -> None:
    assert Cron.parse("0 0 * * 7").matches(dt.datetime(2026, 11, 29))  # a Sunday
    either = Cron.parse("0 0 13 * 5")  # the 13th, or any Friday (cron's rule when both are restricted)
    assert either.matches(dt.datetime(2026, 11, 13)) and either.matches(dt.datetime(2026, 11, 20))
    assert not either.matches(dt.datetime(2026, 11, 21))


def test_deny_window_in_force_and_when_it_ends() -> None:
    black_friday = window("deny", "0 0 27 11 *", 96)
    inside = at(2026, 11, 28, 12)
    found = denial([black_friday], "test:1", inside)
    assert found is not None and found.until == at(2026, 12, 1, 0)
    assert "deny window 'deny-w' (a.yaml:7)" in found.message()
    assert denial([black_friday], "test:1", at(2026, 12, 1, 0)) is None  # the end is exclusive
    assert denial([black_friday], "test:1", at(2026, 11, 26, 23, 59)) is None


def test_allow_windows_close_everything_else_and_deny_wins() -> None:
    office = window("allow", "0 9 * * 1-5", 8)
    assert denial([office], "member:a@b.c", at(2026, 12, 2, 10)) is None  # a Wednesday, 10:00
    closed = denial([office], "member:a@b.c", at(2026, 12, 2, 18))
    assert closed is not None and closed.until is None and "outside every allow window" in closed.message()
    freeze = window("deny", "0 10 2 12 *", 1)
    assert denial([office, freeze], "member:a@b.c", at(2026, 12, 2, 10, 30)) is not None


def test_a_window_limited_to_kinds_of_change() -> None:
    tests_frozen = window("deny", "0 0 27 11 *", 96, changes=("test",))
    now = at(2026, 11, 28, 12)
    assert denial([tests_frozen], "test:381296", now) is not None
    assert denial([tests_frozen], "member:a@b.c", now) is None  # memberships stay writable


def test_the_window_follows_its_own_timezone() -> None:
    ny_midnight = window("deny", "0 0 * * *", 1, tz="America/New_York")
    assert denial([ny_midnight], "test:1", at(2026, 11, 28, 0, 30, NEW_YORK)) is not None
    assert denial([ny_midnight], "test:1", at(2026, 11, 28, 0, 30, PARIS)) is None  # 18:30 in New York


def test_a_start_skipped_by_spring_forward_fires_after_the_gap() -> None:
    # 2026-03-29 in Paris: 02:00 -> 03:00. A freeze at 02:30 must still happen, from 03:00.
    freeze = window("deny", "30 2 29 3 *", 2)
    assert denial([freeze], "test:1", at(2026, 3, 29, 1, 59)) is None
    found = denial([freeze], "test:1", at(2026, 3, 29, 3, 0))
    assert found is not None
    assert found.until == dt.datetime(2026, 3, 29, 3, tzinfo=PARIS) + dt.timedelta(hours=2)


def test_a_start_repeated_by_fall_back_fires_once() -> None:
    # 2026-10-25 in Paris: 03:00 -> 02:00, so 02:30 happens twice. The window opens at the first one.
    freeze = window("deny", "30 2 25 10 *", 0.5)
    first = dt.datetime(2026, 10, 25, 2, 45, tzinfo=PARIS, fold=0)
    second = dt.datetime(2026, 10, 25, 2, 45, tzinfo=PARIS, fold=1)
    assert denial([freeze], "test:1", first) is not None
    assert denial([freeze], "test:1", second) is None  # it ended at 03:00 summer time, an hour before


def test_duration_through_a_dst_change_counts_real_hours() -> None:
    day = window("deny", "0 0 25 10 *", 24)  # the 25-hour day: 24 real hours end at 23:00 wall time
    found = denial([day], "test:1", at(2026, 10, 25, 22, 30))
    assert found is not None and found.until is not None
    assert found.until.astimezone(PARIS).hour == 23
    assert denial([day], "test:1", at(2026, 10, 25, 23, 30)) is None


def test_in_force_lists_open_windows() -> None:
    both = [window("deny", "0 0 27 11 *", 96), window("allow", "0 9 * * *", 1)]
    assert [w.kind for w, _ in in_force(both, at(2026, 11, 28, 9, 30))] == ["deny", "allow"]


@pytest.mark.parametrize(("text", "hours"), [("5d", 120), ("12h", 12), ("1h30m", 1.5), ("90m", 1.5)])
def test_window_durations(text: str, hours: float) -> None:
    assert parse_window_duration(text) == dt.timedelta(hours=hours)


@pytest.mark.parametrize("text", ["", "0h", "32d", "5x", "h"])
def test_bad_window_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_window_duration(text)
