"""The AB Tasty client's reading of what the document leaves open: schedule dates in every shape, timezones
by their rules, malformed fields as ServerErrors naming route and field (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import ServerError
from reconciler.http.paging import stated_limit
from reconciler.providers.abtasty.api import parse_member, parse_test
from reconciler.providers.abtasty.config import Schedule
from reconciler.providers.abtasty.diff import _schedule_change
from reconciler.providers.abtasty.state import ExistingTest
from reconciler.providers.abtasty.when import parse_instant, same_zone

ROUTE = "GET /api/core/accounts/41902/tests"
START = 1_574_982_000  # 2019-11-29T00:00:00 Europe/Paris


@pytest.mark.parametrize(
    "value",
    [
        START,
        START * 1000,
        str(START),
        float(START),
        "2019-11-29T00:00:00+0100",
        "2019-11-29T00:00:00+01:00",
        "2019-11-28T23:00:00Z",
        "2019-11-29T00:00:00",  # local, in the test's timezone
        "2019-11-29 00:00:00",
    ],
)
def test_every_shape_is_the_same_instant(value: Any) -> None:
    assert parse_instant(value, "Europe/Paris", "start_datetime", ROUTE) == START


@pytest.mark.parametrize("value", [None, 0, "", "0", "0000-00-00T00:00:00", "0000-00-00 00:00:00"])
def test_unscheduled_shapes_are_0(value: Any) -> None:
    assert parse_instant(value, "Europe/Paris", "stop_datetime", ROUTE) == 0


@pytest.mark.parametrize("value", ["soon", True, [1], {"at": 1}, 10**20, "2019-13-45T00:00:00"])
def test_malformed_dates_name_route_and_field(value: Any) -> None:
    with pytest.raises(ServerError) as caught:
        parse_instant(value, "Europe/Paris", "start_datetime", ROUTE)
    assert "/api/core/accounts/41902/tests" in str(caught.value) and "'start_datetime'" in str(caught.value)


@pytest.mark.parametrize("timezone", ["", "Mars/Olympus_Mons"])
def test_a_local_time_without_a_known_timezone_is_refused_as_ambiguous(timezone: str) -> None:
    with pytest.raises(ServerError, match=r"ambiguous 'start_datetime'.*will not guess"):
        parse_instant("2019-11-29T00:00:00", timezone, "start_datetime", ROUTE)


def test_aliases_are_one_timezone_and_neighbours_are_not() -> None:
    assert same_zone("US/Eastern", "America/New_York", [START])
    assert same_zone("Europe/Paris", "Europe/Brussels", [START])  # same offsets at that instant
    assert not same_zone("Europe/Paris", "Europe/London", [START])
    assert not same_zone("Europe/Paris", "Mars/Olympus_Mons", [START])


def test_a_renamed_alias_plans_no_change_but_another_instant_does() -> None:
    want = Schedule(start_at="2030-11-27T00:00:00", timezone="US/Eastern")
    start = 1_921_986_000  # 2030-11-27T00:00:00 in New York
    renamed = ExistingTest(1, "t", "pause", False, start=start, timezone="America/New_York")
    assert _schedule_change(renamed, want) is None
    moved = ExistingTest(1, "t", "pause", False, start=start + 3600, timezone="America/New_York")
    assert _schedule_change(moved, want) is not None


def test_a_test_with_iso_dates_parses() -> None:
    item = {
        "id": 381316,
        "name": "Black Friday",
        "state": "pause",
        "active": 0,
        "preprod": False,
        "start_datetime": "2019-11-29T00:00:00+0100",
        "stop_datetime": None,
        "start_stop_timezone": "Europe/Paris",
    }
    test = parse_test(item, ROUTE)
    assert (test.start, test.stop, test.state) == (START, 0, "pause")


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"id": "381316a"}, "'id'"),  # "381316" is an id as a numeric string (issue 25, item 12)
        ({"id": 1, "name": 7}, "'name'"),
        ({"id": 1, "preprod": "yes"}, "'preprod'"),
        ({"id": 1, "start_stop_timezone": 1}, "'start_stop_timezone'"),
    ],
)
def test_a_malformed_test_is_a_server_error_naming_the_field(item: dict[str, Any], field: str) -> None:
    with pytest.raises(ServerError, match=field):
        parse_test(item, ROUTE)


def test_a_malformed_member_is_a_server_error_naming_the_field() -> None:
    with pytest.raises(ServerError, match="'role'"):
        parse_member({"id": 1, "_embedded": {"user": {"email": "a@b.c"}}}, "GET /membership")
    with pytest.raises(ServerError, match="'user'"):
        parse_member({"id": 1, "role": "admin", "_embedded": {"user": "a@b.c"}}, "GET /membership")


@pytest.mark.parametrize(
    ("message", "size"),
    [
        ("Invalid parameter '_max_per_page': must be at most 50, got 100", 50),
        ("_max_per_page must be between 1 and 25", 25),
        ("Bad request", 10),
    ],
)
def test_the_page_size_after_a_400_is_the_stated_limit_else_the_documented_default(
    message: str, size: int
) -> None:
    assert stated_limit(message, 100) == size


def test_after_a_400_to_an_ask_over_100_naming_no_limit_100_is_tried_first() -> None:
    assert stated_limit("Bad request", 1000) == 100
    assert stated_limit("must be at most 250", 1000) == 250
