"""The client as the Taplytics provider uses it: Link pages one at a time, the token in the header only,
an idempotent POST retried after 5xx / lost answers, a 402 reported with its message and never repeated."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from reconciler.errors import RequestFailedError
from reconciler.http import ApiClient, RetryPolicy, TokenHeaderAuth
from reconciler.http.paging import pager
from tests.support.fake_http import CANARY_SECRET, SleepRecorder

BASE = "https://api.taplytics.test"
TOKEN = "tap-" + CANARY_SECRET


def users_app(pages: int, *, split_headers: bool = False) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """``pages`` pages of two users; Link as the document writes it, echoing the token into every URL."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        page = int(request.url.params["page"])
        url = f"{BASE}/v2/users?api_token={TOKEN}&filter=qa&page={{}}&per_page=2"
        links = [f"<{url.format(pages)}>; rel='last'", f"<{url.format(1)}>; rel='first'"]
        if page < pages:
            links.insert(1, f"<{url.format(page + 1)}>; rel='next'")
        headers = [("Link", link) for link in links] if split_headers else [("Link", ", ".join(links))]
        users = [{"user_id": f"u{page}-{i}"} for i in range(2)]
        return httpx.Response(200, json={"users": users, "numEntities": 2 * pages}, headers=headers)

    return httpx.MockTransport(handler), sent


@pytest.mark.parametrize("split_headers", [False, True])
async def test_link_pages_follow_next_without_the_echoed_token(split_headers: bool) -> None:
    transport, sent = users_app(3, split_headers=split_headers)
    async with ApiClient(BASE, TokenHeaderAuth(TOKEN), transport=transport) as client:
        pages = [
            p
            async for p in pager(client).link_pages(
                "/v2/users", {"filter": "qa"}, per_page=2, items_key="users"
            )
        ]
    assert [u["user_id"] for p in pages for u in p.items] == ["u1-0", "u1-1", "u2-0", "u2-1", "u3-0", "u3-1"]
    assert [p.body["numEntities"] for p in pages] == [6, 6, 6]
    assert [str(r.url) for r in sent] == [
        f"{BASE}/v2/users?filter=qa&page=1&per_page=2",
        f"{BASE}/v2/users?filter=qa&page=2&per_page=2",  # the server's URL, its other parameters kept
        f"{BASE}/v2/users?filter=qa&page=3&per_page=2",
    ]
    assert all(r.headers["x-access-token"] == TOKEN for r in sent)
    assert pages[-1].next_url is None


async def test_stopping_early_sends_nothing_more() -> None:
    transport, sent = users_app(50)
    async with ApiClient(BASE, TokenHeaderAuth(TOKEN), transport=transport) as client:
        pages = pager(client).link_pages("/v2/users", per_page=2)
        async with contextlib.aclosing(pages):
            first = await anext(pages)
        assert first.next_url is not None and client.request_count == 1
    assert len(sent) == 1


def scripted(steps: list[int | Exception]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        step = steps.pop(0) if steps else 200
        if isinstance(step, Exception):
            raise step
        body = {"message": "Request failed: the user limit of the plan is reached", "status": step}
        return httpx.Response(step, json=body if step >= 400 else {"user_id": "qa-1"})

    return httpx.MockTransport(handler), sent


@pytest.mark.parametrize(
    "steps", [[500], [502, 503], [httpx.RemoteProtocolError("dropped")], [httpx.ReadTimeout("slow")]]
)
async def test_idempotent_post_is_retried(steps: list[int | Exception], sleeps: SleepRecorder) -> None:
    transport, sent = scripted(list(steps))
    async with ApiClient(BASE, None, transport=transport, retry=RetryPolicy(sleep=sleeps)) as client:
        await client.request("POST", "/v2/users/qa-1", json={"name": "Q"}, idempotent=True)
    assert len(sent) == len(steps) + 1
    assert {r.content for r in sent} == {b'{"name":"Q"}'}  # the same body each time, no token in it


async def test_402_is_reported_with_the_server_message_and_not_retried(sleeps: SleepRecorder) -> None:
    transport, sent = scripted([402])
    async with ApiClient(BASE, None, transport=transport, retry=RetryPolicy(sleep=sleeps)) as client:
        with pytest.raises(RequestFailedError) as caught:
            await client.request("POST", "/v2/users/qa-1", json={"name": "Q"}, idempotent=True)
    assert str(caught.value) == (
        "POST /v2/users/qa-1 -> 402: Request failed: the user limit of the plan is reached"
    )
    assert len(sent) == 1 and sleeps.delays == []
