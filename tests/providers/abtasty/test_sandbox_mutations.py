"""play / pause / schedule semantics, membership CRUD, script counters."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.sandbox import CORE, INTERFACE


def _test(api: httpx.Client, test_id: int) -> dict[str, object]:
    body: dict[str, object] = api.get(f"{CORE}/tests/{test_id}").json()
    return body


@pytest.mark.parametrize(
    ("kwargs", "preprod"),
    [
        ({"json": {"mode": "prod"}}, False),
        ({"json": {"mode": "preprod"}}, True),
        ({"json": {}}, False),
        ({}, False),
    ],
)
def test_play(api: httpx.Client, kwargs: dict[str, object], preprod: bool) -> None:
    before = int(time.time())
    response = api.patch(f"{INTERFACE}/tests/381296/play", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 204 and response.content == b""
    test = _test(api, 381296)
    assert test["state"] == "play" and test["active"] is True and test["preprod"] is preprod
    assert isinstance(test["last_play_timestamp"], int) and test["last_play_timestamp"] >= before


def test_play_prod_after_preprod_clears_preprod(api: httpx.Client) -> None:
    api.patch(f"{INTERFACE}/tests/381296/play", json={"mode": "preprod"})
    api.patch(f"{INTERFACE}/tests/381296/play", json={"mode": "prod"})
    assert _test(api, 381296)["preprod"] is False


def test_pause(api: httpx.Client) -> None:
    before = int(time.time())
    assert api.patch(f"{INTERFACE}/tests/365111/pause").status_code == 204
    test = _test(api, 365111)
    assert test["state"] == "pause" and test["active"] is False
    assert isinstance(test["last_pause_timestamp"], int) and test["last_pause_timestamp"] >= before
    assert test["last_play_timestamp"] == 1542811579
    active = api.get(f"{CORE}/tests", params={"filter[active]": 1, "_max_per_page": 100}).json()
    assert 365111 not in [t["id"] for t in active["_embedded"]["items"]]


def test_schedule_as_documented(api: httpx.Client) -> None:
    body = {"start_at": "2018-12-30T19:05:00", "stop_at": "2018-12-30T19:13:00", "timezone": "Europe/Paris"}
    assert api.patch(f"{INTERFACE}/tests/381301/schedule", json=body).status_code == 204
    test = _test(api, 381301)
    paris = ZoneInfo("Europe/Paris")
    assert (
        test["start_datetime"] == int(datetime(2018, 12, 30, 19, 5, tzinfo=paris).timestamp()) == 1546193100
    )
    assert test["stop_datetime"] == 1546193580
    assert test["start_stop_timezone"] == "Europe/Paris"
    scheduled = api.get(f"{CORE}/tests", params={"filter[is_schedule]": 1}).json()["_embedded"]["items"]
    assert 381301 in [t["id"] for t in scheduled]


def test_schedule_fields_are_optional(api: httpx.Client) -> None:
    path = f"{INTERFACE}/tests/381296/schedule"
    api.patch(path, json={"start_at": "2030-06-01T08:00:00", "timezone": "America/New_York"})
    test = _test(api, 381296)
    start = int(datetime(2030, 6, 1, 8, tzinfo=ZoneInfo("America/New_York")).timestamp())
    assert (test["start_datetime"], test["stop_datetime"], test["start_stop_timezone"]) == (
        start, 0, "America/New_York")  # fmt: skip
    api.patch(path, json={"stop_at": "2030-06-02T08:00:00"})  # the stored timezone applies
    test = _test(api, 381296)
    assert test["start_datetime"] == start and test["stop_datetime"] == start + 86400
    assert api.patch(path, json={"stop_at": "2030-05-01T08:00:00"}).status_code == 400  # before the start
    assert api.patch(path, json={"start_at": None, "stop_at": None}).status_code == 204
    assert (_test(api, 381296)["start_datetime"], _test(api, 381296)["stop_datetime"]) == (0, 0)


def test_membership_crud(api: httpx.Client) -> None:
    created = api.post(f"{CORE}/membership", json={"email": "New.Person@Example.com", "role": "creator"})
    assert created.status_code == 200  # the document says 200 for this POST
    member = created.json()
    assert member["role"] == "creator" and member["_embedded"]["user"]["email"] == "New.Person@Example.com"
    member_id = member["id"]
    assert member["_links"]["self"]["href"] == f"{CORE}/membership/{member_id}"
    assert api.get(f"{CORE}/membership/{member_id}").json() == member
    assert api.get(f"{CORE}/membership").json()["total"] == 16
    assert api.patch(f"{CORE}/membership/{member_id}", json={"role": "viewer"}).status_code == 204
    assert api.get(f"{CORE}/membership/{member_id}").json()["role"] == "viewer"
    assert (
        api.patch(f"{CORE}/membership/{member_id}", json={"email": "new.person@example.com"}).status_code
        == 204
    )
    assert (
        api.patch(
            f"{CORE}/membership/{member_id}", json={"email": "np@example.com", "role": "admin"}
        ).status_code
        == 204
    )
    user = api.get(f"{CORE}/membership/{member_id}").json()
    assert user["role"] == "admin" and user["_embedded"]["user"]["email"] == "np@example.com"
    assert api.delete(f"{CORE}/membership/{member_id}").status_code == 204
    assert api.get(f"{CORE}/membership/{member_id}").status_code == 404
    assert api.delete(f"{CORE}/membership/{member_id}").status_code == 404
    assert api.get(f"{CORE}/membership").json()["total"] == 15
    again = api.post(f"{CORE}/membership", json={"email": "np@example.com", "role": "user"})
    assert again.status_code == 200 and again.json()["id"] != member_id


def test_membership_roles(api: httpx.Client) -> None:
    for i, role in enumerate(("admin", "user", "creator", "viewer")):
        response = api.post(f"{CORE}/membership", json={"email": f"r{i}@example.com", "role": role})
        assert response.status_code == 200 and response.json()["role"] == role


def test_script_counters(api: httpx.Client, server: SandboxServer) -> None:
    for _ in range(3):
        assert api.patch(f"{INTERFACE}/update_script").status_code == 204
    assert api.patch(f"{INTERFACE}/clear_script").status_code == 204
    script = server.state()["script"]
    assert script["updates"] == 3 and script["clears"] == 1 and script["last_update"] >= int(time.time()) - 5


def test_request_log_and_state_endpoints(api: httpx.Client, server: SandboxServer) -> None:
    api.patch(f"{INTERFACE}/tests/381296/play", json={"mode": "preprod"})
    log = httpx.get(f"{server.url}/_sandbox/requests").json()
    assert log[-1] == {"method": "PATCH", "path": f"{INTERFACE}/tests/381296/play", "query": "",
                       "body": {"mode": "preprod"}, "status": 204}  # fmt: skip
    assert log[0]["path"] == "/oauth/v2/token" and log[0]["body"]["client_secret"] == "***"
    assert all("/_sandbox" not in e["path"] for e in server.requests())
    state = httpx.get(f"{server.url}/_sandbox/state").json()
    assert state == server.state() and state["tests"]["381296"]["state"] == "play"
    assert httpx.delete(f"{server.url}/_sandbox/requests").status_code == 204
    assert server.requests() == []
    assert server.client_secret not in str(log)
