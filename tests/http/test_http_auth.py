"""OAuth2 client credentials and token-header auth, through ApiClient over httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconciler.errors import AuthError, ServerError
from reconciler.http import ApiClient, OAuth2ClientCredentials, RetryPolicy, TokenHeaderAuth
from tests.support.fake_http import (
    CANARY_SECRET,
    CLIENT_ID,
    TESTS_PATH,
    TOKEN_PATH,
    FakeAbTasty,
    FakeClock,
    SleepRecorder,
)

BASE = "https://api.abtasty.test"
TOKEN_URL = "https://api2.abtasty.test" + TOKEN_PATH


def make_client(
    fake: FakeAbTasty,
    *,
    clock: FakeClock | None = None,
    secret: str = CANARY_SECRET,
    sleeps: SleepRecorder | None = None,
    parallelism: int = 8,
) -> tuple[ApiClient, OAuth2ClientCredentials]:
    auth = OAuth2ClientCredentials(TOKEN_URL, CLIENT_ID, secret, **({"clock": clock} if clock else {}))
    retry = RetryPolicy(sleep=sleeps or SleepRecorder())
    transport = httpx.ASGITransport(app=fake.app())
    return ApiClient(BASE, auth, transport=transport, retry=retry, parallelism=parallelism), auth


async def test_token_request_is_the_documented_json_body(fake: FakeAbTasty) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "A" * 40, "expires_in": 43200})
        return httpx.Response(200, json={"ok": True})

    auth = OAuth2ClientCredentials(TOKEN_URL, CLIENT_ID, CANARY_SECRET)
    async with ApiClient(BASE, auth, transport=httpx.MockTransport(handler)) as client:
        assert await client.get_json(TESTS_PATH) == {"ok": True}

    token_request, api_request = seen
    assert token_request.method == "POST"
    assert str(token_request.url) == TOKEN_URL
    assert token_request.headers["content-type"] == "application/json"
    assert json.loads(token_request.content) == {
        "client_id": CLIENT_ID,
        "client_secret": CANARY_SECRET,
        "grant_type": "client_credentials",
    }
    assert "authorization" not in token_request.headers
    assert api_request.headers["authorization"] == "Bearer " + "A" * 40


async def test_token_is_cached_across_requests(fake: FakeAbTasty) -> None:
    client, auth = make_client(fake)
    async with client:
        for _ in range(5):
            await client.get_json(TESTS_PATH)
    assert len(fake.token_bodies) == 1
    assert auth.fetch_count == 1
    assert client.request_count == 6  # 1 token + 5 API requests


async def test_token_refreshed_shortly_before_expiry(fake: FakeAbTasty, clock: FakeClock) -> None:
    fake.expires_in = 100  # margin: min(60 s, 10%) = 10 s
    client, _ = make_client(fake, clock=clock)
    async with client:
        await client.get_json(TESTS_PATH)
        clock.advance(89)
        await client.get_json(TESTS_PATH)
        assert len(fake.token_bodies) == 1
        clock.advance(2)  # 91 s: inside the margin
        await client.get_json(TESTS_PATH)
        assert len(fake.token_bodies) == 2
        clock.advance(50)
        await client.get_json(TESTS_PATH)
    assert len(fake.token_bodies) == 2


async def test_long_lived_token_uses_a_60s_margin(fake: FakeAbTasty, clock: FakeClock) -> None:
    client, _ = make_client(fake, clock=clock)  # expires_in 43200
    async with client:
        await client.get_json(TESTS_PATH)
        clock.advance(43200 - 61)
        await client.get_json(TESTS_PATH)
        assert len(fake.token_bodies) == 1
        clock.advance(2)
        await client.get_json(TESTS_PATH)
    assert len(fake.token_bodies) == 2


async def test_401_refreshes_once_then_succeeds(fake: FakeAbTasty) -> None:
    client, _ = make_client(fake)
    async with client:
        await client.get_json(TESTS_PATH)
        fake.revoke_all()  # the server forgets the token before it expires
        body = await client.get_json(TESTS_PATH)
    assert body["page"] == 1
    assert len(fake.token_bodies) == 2
    assert client.request_count == 5  # token, GET, GET 401, token, GET


async def test_second_401_raises_auth_error(fake: FakeAbTasty) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "tok-never-accepted", "expires_in": 3600})
        return httpx.Response(401, json={"message": "Invalid token"})

    auth = OAuth2ClientCredentials(TOKEN_URL, CLIENT_ID, CANARY_SECRET)
    async with ApiClient(BASE, auth, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(AuthError) as caught:
            await client.get_json(TESTS_PATH, params={"_page": 1})
        assert client.request_count == 4  # token, GET 401, token, GET 401: no loop
    assert auth.fetch_count == 2
    err = caught.value
    assert (err.method, err.path, err.status) == ("GET", TESTS_PATH, 401)
    assert str(err) == f"GET {TESTS_PATH} -> 401: Invalid token"


async def test_concurrent_requests_share_one_token_fetch(fake: FakeAbTasty) -> None:
    fake.token_delay = 0.05  # a slow token endpoint: every request arrives while the fetch is pending
    client, auth = make_client(fake)
    async with client:
        await asyncio.gather(*(client.get_json(TESTS_PATH) for _ in range(20)))
    assert len(fake.token_bodies) == 1
    assert auth.fetch_count == 1
    assert client.request_count == 21


async def test_concurrent_401s_refresh_once(fake: FakeAbTasty) -> None:
    client, _ = make_client(fake)
    async with client:
        await client.get_json(TESTS_PATH)
        fake.revoke_all()
        fake.delay = 0.02
        await asyncio.gather(*(client.get_json(TESTS_PATH) for _ in range(10)))
    assert len(fake.token_bodies) == 2


async def test_refused_credentials_raise_auth_error_with_server_message(fake: FakeAbTasty) -> None:
    client, _ = make_client(fake, secret=CANARY_SECRET + "-wrong")
    async with client:
        with pytest.raises(AuthError) as caught:
            await client.get_json(TESTS_PATH)
    err = caught.value
    assert err.status == 401
    assert err.path == TOKEN_PATH
    assert "The client credentials are invalid" in str(err)
    assert CANARY_SECRET not in str(err) and CANARY_SECRET not in repr(err)
    assert fake.api_requests == []  # nothing sent without a token


async def test_token_request_goes_through_the_retry_transport(
    fake: FakeAbTasty, sleeps: SleepRecorder
) -> None:
    fake.token_faults = [503, 502]
    client, _ = make_client(fake, sleeps=sleeps)
    async with client:
        await client.get_json(TESTS_PATH)
    assert len(fake.token_bodies) == 3
    assert len(sleeps.delays) == 2
    assert client.request_count == 4


async def test_token_endpoint_failing_for_good_is_a_server_error(fake: FakeAbTasty) -> None:
    fake.token_faults = [500] * RetryPolicy().max_attempts  # every attempt of the retry policy fails
    client, _ = make_client(fake)
    async with client:
        with pytest.raises(ServerError) as caught:
            await client.get_json(TESTS_PATH)
    assert caught.value.status == 500
    assert "token service unavailable" in str(caught.value)


async def test_token_answer_without_access_token_is_an_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token_type": "bearer"})

    auth = OAuth2ClientCredentials(TOKEN_URL, CLIENT_ID, CANARY_SECRET)
    async with ApiClient(BASE, auth, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(AuthError, match="without an access_token"):
            await client.get_json(TESTS_PATH)


async def test_token_header_auth_sends_header_never_query() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    auth = TokenHeaderAuth("taplytics-key-" + CANARY_SECRET)
    async with ApiClient("https://api.taplytics.test", auth, transport=httpx.MockTransport(handler)) as c:
        await c.get_json("/v1/experiments", params={"page": 1})
    (request,) = seen
    assert request.headers["x-access-token"] == "taplytics-key-" + CANARY_SECRET
    assert "api_token" not in str(request.url)
    assert CANARY_SECRET not in repr(auth)
