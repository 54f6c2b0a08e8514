"""``reconciler watch`` receives Flagship's webhooks (issue 30): a campaign toggled behind its back is
POSTed by the sandbox to ``/hooks/flagship`` with the shared secret, and the check it triggers sees the
drift at once (the interval is an hour); the same body without the secret triggers nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.flagship.state import ACCOUNT_ID, ENVIRONMENT_ID
from tests.support.e2e import sandbox_server
from tests.support.flagship import ENV_PATH, FLAGSHIP_CANARY, write_flagship
from tests.support.watch import WEBHOOK_SECRET, register_webhook, wait_for, watching

pytestmark = pytest.mark.slow  # watch in its own process
FS = {"provider": "flagship", "account": ENVIRONMENT_ID}
CHECKS = "reconciler_checks_total"


def test_flagship_webhook_triggers_a_check_and_a_forged_one_does_not(tmp_path: Path) -> None:
    write_flagship(tmp_path, "campaigns:\n  - id: c03\n    state: active\n")
    with sandbox_server(flagship_client_secret=FLAGSHIP_CANARY) as server:
        env = {k: v for k, v in server.environment().items() if k.startswith("FLAGSHIP_")}
        env["RECONCILER_WEBHOOK_SECRET"] = WEBHOOK_SECRET
        args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"]
        with watching(args, env, tmp_path) as watch:
            wait_for(lambda: watch.value(CHECKS, outcome="success", **FS) == 1, 20, "the first check")
            forged = watch.post("/hooks/flagship", content=json.dumps({"event": "feature.paused"}).encode())
            assert forged.status_code == 401
            register_webhook(server, f"{watch.url}/hooks/flagship?token={WEBHOOK_SECRET}")
            token = httpx.post(
                f"{env['FLAGSHIP_AUTH_URL']}/{ACCOUNT_ID}/token",
                json={"grant_type": "client_credentials", "scope": "*", "client_id": env["FLAGSHIP_CLIENT_ID"],
                      "client_secret": FLAGSHIP_CANARY},
            ).json()["access_token"]  # fmt: skip
            before = time.time()
            httpx.patch(
                f"{server.url}{ENV_PATH}/campaigns/c03/toggle",
                json={"state": "paused"},
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()  # someone pauses the campaign in the vendor's UI
            wait_for(lambda: watch.value("reconciler_pending_changes", **FS) == 1, 10, "the webhook's check")
            checked = watch.value("reconciler_last_successful_check_timestamp_seconds", **FS)
            assert checked is not None and checked >= before  # an hour's interval: only the webhook's
            assert watch.value(CHECKS, outcome="success", **FS) == 2
