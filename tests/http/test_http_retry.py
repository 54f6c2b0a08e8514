"""RetryTransport through ApiClient: what is retried, how long it waits, what is never repeated."""

from __future__ import annotations

import email.utils
import logging
import re

import httpx
import pytest

from reconciler.errors import ServerError
from reconciler.http import ATTEMPT, ApiClient, RetryPolicy
from tests.support.fake_http import SleepRecorder

BASE = "https://api.test"
Step = int | tuple[int, dict[str, str]] | Exception


def scripted(steps: list[Step]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering ``steps`` in order (a status, a status with headers, or an exception to
    raise), then 200 for ever."""
    sent: list[httpx.Request] = []
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        step: Step = queue.pop(0) if queue else 200
        if isinstance(step, Exception):
            raise step
        status, headers = step if isinstance(step, tuple) else (step, {})
        return httpx.Response(status, json={"message": f"status {status}"}, headers=headers)

    return httpx.MockTransport(handler), sent


def client_for(
    steps: list[Step], sleeps: SleepRecorder, **policy: object
) -> tuple[ApiClient, list[httpx.Request]]:
    transport, sent = scripted(steps)
    retry = RetryPolicy(sleep=sleeps, random=lambda: 0.5, **policy)  # type: ignore[arg-type]
    return ApiClient(BASE, None, transport=transport, retry=retry), sent


def dropped() -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError("Server disconnected without sending a response.")


async def test_429_honours_retry_after_seconds(sleeps: SleepRecorder) -> None:
    client, sent = client_for([(429, {"Retry-After": "7"})], sleeps)
    async with client:
        response = await client.request("GET", "/x")
    assert response.status_code == 200
    assert response.extensions[ATTEMPT] == 2
    assert sleeps.delays == [7.0 * 1.25]  # Retry-After plus the jitter (random() pinned at 0.5)
    assert len(sent) == 2 and client.request_count == 2


async def test_retry_after_http_date_and_cap(sleeps: SleepRecorder) -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    client, sent = client_for(
        [(429, {"Retry-After": date}), (503, {"Retry-After": "50"})], sleeps, now=lambda: now
    )
    async with client:
        await client.request("GET", "/x")
    assert sleeps.delays == [pytest.approx(12.0 * 1.25), 60.0]  # jittered; the second capped at 60 s
    assert len(sent) == 3


async def test_retry_after_over_the_cap_fails_at_once(sleeps: SleepRecorder) -> None:
    client, sent = client_for([(503, {"Retry-After": "3600"})], sleeps)
    async with client:
        with pytest.raises(ServerError, match="asked to retry after 3600 s, more than the 60 s"):
            await client.request("GET", "/x")
    assert sleeps.delays == [] and len(sent) == 1


async def test_invalid_retry_after_falls_back_to_backoff(sleeps: SleepRecorder) -> None:
    client, _ = client_for([(429, {"Retry-After": "soon"})], sleeps)
    async with client:
        await client.request("GET", "/x")
    assert sleeps.delays == [0.25]  # uniform(0, 0.5) with random() = 0.5


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried_for_get(status: int, sleeps: SleepRecorder) -> None:
    client, sent = client_for([status, status], sleeps)
    async with client:
        response = await client.request("GET", "/x")
    assert response.status_code == 200
    assert len(sent) == 3


@pytest.mark.parametrize(
    "error",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
    ],
)
async def test_lost_connections_are_retried_for_get(error: Exception, sleeps: SleepRecorder) -> None:
    client, sent = client_for([error], sleeps)
    async with client:
        assert (await client.request("GET", "/x")).status_code == 200
    assert len(sent) == 2


@pytest.mark.parametrize(
    "error", [httpx.RemoteProtocolError("Server disconnected"), httpx.ReadTimeout("timed out")]
)
async def test_post_is_not_repeated_after_a_dropped_connection(
    error: Exception, sleeps: SleepRecorder
) -> None:
    client, sent = client_for([error], sleeps)
    async with client:
        with pytest.raises(ServerError) as caught:
            await client.request("POST", "/api/core/accounts/1/users", json={"email": "a@b.c"})
    assert len(sent) == 1 and sleeps.delays == []
    assert caught.value.status == 0
    assert str(caught.value).startswith(
        "POST /api/core/accounts/1/users -> 0: connection failed after 1 attempt:"
    )


async def test_post_is_retried_when_the_connection_was_never_opened(sleeps: SleepRecorder) -> None:
    client, sent = client_for([httpx.ConnectError("connection refused")], sleeps)
    async with client:
        assert (await client.request("POST", "/x", json={})).status_code == 200
    assert len(sent) == 2


@pytest.mark.parametrize("status", [429, 503])
async def test_post_is_retried_when_the_server_says_it_did_not_process_it(
    status: int, sleeps: SleepRecorder
) -> None:
    client, sent = client_for([status], sleeps)
    async with client:
        assert (await client.request("POST", "/x", json={})).status_code == 200
    assert len(sent) == 2


@pytest.mark.parametrize("status", [502, 504])
async def test_post_is_not_retried_on_502_504(status: int, sleeps: SleepRecorder) -> None:
    client, sent = client_for([status], sleeps)
    async with client:
        with pytest.raises(ServerError) as caught:
            await client.request("POST", "/x", json={})
    assert caught.value.status == status
    assert len(sent) == 1


async def test_patch_marked_idempotent_is_retried(sleeps: SleepRecorder) -> None:
    client, sent = client_for([dropped(), 502], sleeps)
    async with client:
        await client.request("PATCH", "/tests/1", json={"state": "play"}, idempotent=True)
    assert len(sent) == 3


async def test_patch_not_marked_is_not_retried(sleeps: SleepRecorder) -> None:
    client, sent = client_for([dropped()], sleeps)
    async with client:
        with pytest.raises(ServerError):
            await client.request("PATCH", "/tests/1", json={})
    assert len(sent) == 1


async def test_idempotent_false_forbids_repeating_a_put(sleeps: SleepRecorder) -> None:
    client, sent = client_for([502], sleeps)
    async with client:
        with pytest.raises(ServerError):
            await client.request("PUT", "/x", json={}, idempotent=False)
    assert len(sent) == 1


async def test_backoff_grows_and_is_capped(sleeps: SleepRecorder) -> None:
    transport, sent = scripted([503] * 10)
    retry = RetryPolicy(sleep=sleeps, random=lambda: 1.0, backoff_base=1.0, backoff_cap=4.0, max_attempts=6)
    async with ApiClient(BASE, None, transport=transport, retry=retry) as client:
        with pytest.raises(ServerError) as caught:
            await client.request("GET", "/x")
    assert sleeps.delays == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(sent) == 6
    assert caught.value.status == 503
    assert str(caught.value) == "GET /x -> 503: status 503 (after 6 attempts)"


def test_backoff_has_full_jitter() -> None:
    values = iter([0.0, 0.25, 0.999])
    policy = RetryPolicy(random=lambda: next(values), backoff_base=0.5, backoff_cap=8.0)
    assert [policy.backoff(4) for _ in range(3)] == [0.0, 1.0, pytest.approx(3.996)]


async def test_connection_kept_failing(sleeps: SleepRecorder) -> None:
    client, sent = client_for([dropped()] * 5, sleeps, max_attempts=3)
    async with client:
        with pytest.raises(ServerError) as caught:
            await client.request("GET", "/x", params={"q": 1})
    assert len(sent) == 3
    assert caught.value.status == 0
    assert str(caught.value) == (
        "GET /x -> 0: connection failed after 3 attempts: RemoteProtocolError: "
        "Server disconnected without sending a response. (host api.test)"
    )


async def test_one_log_line_per_attempt(sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="reconciler.http")
    client, _ = client_for([503, dropped()], sleeps)
    async with client:
        await client.request("GET", "/api/core/accounts/41902/tests", params={"_page": 2})
        summary = client.log_summary()
    lines = [r.getMessage() for r in caplog.records if r.name == "reconciler.http"]
    attempts = [line for line in lines if line.startswith("GET ")]
    pattern = r"GET /api/core/accounts/41902/tests\?_page=2 {} \d+ms attempt {}"
    assert re.fullmatch(pattern.format(503, 1), attempts[0])
    assert re.fullmatch(pattern.format("RemoteProtocolError", 2), attempts[1])
    assert re.fullmatch(pattern.format(200, 3), attempts[2])
    assert len(attempts) == 3
    assert summary == "3 requests" and lines[-1] == "3 requests"
    assert any(line.startswith("retrying GET /api/core/accounts/41902/tests after 503") for line in lines)


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


async def test_no_retries_with_one_attempt(sleeps: SleepRecorder) -> None:
    client, sent = client_for([503], sleeps, max_attempts=1)
    async with client:
        with pytest.raises(ServerError, match=r"-> 503: status 503$"):
            await client.request("GET", "/x")
    assert len(sent) == 1
