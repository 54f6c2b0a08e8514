"""GitHub deliveries: a signed push is accepted once per X-GitHub-Delivery and once per body (the id is not
signed: the same body under a new id is a replay), a push older than ten minutes by its own timestamps is
refused (a replay, or a push without the id, is a 409 and triggers nothing); the memory is bounded; a declared body over 1 MiB is refused
before it is read (the signature cannot be checked without reading it)."""

from __future__ import annotations

import json
import random

import httpx

from reconciler.redaction import Secret
from reconciler.watch.checks import CheckSettings
from reconciler.watch.hooks import Deliveries, HookSecrets
from reconciler.watch.listener import ListenerLimits
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.notify import Notifier
from reconciler.watch.reload import ConfigSource
from reconciler.watch.scheduler import Watcher
from reconciler.watch.web import build_app
from tests.support.watch import github_signature

SECRET = "hook-secret-replay-1234"
NOW = 1_800_000_000.0  # the app's clock: a fixed instant, so ages are exact


def _app() -> httpx.AsyncClient:
    watcher = Watcher(
        ConfigSource([], {}), CheckSettings({}), 60.0, WatchMetrics(), Notifier([]), rng=random.Random(1)
    )
    app = build_app(watcher, WatchMetrics(), HookSecrets(None, Secret(SECRET)), clock=lambda: NOW)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1")


async def test_a_replayed_delivery_is_refused() -> None:
    body = b'{"ref": "refs/heads/main"}'
    signed = {"x-github-event": "push", "x-hub-signature-256": github_signature(body, SECRET)}
    async with _app() as client:
        first = await client.post("/hooks/github", content=body, headers={**signed, "x-github-delivery": "a"})
        again = await client.post("/hooks/github", content=body, headers={**signed, "x-github-delivery": "a"})
        other = await client.post("/hooks/github", content=body, headers={**signed, "x-github-delivery": "b"})
        bare = await client.post("/hooks/github", content=body, headers=signed)
    assert [r.status_code for r in (first, again, other, bare)] == [202, 409, 409, 409]
    assert "already received" in other.json()["error"]


def _push(pushed_at: object, head: object = None) -> bytes:
    return json.dumps({"repository": {"pushed_at": pushed_at}, "head_commit": {"timestamp": head}}).encode()


async def _status(body: bytes, delivery: str) -> int:
    signed = {"x-github-event": "push", "x-hub-signature-256": github_signature(body, SECRET)}
    async with _app() as client:
        response = await client.post(
            "/hooks/github", content=body, headers={**signed, "x-github-delivery": delivery}
        )
    return response.status_code


async def test_a_push_older_than_ten_minutes_is_refused_whatever_its_id() -> None:
    assert await _status(_push(NOW - 601), "old") == 409
    assert await _status(_push(NOW - 599), "recent") == 202
    assert await _status(_push(None, "2027-01-15T07:49:00Z"), "iso") == 409  # NOW is 08:00:00Z
    # The newest timestamp wins: an old commit pushed just now is a fresh push.
    assert await _status(_push(NOW - 5, "2020-01-01T00:00:00+00:00"), "old-commit") == 202


async def test_unreadable_timestamps_leave_the_push_to_the_digest() -> None:
    for odd in ("yesterday", True, [1], {"t": 1}, "2027-01-15T08:00:00"):  # a naive time has no zone
        assert await _status(_push(odd, odd), f"odd-{odd!r}") == 202


async def test_an_oversized_declared_body_is_refused_before_reading() -> None:
    async def endless():  # type: ignore[no-untyped-def]
        yield b"x" * 1024
        raise AssertionError("the body was read past its declared length")

    async with _app() as client:
        response = await client.post(
            "/hooks/github",
            content=endless(),
            headers={"x-github-event": "push", "content-length": str(ListenerLimits().max_body + 1)},
        )
    assert response.status_code == 413


def test_the_memory_of_deliveries_is_bounded() -> None:
    seen = Deliveries(limit=100)
    assert all(seen.first_time(f"id-{k}") for k in range(10_000))
    assert len(seen) == 100
    assert not seen.first_time("id-9999") and seen.first_time("id-0")  # the oldest were forgotten
