"""Bounded work, whatever the server says (issue 13, item 4).

Each case is a hostile server: a real one on 127.0.0.1 (raw sockets, tests/support/hostile_http.py) where
timing or bytes on the wire matter, an ``httpx.MockTransport`` where only the answer's content does. Each
asserts the error's type and message and, where it matters, how many requests were sent. Times are only
ever bounded from above, generously, to prove nothing hangs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.errors import (
    DeadlineError,
    EnvironmentVariableError,
    ReconcilerError,
    ServerError,
)
from reconciler.http import ApiClient, OAuth2ClientCredentials, RetryPolicy
from reconciler.http.limits import DEFAULT_DEADLINE, Limits
from reconciler.http.paging import pager
from reconciler.redaction import register_secret
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, CliRunner, Result, run_cli, write_config
from tests.support.hostile_http import (
    TOKEN_PATH,
    Answer,
    HostileServer,
    Request,
    gzip_bomb,
    hostile,
    hostile_in_thread,
    json_answer,
    token_answer,
)

CANARY = "canary-bounds-7d1e0f9a3c"
register_secret(CANARY)
BASE = "https://api.test"
ROUTE = "/api/core/accounts/1/tests"
NO_HANG = 10.0  # seconds: every case with a 1 s bound must finish well within this


def always(answer: Answer) -> Callable[[Request], Answer]:
    return lambda request: answer


def mock(bodies: Callable[[httpx.Request], httpx.Response]) -> tuple[httpx.MockTransport, list[str]]:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return bodies(request)

    return httpx.MockTransport(handler), sent


def json_body(body: Any, headers: dict[str, str] | None = None) -> Callable[[httpx.Request], httpx.Response]:
    content = json.dumps(body).encode()  # not json=: httpx sends no body at all for json=None
    return lambda request: httpx.Response(200, content=content, headers=headers)


# --- deadlines ------------------------------------------------------------------------------------------


async def test_a_trickled_body_hits_the_request_deadline() -> None:
    # 1000 bytes announced, one byte every 0.1 s: no read ever times out, the total must.
    trickle = Answer(headers={"Content-Length": "1000"}, trickle=b" ", interval=0.1)
    async with hostile(always(trickle)) as server:
        start = time.monotonic()
        async with ApiClient(server.url, None, request_deadline=1) as client:
            with pytest.raises(DeadlineError) as caught:
                await client.get_json(ROUTE)
            assert client.request_count == 1  # a trickle is not retried: it would cost the same again
        assert time.monotonic() - start < NO_HANG
    error = caught.value
    assert error.which == "request" and error.seconds == 1
    assert str(error) == (
        f"GET {ROUTE}: no complete answer within the request deadline of 1 s (a slow or stalled server); "
        "raise it with RECONCILER_REQUEST_DEADLINE=<seconds> (e.g. RECONCILER_REQUEST_DEADLINE=2)"
    )
    assert isinstance(error, ReconcilerError)  # exit 1, no traceback


async def test_a_mutation_cut_by_a_deadline_says_its_outcome_is_unknown() -> None:
    trickle = Answer(headers={"Content-Length": "100"}, trickle=b" ", interval=0.1)
    async with (
        hostile(always(trickle)) as server,
        ApiClient(server.url, None, request_deadline=0.5) as client,
    ):
        with pytest.raises(DeadlineError, match="may or may not have been made: run plan again"):
            await client.request("PATCH", f"{ROUTE}/7", json={"state": "pause"}, idempotent=True)
        assert len(server.requests) == 1


async def test_a_silent_server_hits_the_run_deadline_then_nothing_more_is_sent() -> None:
    async with hostile(always(Answer(silent=True))) as server:
        start = time.monotonic()
        async with ApiClient(server.url, None, deadline=1, request_deadline=30, timeout=30) as client:
            with pytest.raises(DeadlineError) as caught:
                await client.get_json(ROUTE)
            with pytest.raises(DeadlineError, match="run deadline of 1 s passed"):
                await client.request("DELETE", f"{ROUTE}/1")  # refused before sending
            assert client.request_count == 1
        assert time.monotonic() - start < NO_HANG
    assert caught.value.which == "run"
    assert str(caught.value) == (
        f"GET {ROUTE}: the run deadline of 1 s passed; "
        "raise it with RECONCILER_DEADLINE=<seconds> (e.g. RECONCILER_DEADLINE=2)"
    )


def test_deadlines_come_from_the_arguments_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECONCILER_DEADLINE", raising=False)
    monkeypatch.delenv("RECONCILER_REQUEST_DEADLINE", raising=False)
    assert ApiClient(BASE, None).limits == Limits()
    assert Limits().deadline == DEFAULT_DEADLINE == 600
    monkeypatch.setenv("RECONCILER_DEADLINE", "2.5")
    monkeypatch.setenv("RECONCILER_REQUEST_DEADLINE", " 7 ")
    limits = ApiClient(BASE, None).limits
    assert (limits.deadline, limits.request_deadline) == (2.5, 7)
    assert ApiClient(BASE, None, deadline=9).limits.deadline == 9  # the argument wins


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf", "nan", "1e999"])
def test_a_bad_deadline_in_the_environment_is_a_user_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_DEADLINE", value)
    with pytest.raises(EnvironmentVariableError, match="RECONCILER_DEADLINE must be a positive number"):
        ApiClient(BASE, None)


# --- retries --------------------------------------------------------------------------------------------


async def test_retry_after_999999_fails_at_once_instead_of_sleeping() -> None:
    throttled = json_answer({"message": "slow down"}, 429, {"Retry-After": "999999"})
    async with hostile(always(throttled)) as server:
        start = time.monotonic()
        async with ApiClient(server.url, None) as client:  # the real policy, the real sleep
            with pytest.raises(ServerError) as caught:
                await client.get_json(ROUTE)
        assert time.monotonic() - start < NO_HANG
        assert len(server.requests) == 1
    assert str(caught.value) == (
        f"GET {ROUTE} -> 429: slow down; the server asked to retry after 999999 s, more than the 60 s "
        "this client waits: try again later"
    )


class Clock:
    """A monotonic clock for the retry budget, moved by the sleeps and by slow attempts."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_retrying_stops_when_the_retry_budget_is_spent() -> None:
    clock = Clock()
    transport, sent = mock(
        lambda r: httpx.Response(503, json={"message": "busy"}, headers={"Retry-After": "40"})
    )
    retry = RetryPolicy(sleep=clock.sleep, clock=clock, random=lambda: 0.5)
    async with ApiClient(BASE, None, transport=transport, retry=retry) as client:
        with pytest.raises(
            ServerError,
            match=r"after 3 attempts\); gave up retrying: 100 s spent and a 50 s wait would pass the 120 s retry budget$",
        ):
            await client.get_json(ROUTE)
    assert (
        clock.sleeps == [50.0, 50.0] and len(sent) == 3
    )  # 40 s + 25% jitter, twice; thrice would pass 120 s


