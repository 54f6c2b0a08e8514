"""Issue 25's readings, one rule at a time: the client-side answers the e2e (test_readings_e2e) relies on."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from reconciler.errors import AuthError
from reconciler.http import ApiClient, OAuth2ClientCredentials
from reconciler.http.bodies import Route, as_int, field, parse_hal
from reconciler.http.paging import pager
from reconciler.providers.abtasty.api import parse_test, self_href
from reconciler.providers.taplytics.diff import same_email, same_stored

BASE = "https://api.abtasty.test"
TOKEN_URL = BASE + "/oauth/v2/token"
ROUTE = Route.parse("GET /api/core/accounts/1/tests")


def test_ids_and_counts_as_numeric_strings_are_numbers() -> None:
    assert as_int("41902") == 41902 and as_int(7) == 7
    assert as_int("7a") is None and as_int(True) is None and as_int("") is None
    assert field({"id": "381316"}, "id", int, ROUTE) == 381316
    page = parse_hal({"pages": "3", "total": "25", "limit": "10", "_embedded": {"items": []}}, ROUTE)
    assert (page.pages, page.total, page.limit) == (3, 25, 10)


def test_a_preprod_test_played_since_its_pause_plays() -> None:
    base = {"id": 1, "state": "pause", "preprod": True, "last_pause_timestamp": 100}
    assert parse_test({**base, "last_play_timestamp": 200}, ROUTE).mode == "preprod"
    assert parse_test({**base, "last_play_timestamp": 50}, ROUTE).state == "pause"
    assert parse_test({**base, "preprod": False, "last_play_timestamp": 200}, ROUTE).state == "pause"


def test_taplytics_values_as_strings_only_when_the_project_holds_only_strings() -> None:
    assert same_stored("3", 3, typed=False) and same_stored("true", True, typed=False)
    assert not same_stored("3", 3, typed=True)  # a typed project: "3" is not 3
    assert not same_stored("4", 3, typed=False) and not same_stored(3, "3", typed=False)


def test_taplytics_emails_compare_ignoring_case() -> None:
    assert same_email("qa2@example.com", "QA2@Example.com")
    assert not same_email("qa3@example.com", "QA2@Example.com") and not same_email(None, "a@b.c")


def test_a_membership_self_link_is_read() -> None:
    assert self_href({"_links": {"self": {"href": "/m/1"}}}) == "/m/1"
    assert self_href({"_links": {"self": "x"}}) is None and self_href({}) is None


async def test_a_token_endpoint_that_takes_form_only_is_asked_again_with_a_form_body() -> None:
    bodies: list[tuple[str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            bodies.append((request.headers["content-type"], request.content))
            if "form" not in request.headers["content-type"]:
                return httpx.Response(400, json={"error": "invalid_request"})
            return httpx.Response(200, json={"access_token": "T" * 40, "expires_in": 3600})
        return httpx.Response(200, json={"ok": True})

    auth = OAuth2ClientCredentials(TOKEN_URL, "id", "secret-value")
    async with ApiClient(BASE, auth, transport=httpx.MockTransport(handler)) as client:
        assert await client.get_json("/api/x") == {"ok": True}
    (first, _), (second, form) = bodies
    assert first == "application/json" and second == "application/x-www-form-urlencoded"
    assert parse_qs(form.decode())["grant_type"] == ["client_credentials"]


async def test_refused_credentials_are_not_asked_again_as_form() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers.get("content-type", ""))
        return httpx.Response(401, json={"error": "invalid_client"})

    auth = OAuth2ClientCredentials(TOKEN_URL, "id", "secret-value")
    async with ApiClient(BASE, auth, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(AuthError):
            await client.get_json("/api/x")
    assert calls == ["application/json"]


def _users(handler: Any) -> ApiClient:
    return ApiClient("https://api.taplytics.test", None, transport=httpx.MockTransport(handler))


async def _read(client: ApiClient) -> list[Any]:
    async with client:
        return await pager(client).links("/v2/users", per_page=100, items_key="users")


def _page(request: httpx.Request) -> int:
    return int(request.url.params.get("page", "1"))


async def test_a_next_on_every_page_stops_at_the_first_empty_one() -> None:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = _page(request)
        seen.append(page)
        users = [{"user_id": f"u{page}"}] if page <= 2 else []
        link = f"<https://api.taplytics.test/v2/users?page={page + 1}>; rel='next'"
        return httpx.Response(200, json={"users": users}, headers={"Link": link})

    assert [u["user_id"] for u in await _read(_users(handler))] == ["u1", "u2"]
    assert seen == [1, 2, 3]


async def test_no_link_and_a_next_naming_an_earlier_page_read_on_by_number() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = _page(request)
        headers = (
            {"Link": f"<https://api.taplytics.test/v2/users?page={page - 1}>; rel='next'"} if page > 1 else {}
        )
        return httpx.Response(
            200, json={"users": [{"user_id": f"u{page}"}], "numEntities": 3}, headers=headers
        )

    assert [u["user_id"] for u in await _read(_users(handler))] == ["u1", "u2", "u3"]


async def test_a_page_size_below_100_falls_back_after_the_400() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if int(request.url.params["per_page"]) > 50:
            return httpx.Response(400, json={"message": "Invalid parameter 'per_page'"})
        return httpx.Response(200, json={"users": [{"user_id": "u1"}], "numEntities": 1})

    assert await _read(_users(handler)) == [{"user_id": "u1"}]


def test_a_schedule_with_seconds_is_refused_at_validation() -> None:
    from pydantic import ValidationError

    from reconciler.providers.abtasty.config import Schedule

    with pytest.raises(ValidationError, match="to the minute: write 2030-01-01T09:00:00"):
        Schedule(start_at="2030-01-01T09:00:30", timezone="Europe/Paris")
    assert Schedule(start_at="2030-01-01T09:00:00", timezone="Europe/Paris").start_at
