"""Error mapping and the https-or-loopback guard."""

from __future__ import annotations

import httpx
import pytest

from reconciler.errors import (
    ApiError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    RequestFailedError,
    ServerError,
    TransportError,
)
from reconciler.http import ApiClient, OAuth2ClientCredentials, RetryPolicy, check_url
from tests.support.fake_http import CANARY_SECRET, CLIENT_ID, TOKEN_PATH, SleepRecorder


def answering(status: int, **kwargs: object) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, **kwargs)  # type: ignore[arg-type]

    return httpx.MockTransport(handler), sent


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, RequestFailedError),
        (401, AuthError),
        (402, RequestFailedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, RequestFailedError),
        (422, RequestFailedError),
        (500, ServerError),
        (503, ServerError),
        (429, ServerError),
    ],
)
async def test_status_maps_to_error_class(
    status: int, error_class: type[ApiError], sleeps: SleepRecorder
) -> None:
    transport, sent = answering(status, json={"message": "the reason"})
    retry = RetryPolicy(sleep=sleeps, max_attempts=2)
    async with ApiClient("https://api.test", None, transport=transport, retry=retry) as client:
        with pytest.raises(error_class) as caught:
            await client.request("GET", "/api/things/7", params={"api_token": CANARY_SECRET})
    err = caught.value
    assert type(err) is error_class
    assert (err.method, err.path, err.status) == ("GET", "/api/things/7", status)
    assert "the reason" in err.detail
    assert CANARY_SECRET not in str(err)  # the query string never reaches the message
    # a GET is repeated after 5xx (max_attempts=2 here) and waits out 429s apart from that budget; never 4xx
    expected_sends = {429: 2 + retry.max_throttled, 500: 2, 503: 2}.get(status, 1)
    assert len(sent) == expected_sends


async def test_402_carries_the_server_message_and_is_not_retried(sleeps: SleepRecorder) -> None:
    transport, sent = answering(402, json={"error": "Experiment could not be started: no variations"})
    async with ApiClient(
        "https://api.taplytics.test", None, transport=transport, retry=RetryPolicy(sleep=sleeps)
    ) as c:
        with pytest.raises(RequestFailedError) as caught:
            await c.request("POST", "/v1/experiments/3/start", json={})
    assert (
        str(caught.value)
        == "POST /v1/experiments/3/start -> 402: Experiment could not be started: no variations"
    )
    assert len(sent) == 1 and sleeps.delays == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"json": {"error_description": "bad grant", "error": "invalid_grant"}}, "bad grant"),
        ({"json": {"detail": "Not allowed"}}, "Not allowed"),
        ({"json": {"error": {"message": "nested reason"}}}, "nested reason"),
        ({"text": "<html>  Gateway\n  went away </html>"}, "<html> Gateway went away </html>"),
        ({"text": "x" * 500}, "x" * 197 + "..."),
        ({"content": b""}, "Bad Request"),
        ({"json": ["not", "an", "object"]}, '["not","an","object"]'),
    ],
)
async def test_server_message_extraction(kwargs: dict[str, object], expected: str) -> None:
    transport, _ = answering(400, **kwargs)
    async with ApiClient("https://api.test", None, transport=transport) as client:
        with pytest.raises(RequestFailedError) as caught:
            await client.request("GET", "/x")
    assert caught.value.detail == expected


async def test_non_json_success_body_is_reported() -> None:
    transport, _ = answering(200, text="<html>login</html>", headers={"Content-Type": "text/html"})
    async with ApiClient("https://api.test", None, transport=transport) as client:
        with pytest.raises(ServerError, match="expected a JSON body, got text/html"):
            await client.get_json("/x")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.abtasty.com",
        "http://10.0.0.8:8080",
        "http://127.0.0.1.evil.test",
        "ftp://api.test",
        "api.test",
    ],
)
def test_insecure_base_url_is_refused_before_sending(url: str) -> None:
    transport, sent = answering(200, json={})
    with pytest.raises(TransportError):
        ApiClient(url, None, transport=transport)
    assert sent == []


def test_insecure_token_url_is_refused_before_sending() -> None:
    transport, sent = answering(200, json={})
    auth = OAuth2ClientCredentials("http://api2.abtasty.com" + TOKEN_PATH, CLIENT_ID, CANARY_SECRET)
    with pytest.raises(TransportError, match="plain http") as caught:
        ApiClient("https://api.abtasty.com", auth, transport=transport)
    assert sent == []
    assert CANARY_SECRET not in str(caught.value)


async def test_insecure_absolute_url_in_a_request_is_refused() -> None:
    transport, sent = answering(200, json={})
    async with ApiClient("https://api.test", None, transport=transport) as client:
        with pytest.raises(TransportError):
            await client.request("GET", "http://api.test/x")
        assert client.request_count == 0
    assert sent == []


def test_refusal_message_hides_credentials_and_query() -> None:
    with pytest.raises(TransportError) as caught:
        check_url(f"http://user:{CANARY_SECRET}@api.test/x?api_token={CANARY_SECRET}")
    assert CANARY_SECRET not in str(caught.value)
    assert "http://api.test" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.abtasty.com",
        "http://127.0.0.1:8000",
        "http://127.5.6.7",
        "http://localhost:9000/api",
        "http://LOCALHOST",
        "http://[::1]:8080",
    ],
)
async def test_https_and_loopback_http_are_allowed(url: str) -> None:
    check_url(url)
    transport, sent = answering(200, json={"ok": 1})
    async with ApiClient(url, None, transport=transport) as client:
        assert await client.get_json("/ping") == {"ok": 1}
    assert len(sent) == 1