async def test_the_retry_budget_counts_slow_attempts_too() -> None:
    clock = Clock()

    def refused(request: httpx.Request) -> httpx.Response:
        clock.now += 50  # each connection attempt takes 50 s to fail
        raise httpx.ConnectTimeout("timed out", request=request)

    retry = RetryPolicy(sleep=clock.sleep, clock=clock, random=lambda: 0.5)
    async with ApiClient(BASE, None, transport=httpx.MockTransport(refused), retry=retry) as client:
        with pytest.raises(
            ServerError, match=r"after 3 attempts: ConnectTimeout: timed out; gave up retrying"
        ):
            await client.request("POST", ROUTE, json={})
        assert client.request_count == 3  # 10 attempts allowed; 3 x 50 s is past the 120 s budget


# --- redirects and non-JSON answers ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "POST", "DELETE"])
async def test_a_redirect_is_a_failure_never_followed(method: str) -> None:
    location = f"https://evil.test/{CANARY}/login?api_token={CANARY}"
    redirect = Answer(302, {"Location": location, "Content-Type": "text/html"}, b"<a>moved</a>")
    async with hostile(always(redirect)) as server, ApiClient(server.url, None) as client:
        with pytest.raises(ServerError) as caught:
            await client.request(method, f"{ROUTE}/7", json={} if method != "GET" else None)
        assert len(server.requests) == 1  # not followed, not retried
    assert caught.value.status == 302
    assert str(caught.value) == (
        f"{method} {ROUTE}/7 -> 302: unexpected redirect to https://evil.test/***/login: redirects are not "
        "followed, so nothing was done there; check the configured API URL"
    )
    assert CANARY not in str(caught.value)


