"""Canaries: no secret reaches watch's output, logs (-v included), /metrics, the status page or a
notification, even when the vendor's data and a failing account's error would carry one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import (
    CANARIES,
    GITHUB_SECRET,
    TAPLYTICS_CANARY,
    WATCH_TOKEN,
    WEBHOOK_SECRET,
    Receiver,
    abtasty_config,
    change_user,
    github_signature,
    sandbox_env,
    taplytics_config,
    wait_for,
    watching,
)

pytestmark = pytest.mark.slow  # watch in its own process

TAP = {"provider": "taplytics", "account": "my-app"}


def test_no_secret_in_any_output(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    abtasty_config(tmp_path, tap_sandbox)
    broken = taplytics_config(tmp_path, name="broken-app", file="broken.yaml")
    broken.write_text(
        broken.read_text().replace(
            "  name: broken-app\n", "  name: broken-app\n  api_token: ${WRONG_TOKEN}\n"
        )
    )
    env = {
        **sandbox_env(tap_sandbox),
        "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECONCILER_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "WRONG_TOKEN": TAPLYTICS_CANARY + "-wrong",
        "RECONCILER_WATCH_TOKEN": WATCH_TOKEN,
    }
    # Secrets pasted into the vendor's data end up in the plan's descriptions.
    change_user(tap_sandbox, "qa-001", name=f"leak {WEBHOOK_SECRET} {TAPLYTICS_CANARY} {WATCH_TOKEN}")
    with (
        Receiver() as receiver,
        watching(
            [
                *(
                    str(tmp_path),
                    "--interval",
                    "0.5s",
                    "--listen",
                    "127.0.0.1:0",
                    "--notify",
                    receiver.url,
                    "-v",
                ),
                # Every notification shape, stamped with a page link (issue 26).
                *("--notify", f"slack+{receiver.url}", "--notify", f"teams+{receiver.url}"),
                *("--public-url", "https://watch.example.com/"),
            ],
            env,
            tmp_path,
        ) as watch,
    ):
        wait_for(lambda: watch.value("reconciler_pending_changes", **TAP) == 1, 20, "the drift")
        wait_for(
            lambda: receiver.events("drift") and receiver.events("check_failed"), 10, "the notifications"
        )
        wait_for(lambda: sum("attachments" in r for r in receiver.received) >= 2, 10, "the Teams cards")
        assert watch.post(f"/hooks/taplytics?token={WEBHOOK_SECRET}", json={}).status_code == 202
        assert watch.post("/hooks/taplytics?token=" + WEBHOOK_SECRET[:-1], json={}).status_code == 401
        # Refused before the body for want of an auth header (watch.post sends the page's bearer token):
        # the log line names the route, masked.
        assert httpx.post(f"{watch.url}/hooks/{WEBHOOK_SECRET}", content=b"{}").status_code == 401
        assert "no secret or signature header" in wait_for(lambda: watch.err, 5, "the log")
        body = b'{"ref": "refs/heads/main"}'
        signed = {
            "x-github-event": "push",
            "x-hub-signature-256": github_signature(body),
            "x-github-delivery": "d-1",
        }
        assert watch.post("/hooks/github", content=body, headers=signed).status_code == 202
        surfaces = {
            "/metrics": watch.get("/metrics").text,
            "/": watch.get("/").text,
            "/healthz": watch.get("/healthz").text,
            "notifications": json.dumps(receiver.received),
        }
    surfaces["stderr"], surfaces["stdout"] = watch.err, watch.out
    assert "leak ***" in surfaces["/"], "the page shows the masked value"
    for where, text in surfaces.items():
        for canary in CANARIES:
            assert canary not in text, f"a secret leaked into {where}"
