"""Who may read ``/`` and ``/metrics`` (issue 26): loopback clients only, unless ``RECONCILER_WATCH_TOKEN``
is set, and then every client with it (bearer or basic auth, as Prometheus sends either); ``/healthz`` and
the webhook routes (which have their own secrets) stay open. The peer's address is the ASGI scope's, as
uvicorn fills it from the socket; the real-socket case is below."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import httpx
import pytest

from reconciler.redaction import Secret
from reconciler.sandbox.server import SandboxServer
from reconciler.watch.checks import CheckSettings
from reconciler.watch.guard import Access
from reconciler.watch.hooks import HookSecrets
from reconciler.watch.listener import ListenerLimits
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.notify import Notifier
from reconciler.watch.reload import ConfigSource
from reconciler.watch.scheduler import Watcher
from reconciler.watch.web import build_app
from tests.support.watch import WATCH_TOKEN, sandbox_env, taplytics_config, wait_for, watching

TOKEN = "watch-token-access-4711"
REMOTE = ("203.0.113.7", 40000)


def _client(token: str | None, peer: tuple[str, int]) -> httpx.AsyncClient:
    watcher = Watcher(
        ConfigSource([], {}), CheckSettings({}), 60.0, WatchMetrics(), Notifier([]), rng=random.Random(1)
    )
    access = Access(Secret(token) if token else None)
    app = build_app(watcher, WatchMetrics(), HookSecrets(None, None), ListenerLimits(), access)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app, client=peer), base_url="http://watch")


def _basic(password: str, user: str = "prometheus") -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("peer", [("127.0.0.1", 1), ("::1", 1), ("::ffff:127.0.0.1", 1)])
async def test_without_a_token_loopback_reads_the_page(peer: tuple[str, int]) -> None:
    async with _client(None, peer) as client:
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200


async def test_without_a_token_other_clients_are_refused_but_healthz_answers() -> None:
    async with _client(None, REMOTE) as client:
        for path in ("/", "/metrics"):
            refused = await client.get(path, headers={"authorization": "Bearer anything"})
            assert refused.status_code == 403 and "RECONCILER_WATCH_TOKEN" in refused.json()["error"]
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.post("/hooks/taplytics", json={})).status_code == 401  # its own secret


@pytest.mark.parametrize("peer", [REMOTE, ("127.0.0.1", 1)])
async def test_with_a_token_every_client_must_send_it(peer: tuple[str, int]) -> None:
    async with _client(TOKEN, peer) as client:
        bare = await client.get("/metrics")
        assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Basic")
        wrong = [
            {"authorization": f"Bearer {TOKEN}x"},
            {"authorization": TOKEN},
            _basic(TOKEN + "x"),
            _basic(""),
            {"authorization": "Basic !!not-base64"},
            {"x-reconciler-token": TOKEN},
        ]
        for headers in wrong:
            assert (await client.get("/", headers=headers)).status_code == 401, headers
        assert (await client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})).status_code == 200
        assert (await client.get("/", headers=_basic(TOKEN))).status_code == 200
        assert (await client.get("/", headers=_basic(TOKEN, user=""))).status_code == 200
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.slow
def test_the_token_over_a_real_socket(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    env = {**sandbox_env(tap_sandbox), "RECONCILER_WATCH_TOKEN": WATCH_TOKEN}
    with watching([str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
        wait_for(lambda: watch.total("reconciler_checks_total"), 20, "a check")  # the client sends the bearer
        plain = httpx.get(watch.url + "/metrics", timeout=10)
        assert plain.status_code == 401 and WATCH_TOKEN not in plain.text
        assert httpx.get(watch.url + "/", auth=("prometheus", WATCH_TOKEN), timeout=10).status_code == 200
        assert httpx.get(watch.url + "/healthz", timeout=10).status_code == 200
