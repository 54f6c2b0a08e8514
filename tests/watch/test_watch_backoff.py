"""Wake-ups honour the back-off (issue 26): after a throttled check, or a failed one (a 5xx), a flood of
webhooks and a signed GitHub push cost no request until the scheduler's back-off ends (the sandbox's
request log counts them); a change to the account's own file is checked at once, back-off or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import (
    GITHUB_SECRET,
    WEBHOOK_SECRET,
    Watch,
    github_signature,
    sandbox_env,
    taplytics_config,
    wait_for,
    watching,
)

pytestmark = pytest.mark.slow  # watch in its own process

TAP = {"provider": "taplytics", "account": "my-app"}
DEFERRED = "woken during a 429 back-off"
DEFERRED_FAILED = "woken during the back-off after a failed check"
NEW_USER = "  - user_id: qa-new\n    email: qa+new@example.com\n    name: New QA\n"


def _env(server: SandboxServer) -> dict[str, str]:
    secrets = {"RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET, "RECONCILER_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET}
    return {**sandbox_env(server), **secrets}


def _push(watch: Watch, delivery: str) -> None:
    body = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()
    headers = {
        "x-github-event": "push",
        "x-hub-signature-256": github_signature(body),
        "x-github-delivery": delivery,
    }
    assert watch.post("/hooks/github", content=body, headers=headers).status_code == 202


def _flood(watch: Watch) -> None:
    for _ in range(10):
        answer = watch.post(f"/hooks/taplytics?token={WEBHOOK_SECRET}", json={"event": "user_created"})
        assert answer.status_code == 202
    for _ in range(2):  # each answer is a turn of the watch's loop: a woken check would have begun by now
        assert watch.get("/healthz").status_code == 200


def test_a_webhook_flood_during_throttling_sends_no_request(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    taplytics_config(tmp_path)
    # The first read is throttled once: the client waits it out, the check succeeds, and the scheduler
    # backs off (two intervals: two hours, so any request below can only come from a wake-up).
    tap_sandbox.set_faults(forced=[{"method": "GET", "path": "/v2/*", "status": 429, "times": 1}])
    env = _env(tap_sandbox)
    with watching([str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
        wait_for(lambda: watch.total("reconciler_checks_total", **TAP), 30, "the throttled check")
        assert watch.total("reconciler_api_requests_total", http_status="429", **TAP) == 1
        tap_sandbox.clear_requests()
        _flood(watch)
        wait_for(lambda: DEFERRED in watch.err, 20, "the held wake-up")
        _push(watch, "d-throttled")
        _flood(watch)
        assert tap_sandbox.requests() == [], "a wake-up during the back-off reached the API"
        assert watch.total("reconciler_checks_total", **TAP) == 1
    assert watch.err.count(DEFERRED) == 1, "one line per back-off, not one per webhook"


def test_wake_ups_after_a_failed_check_wait_for_its_back_off(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = taplytics_config(tmp_path)
    # A 5xx the client does not retry (501): the check fails at once, and the next one is two hours away.
    tap_sandbox.set_faults(forced=[{"method": "GET", "path": "/v2/*", "status": 501, "times": 1}])
    env = _env(tap_sandbox)
    with watching([str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
        wait_for(
            lambda: watch.total("reconciler_checks_total", outcome="error", **TAP), 30, "the failed check"
        )
        tap_sandbox.clear_requests()
        _push(watch, "d-1")  # re-reads the files (unchanged) and wakes every account
        wait_for(lambda: DEFERRED_FAILED in watch.err, 20, "the held push")
        _flood(watch)
        assert tap_sandbox.requests() == [], "a wake-up during the back-off reached the API"
        assert watch.total("reconciler_checks_total", **TAP) == 1
        config.write_text(config.read_text() + NEW_USER)  # its own file changed: a new config, checked now
        wait_for(lambda: watch.total("reconciler_checks_total", **TAP) == 2, 20, "the check of the new file")
    assert watch.err.count(DEFERRED_FAILED) == 1, "one line per back-off, not one per wake-up"