@pytest.mark.parametrize("method", ["GET", "PATCH", "POST"])
async def test_an_html_page_answered_200_is_a_failure(method: str) -> None:
    page = Answer(200, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>Sign in</body></html>")
    async with hostile(always(page)) as server, ApiClient(server.url, None) as client:
        with pytest.raises(ServerError) as caught:
            await client.request(method, ROUTE, json={} if method != "GET" else None)
        assert len(server.requests) == 1
    assert str(caught.value) == f"{method} {ROUTE} -> 200: expected a JSON body, got text/html; charset=utf-8"


@pytest.mark.parametrize("status", [200, 204])
async def test_an_empty_success_body_is_still_a_success(status: int) -> None:
    async with hostile(always(Answer(status))) as server, ApiClient(server.url, None) as client:
        response = await client.request("DELETE", f"{ROUTE}/1")
    assert response.status_code == status


# --- body size ------------------------------------------------------------------------------------------


async def test_a_gzip_bomb_is_refused_at_the_default_cap_while_inflating() -> None:
    bomb = gzip_bomb(64 * 1024 * 1024)  # 64 MB of zeros in about 64 KB on the wire
    assert len(bomb.body) < 1024 * 1024
    async with hostile(always(bomb)) as server, ApiClient(server.url, None) as client:
        with pytest.raises(ServerError) as caught:
            await client.get_json(ROUTE)
        assert len(server.requests) == 1
    assert str(caught.value) == (
        f"GET {ROUTE} -> 200: the answer's body is over the 50 MB limit (decompressed); "
        "refused before reading it all"
    )


async def test_the_body_cap_is_configurable_and_holds_for_plain_bodies() -> None:
    big = json_answer({"items": ["x" * 2000]})
    async with hostile(always(big)) as server, ApiClient(server.url, None, max_body_bytes=1000) as client:
        with pytest.raises(ServerError, match="over the 1000 bytes limit"):
            await client.get_json(ROUTE)


# --- pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "shown"),
    [("many", "'many'"), (10**9, "1000000000"), (10_001, "10001"), (-1, "-1"), (2.5, "2.5"), (True, "True")],
)
async def test_insane_pages_are_refused_before_any_other_request(pages: Any, shown: str) -> None:
    transport, sent = mock(json_body({"pages": pages, "_embedded": {"items": []}}))
    async with ApiClient(BASE, None, transport=transport) as client:
        with pytest.raises(ServerError) as caught:
            await pager(client).hal(ROUTE)
        with pytest.raises(ServerError):  # a caller paging by hand through get_json is protected too
            await client.get_json(ROUTE)
    assert str(caught.value) == (
        f"GET {ROUTE} -> 200: malformed body: 'pages' is {shown}, expected an integer from 0 to 10000"
    )
    assert len(sent) == 2  # page 1, twice: not one request more


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"_embedded": [1]}, "'_embedded' is [1], expected an object"),
        ({"_embedded": {"items": {"id": 1}}}, "_embedded.items is {'id': 1}, expected a list"),
        ({"_embedded": {"items": [{"id": 1}, "x"]}}, "_embedded.items[1] is 'x', expected an object"),
        ({"pages": 1, "limit": "ten"}, "'limit' is 'ten', expected a non-negative integer"),
        ({"pages": 1, "total": -3}, "'total' is -3, expected a non-negative integer"),
        ({"_links": ["next"]}, "'_links' is ['next'], expected an object"),
        ({"_links": {"next": "/p2"}}, "_links.next is '/p2', expected an object"),
        ({"_links": {"next": {"href": 2}}}, "_links.next.href is 2, expected a string"),
        ([{"id": 1}], "expected a HAL collection object, got a JSON list"),
    ],
)
async def test_malformed_hal_shapes_name_the_route_and_the_field(body: Any, message: str) -> None:
    transport, _ = mock(json_body(body))
    async with ApiClient(BASE, None, transport=transport) as client:
        with pytest.raises(ServerError) as caught:
            await pager(client).hal(ROUTE)
    assert str(caught.value) == f"GET {ROUTE} -> 200: malformed body: {message}"


