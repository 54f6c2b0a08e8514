"""``reconciler watch`` end to end: its own process, a real sandbox, real HTTP (issue 17's acceptance).

Time appears only as generous upper bounds (``wait_for``); the webhook test measures how long the
check took to follow the change and prints it.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import (
    WEBHOOK_SECRET,
    Receiver,
    abtasty_config,
    change_user,
    register_webhook,
    sandbox_env,
    taplytics_config,
    wait_for,
    watching,
)

pytestmark = pytest.mark.slow  # watch in its own process, waiting for intervals

TAP = {"provider": "taplytics", "account": "my-app"}
PENDING = "reconciler_pending_changes"
CHECKS = "reconciler_checks_total"
# A watch that checks every second, serves on a free port and applies what drifts.
SELF_HEALING = ["--interval", "1s", "--listen", "127.0.0.1:0", "--self-heal", "--settle", "1s"]


def _env(server: SandboxServer) -> dict[str, str]:
    return {**sandbox_env(server), "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET}


def test_in_sync_then_drift_behind_its_back_is_reported(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    abtasty_config(tmp_path, tap_sandbox)
    interval = 1.0
    with (
        Receiver() as receiver,
        watching(
            [str(tmp_path), "--interval", "1s", "--listen", "127.0.0.1:0", "--notify", receiver.url],
            _env(tap_sandbox),
            tmp_path,
        ) as watch,
    ):
        wait_for(lambda: watch.value(PENDING, **TAP) == 0, 20, "the first check: in sync")
        assert watch.value(PENDING, provider="abtasty", account="41902") == 0 or wait_for(
            lambda: watch.value(PENDING, provider="abtasty", account="41902") == 0, 20, "abtasty in sync"
        )
        changed = time.monotonic()
        change_user(tap_sandbox, "qa-001", custom_data={"cohort": "drifted"})
        change_user(tap_sandbox, "qa-002", name="Someone Else")
        wait_for(lambda: watch.value(PENDING, **TAP) == 2, 2 * interval * 1.1 + 5, "the gauge to read 2")
        print(f"drift seen {time.monotonic() - changed:.2f} s after the change (interval {interval} s)")
        # The two changes are two writes: a check may fall between them and notify 1 first, so wait for the
        # notification of both rather than take the first.
        both = lambda: [e for e in receiver.events("drift") if e.get("pending_changes") == 2]  # noqa: E731
        drift = wait_for(both, 10, "the drift notification of both changes")[0]
        assert drift["provider"] == "taplytics" and drift["account"] == "my-app"
        text = "\n".join(drift["changes"])
        assert "user qa-001" in text and "user qa-002" in text, text
        assert watch.value("reconciler_last_successful_check_timestamp_seconds", **TAP)
        # The same drift, seen at every interval, is reported once.
        checks = watch.value(CHECKS, outcome="success", **TAP) or 0
        wait_for(
            lambda: (watch.value(CHECKS, outcome="success", **TAP) or 0) >= checks + 2, 10, "more checks"
        )
        assert len(both()) == 1  # (a check between the two writes may have notified the first one alone)
        change_user(tap_sandbox, "qa-001", custom_data={"cohort": "qa"})
        change_user(tap_sandbox, "qa-002", name="QA Tester 2")
        wait_for(lambda: receiver.events("drift_cleared"), 10, "the drift-cleared notification")
        assert watch.value(PENDING, **TAP) == 0
        assert watch.total("reconciler_api_requests_total", http_status="200", **TAP) >= 4


def test_taplytics_webhook_triggers_a_check_at_once(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    abtasty_config(tmp_path, tap_sandbox)
    with watching(
        [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], _env(tap_sandbox), tmp_path
    ) as watch:
        wait_for(lambda: watch.value(CHECKS, outcome="success", **TAP) == 1, 20, "the first check")
        abtasty_checks = wait_for(
            lambda: watch.value(CHECKS, outcome="success", provider="abtasty", account="41902"), 20, "abtasty"
        )
        register_webhook(tap_sandbox, f"{watch.url}/hooks/taplytics?token={WEBHOOK_SECRET}")
        before = time.time()
        change_user(tap_sandbox, "qa-003", email="changed@example.com")
        wait_for(lambda: watch.value(PENDING, **TAP) == 1, 10, "the check the webhook triggered")
        checked_at = watch.value("reconciler_last_successful_check_timestamp_seconds", **TAP)
        assert checked_at is not None
        # The interval is an hour: a check after the change can only be the webhook's (no time is asserted;
        # a loaded machine took 1.19 s once, where the test used to demand under 1 s).
        assert checked_at >= before
        # Only the project the webhook concerns was checked: the AB Tasty account waits for its interval.
        assert watch.value(CHECKS, outcome="success", provider="abtasty", account="41902") == abtasty_checks


def test_forged_webhooks_get_401_and_trigger_nothing(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    env = {**_env(tap_sandbox), "RECONCILER_GITHUB_WEBHOOK_SECRET": "the-real-github-secret"}
    with watching([str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
        wait_for(lambda: watch.value(CHECKS, outcome="success", **TAP) == 1, 20, "the first check")
        tap_sandbox.clear_requests()
        body = json.dumps({"event": "user_created"}).encode()
        forged = [
            watch.post("/hooks/taplytics", content=body),
            watch.post("/hooks/taplytics?token=guess", content=body),
            watch.post(
                "/hooks/taplytics", content=body, headers={"x-reconciler-token": WEBHOOK_SECRET + "x"}
            ),
            watch.post("/hooks/taplytics", content=body, headers={"authorization": "Bearer nope"}),
            watch.post("/hooks/github", content=body, headers={"x-github-event": "push"}),
            watch.post(
                "/hooks/github",
                content=body,
                headers={"x-github-event": "push", "x-hub-signature-256": "sha256=" + "0" * 64},
            ),
        ]
        assert [r.status_code for r in forged] == [401] * len(forged)
        time.sleep(1.5)  # what a trigger would have had time to do
        assert watch.value(CHECKS, outcome="success", **TAP) == 1
        assert tap_sandbox.requests() == []
        assert (
            watch.post(
                "/hooks/nosuchvendor", content=body, headers={"x-reconciler-token": WEBHOOK_SECRET}
            ).status_code
            == 404
        )
        too_big = watch.post(
            f"/hooks/taplytics?token={WEBHOOK_SECRET}", content=b"[" + b"0," * 600_000 + b"0]"
        )
        assert too_big.status_code == 413
        too_deep = watch.post(f"/hooks/taplytics?token={WEBHOOK_SECRET}", content=b"[" * 100_000)
        assert too_deep.status_code == 400  # refused, not a 500
        assert watch.get("/healthz").status_code == 200


def test_self_heal_converges_and_the_gauge_returns_to_zero(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    taplytics_config(tmp_path)
    with (
        Receiver() as receiver,
        watching(
            [str(tmp_path), *SELF_HEALING, "--notify", receiver.url],
            _env(tap_sandbox),
            tmp_path,
        ) as watch,
    ):
        wait_for(lambda: watch.value(PENDING, **TAP) == 0, 20, "the first check")
        change_user(tap_sandbox, "qa-001", custom_data={"cohort": "drifted"}, name="Drifter")
        wait_for(
            lambda: watch.value("reconciler_self_heal_applies_total", outcome="success", **TAP),
            10,
            "a self-heal",
        )
        user = tap_sandbox.state()["taplytics_users"]["qa-001"]
        assert user["custom_data"]["cohort"] == "qa" and user["name"] == "QA Tester 1"
        assert watch.value(PENDING, **TAP) == 0
        healed = wait_for(lambda: receiver.events("self_healed"), 10, "the self-healed notification")[0]
        assert "user qa-001" in "\n".join(healed["changes"])


def test_one_account_failing_does_not_stop_the_others(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    broken = taplytics_config(tmp_path, name="broken-app", file="broken.yaml")
    broken.write_text(
        broken.read_text().replace(
            "  name: broken-app\n", "  name: broken-app\n  api_token: ${WRONG_TOKEN}\n"
        )
    )
    env = {**_env(tap_sandbox), "WRONG_TOKEN": "not-the-key"}
    with (
        Receiver() as receiver,
        watching(
            [str(tmp_path), "--interval", "0.3s", "--listen", "127.0.0.1:0", "--notify", receiver.url],
            env,
            tmp_path,
        ) as watch,
    ):
        wait_for(lambda: (watch.value(CHECKS, outcome="success", **TAP) or 0) >= 3, 20, "three good checks")
        assert (watch.value(CHECKS, outcome="error", provider="taplytics", account="broken-app") or 0) >= 1
        failed = wait_for(lambda: receiver.events("check_failed"), 10, "the failure notification")
        assert failed[0]["account"] == "broken-app" and "401" in failed[0]["error"]
        time.sleep(1)
        assert len(receiver.events("check_failed")) == 1, "the same failure is reported once"
        page = watch.get("/").text
        assert "broken-app" in page and "401" in page


def test_configs_are_reread_and_a_bad_edit_keeps_the_last_good(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = taplytics_config(tmp_path)
    with watching(
        [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], _env(tap_sandbox), tmp_path
    ) as watch:
        wait_for(lambda: watch.value(PENDING, **TAP) == 0, 20, "the first check")
        good = config.read_text()
        config.write_text(good + "  - user_id: qa-999\n    name: New Person\n")
        wait_for(lambda: watch.value(PENDING, **TAP) == 1, 10, "the edited config's check")
        config.write_text(good + "  - user_id: [not, a, string\n")
        wait_for(lambda: watch.value("reconciler_config_reload_errors_total"), 10, "the reload error")
        assert "could not be re-read" in watch.get("/").text
        assert watch.get("/healthz").status_code == 200
        assert watch.value(PENDING, **TAP) == 1  # the last good config is still the one checked
        config.write_text(good)
        wait_for(lambda: watch.value(PENDING, **TAP) == 0, 10, "the fixed config's check")
        assert "could not be re-read" not in watch.get("/").text


def test_github_push_rereads_and_checks(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    from tests.support.watch import GITHUB_SECRET, github_signature

    taplytics_config(tmp_path)
    env = {**_env(tap_sandbox), "RECONCILER_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET}
    with watching([str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
        wait_for(lambda: watch.value(CHECKS, outcome="success", **TAP) == 1, 20, "the first check")
        body = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()
        ping = watch.post(
            "/hooks/github",
            content=body,
            headers={"x-github-event": "ping", "x-hub-signature-256": github_signature(body)},
        )
        assert ping.status_code == 200
        headers = {
            "x-github-event": "push",
            "x-hub-signature-256": github_signature(body),
            "x-github-delivery": "d-1",
        }
        assert watch.post("/hooks/github", content=body, headers=headers).status_code == 202
        wait_for(
            lambda: watch.value(CHECKS, outcome="success", **TAP) == 2, 10, "the check the push triggered"
        )


def test_sigint_finishes_and_exits_zero(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    from tests.support.watch import Watch

    taplytics_config(tmp_path)
    watch = Watch(
        [str(tmp_path), "--interval", "0.2s", "--listen", "127.0.0.1:0"], _env(tap_sandbox), tmp_path
    )
    wait_for(lambda: watch.value(CHECKS, outcome="success", **TAP), 20, "a check")
    assert watch.get("/healthz").status_code == 200
    assert watch.stop(signal.SIGINT) == 0
    assert "stopped" in watch.err and "Traceback" not in watch.err


def test_a_webhook_url_can_name_its_project(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    taplytics_config(tmp_path, name="other-app", file="other.yaml")
    other = {"provider": "taplytics", "account": "other-app"}
    with watching(
        [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], _env(tap_sandbox), tmp_path
    ) as watch:
        wait_for(lambda: watch.value(CHECKS, outcome="success", **other) == 1, 20, "the first checks")
        wait_for(lambda: watch.value(CHECKS, outcome="success", **TAP) == 1, 20, "the first checks")
        answer = watch.post(f"/hooks/taplytics?token={WEBHOOK_SECRET}&account=other-app", json={"x": 1})
        assert answer.status_code == 202 and answer.json() == {"triggered": 1}
        wait_for(
            lambda: watch.value(CHECKS, outcome="success", **other) == 2, 10, "the named project's check"
        )
        assert watch.value(CHECKS, outcome="success", **TAP) == 1


def test_self_heal_never_forces_a_rail(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    from tests.support.e2e import mutations

    (tmp_path / "shop.yaml").write_text(
        "version: 1\nprovider: abtasty\naccount:\n  id: 41902\nmemberships:\n  prune: true\n  members:\n"
        "    - email: only.one@example.com\n      role: viewer\n"
    )
    with (
        Receiver() as receiver,
        watching(
            [str(tmp_path), *SELF_HEALING, "--notify", receiver.url],
            _env(tap_sandbox),
            tmp_path,
        ) as watch,
    ):
        shop = {"provider": "abtasty", "account": "41902"}
        wait_for(
            lambda: watch.value("reconciler_self_heal_applies_total", outcome="failure", **shop),
            20,
            "a refusal",
        )
        refused = wait_for(lambda: receiver.events("self_heal_failed"), 10, "the refusal's notification")[0]
        assert "refusing" in refused["error"] and "--force" in refused["error"]
        assert (watch.value(PENDING, **shop) or 0) > 0
    assert mutations(tap_sandbox) == []
