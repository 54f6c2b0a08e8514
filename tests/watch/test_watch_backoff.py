"""Webhook wake-ups honour the 429 back-off (issue 26): after a throttled check, a flood of webhooks and a
push cost no request until the scheduler's back-off ends (the sandbox's request log counts them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import WEBHOOK_SECRET, sandbox_env, taplytics_config, wait_for, watching

pytestmark = pytest.mark.slow  # watch in its own process

TAP = {"provider": "taplytics", "account": "my-app"}
DEFERRED = "woken during a 429 back-off"


def test_a_webhook_flood_during_throttling_sends_no_request(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    taplytics_config(tmp_path)
    # The first read is throttled once: the client waits it out, the check succeeds, and the scheduler
    # backs off (two intervals: two hours, so any request below can only come from a wake-up).
    tap_sandbox.set_faults(forced=[{"method": "GET", "path": "/v2/*", "status": 429, "times": 1}])
    env = {**sandbox_env(tap_sandbox), "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET}
    with watching([str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
        wait_for(lambda: watch.total("reconciler_checks_total", **TAP), 30, "the throttled check")
        assert watch.total("reconciler_api_requests_total", http_status="429", **TAP) == 1
        tap_sandbox.clear_requests()
        for _ in range(10):
            answer = watch.post(f"/hooks/taplytics?token={WEBHOOK_SECRET}", json={"event": "user_created"})
            assert answer.status_code == 202
        wait_for(lambda: DEFERRED in watch.err, 20, "the held wake-up")
        assert tap_sandbox.requests() == [], "a wake-up during the back-off reached the API"
        assert watch.total("reconciler_checks_total", **TAP) == 1
    assert watch.err.count(DEFERRED) == 1, "one line per back-off, not one per webhook"