async def test_a_hal_next_link_seen_before_is_a_loop() -> None:
    transport, sent = mock(
        json_body({"_links": {"next": {"href": f"{ROUTE}?_page=2"}}, "_embedded": {"items": []}})
    )
    async with ApiClient(BASE, None, transport=transport) as client:
        with pytest.raises(
            ServerError, match=r"pagination loop: _links.next.href points back to a page already"
        ):
            await pager(client).hal(ROUTE)
    assert len(sent) == 2  # page 1, then page 2 (which names itself): never a third


def endless_hal(request: httpx.Request) -> httpx.Response:
    page = int(request.url.params.get("_page", "1"))
    return httpx.Response(200, json={"_links": {"next": {"href": f"{ROUTE}?_page={page + 1}"}}})


def endless_link(request: httpx.Request) -> httpx.Response:
    page = int(request.url.params.get("page", "1"))
    return httpx.Response(
        200, json=[page], headers={"Link": f'<{BASE}/v2/users?page={page + 1}>; rel="next"'}
    )


@pytest.mark.parametrize(
    ("handler", "read", "name"),
    [
        (endless_hal, lambda c: pager(c).hal(ROUTE), "_links.next.href"),
        (endless_link, lambda c: pager(c).links("/v2/users"), "the Link header's next"),
    ],
    ids=["hal", "link"],
)
async def test_pages_followed_are_capped(handler: Any, read: Any, name: str) -> None:
    transport, sent = mock(handler)
    async with ApiClient(BASE, None, transport=transport, max_pages=5) as client:
        with pytest.raises(ServerError, match=f"more than 5 pages: {name} still names another page"):
            await read(client)
    assert len(sent) == 5


@pytest.mark.parametrize("body", ["users", 42, None, {"count": 3}, True])
async def test_a_link_page_that_is_neither_a_list_nor_an_object_holding_one(body: Any) -> None:
    transport, _ = mock(json_body(body))
    async with ApiClient(BASE, None, transport=transport) as client:
        with pytest.raises(
            ServerError, match=r"^GET /v2/users -> 200: malformed body: expected a JSON array"
        ):
            await pager(client).links("/v2/users")


async def test_a_link_items_key_of_the_wrong_type() -> None:
    transport, _ = mock(json_body({"users": {"id": 1}}))
    async with ApiClient(BASE, None, transport=transport) as client:
        with pytest.raises(ServerError, match=r"expected a list under 'users', got \{'id': 1\}"):
            await pager(client).links("/v2/users", items_key="users")


async def test_deeply_nested_json_is_a_server_error() -> None:
    transport, _ = mock(lambda r: httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000))
    async with ApiClient(BASE, None, transport=transport) as client:
        with pytest.raises(ServerError, match="expected a JSON body"):
            await client.get_json(ROUTE)


def test_reading_a_page_costs_one_parse() -> None:
    # The non-JSON check in request() and get_json share one decode: a 10,000-test plan parses each
    # page once. (json.loads is patched only for this call.)
    calls = 0
    real = json.loads

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    async def read() -> None:
        transport, _ = mock(json_body({"pages": 1, "_embedded": {"items": [{"id": 1}]}}))
        async with ApiClient(BASE, None, transport=transport) as client:
            assert await pager(client).hal(ROUTE) == [{"id": 1}]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json, "loads", counting)
        asyncio.run(read())
    assert calls == 1


# --- through the CLI: exit 1, the route and the field named, no secret, no traceback ----------------------


def abtasty_world(tests_page: Answer, patch: Answer | None = None) -> Callable[[Request], Answer]:
    """A token endpoint, ``tests_page`` for every GET of the tests, ``patch`` for every mutation."""

    def answer(request: Request) -> Answer:
        if request.path.startswith(TOKEN_PATH):
            return token_answer()
        if request.method == "GET":
            return tests_page
        return patch or Answer(204)

    return answer


