"""GitHub deliveries: a signed push is accepted once per X-GitHub-Delivery (a replay, or a push without the
id, is a 409 and triggers nothing); the memory of ids is bounded; a declared body over 1 MiB is refused
before it is read (the signature cannot be checked without reading it)."""

from __future__ import annotations

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


def _app() -> httpx.AsyncClient:
    watcher = Watcher(
        ConfigSource([], {}), CheckSettings({}), 60.0, WatchMetrics(), Notifier([]), rng=random.Random(1)
    )
    app = build_app(watcher, WatchMetrics(), HookSecrets(None, Secret(SECRET)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1")


async def test_a_replayed_delivery_is_refused() -> None:
    body = b'{"ref": "refs/heads/main"}'
    signed = {"x-github-event": "push", "x-hub-signature-256": github_signature(body, SECRET)}
    async with _app() as client:
        first = await client.post("/hooks/github", content=body, headers={**signed, "x-github-delivery": "a"})
        again = await client.post("/hooks/github", content=body, headers={**signed, "x-github-delivery": "a"})
        other = await client.post("/hooks/github", content=body, headers={**signed, "x-github-delivery": "b"})
        bare = await client.post("/hooks/github", content=body, headers=signed)
    assert [r.status_code for r in (first, again, other, bare)] == [202, 409, 202, 409]


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