def plan_against(server: HostileServer, tmp_path: Path, cli: CliRunner, *args: str, **env: str) -> Result:
    config = write_config(tmp_path, "tests:\n  - id: 1\n    state: pause\n")
    return cli(
        *args,
        str(config),
        ABTASTY_API_URL=server.url,
        ABTASTY_API2_URL=server.url,
        ABTASTY_AUTH_URL=server.url + TOKEN_PATH,
        **env,
    )


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> CliRunner:
    def invoke(*args: str, **env: str) -> Result:
        credentials = {"ABTASTY_CLIENT_ID": CLIENT_ID, "ABTASTY_CLIENT_SECRET": CANARY_SECRET}
        return run_cli(monkeypatch, capsys, {**credentials, **env}, *args)  # asserts: no secret, no traceback

    return invoke


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"pages": 1_000_000_000, "_embedded": {"items": []}}, "'pages' is 1000000000"),
        ({"pages": "many", "_embedded": {"items": []}}, "'pages' is 'many'"),
        ({"pages": 1, "_embedded": [{"id": 1}]}, "'_embedded' is [{'id': 1}]"),
        ({"pages": 1, "_embedded": {"items": "none"}}, "_embedded.items is 'none'"),
    ],
    ids=["pages-huge", "pages-many", "embedded-list", "items-str"],
)
def test_plan_against_a_malformed_page_exits_1_naming_route_and_field(
    body: Any, named: str, tmp_path: Path, cli: CliRunner
) -> None:
    with hostile_in_thread(abtasty_world(json_answer(body))) as server:
        result = plan_against(server, tmp_path, cli, "plan")
        gets = [r.path.split("?")[0] for r in server.requests if r.method == "GET"]
        # Page 1 only, and at most the one managed test's read, sent beside it (cancelled when page 1 fails).
        assert gets.count("/api/core/accounts/41902/tests") == 1
        assert set(gets) <= {"/api/core/accounts/41902/tests", "/api/core/accounts/41902/tests/1"}
        assert len(gets) <= 2
    assert result.code == 1, result.all
    assert f"GET /api/core/accounts/41902/tests -> 200: malformed body: {named}" in result.err


def test_plan_against_a_trickling_server_stops_at_the_run_deadline(tmp_path: Path, cli: CliRunner) -> None:
    trickle = Answer(headers={"Content-Length": "1000"}, trickle=b" ", interval=0.1)
    start = time.monotonic()
    with hostile_in_thread(abtasty_world(trickle)) as server:
        result = plan_against(server, tmp_path, cli, "plan", RECONCILER_DEADLINE="1")
    assert time.monotonic() - start < NO_HANG
    assert result.code == 1, result.all
    assert "the run deadline of 1 s passed; raise it with RECONCILER_DEADLINE=<seconds>" in result.err


def test_a_pause_answered_302_is_failed_never_applied(tmp_path: Path, cli: CliRunner) -> None:
    playing = json_answer({"pages": 1, "_embedded": {"items": [{"id": 1, "name": "t", "state": "play"}]}})
    moved = Answer(302, {"Location": "https://evil.test/login"})
    with hostile_in_thread(abtasty_world(playing, moved)) as server:
        result = plan_against(server, tmp_path, cli, "apply", "--auto-approve")
        patches = [r for r in server.requests if r.method == "PATCH"]
    assert result.code == 1, result.all
    assert len(patches) == 1  # not followed, not retried
    assert "unexpected redirect to https://evil.test/login" in result.all
    assert "0 applied, 1 failed" in result.out


async def test_a_token_endpoint_answering_302_is_refused_not_followed() -> None:
    moved = Answer(302, {"Location": "https://evil.test/oauth"})
    async with hostile(always(moved)) as server:
        auth = OAuth2ClientCredentials(server.url + TOKEN_PATH, CLIENT_ID, CANARY)
        async with ApiClient(server.url, auth) as client:
            with pytest.raises(ServerError) as caught:
                await client.get_json(ROUTE)
        assert [r.path for r in server.requests] == [TOKEN_PATH]
    assert str(caught.value).startswith(
        f"POST {TOKEN_PATH} -> 302: unexpected redirect to https://evil.test/oauth"
    )
