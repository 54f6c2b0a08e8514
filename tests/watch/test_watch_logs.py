"""The watch's log as an operator reads it (issue 31): self-heal lines in the plan's words, as apply prints
them (not ``user:qa-001 applied``); a config reload error at ERROR, never INFO; a failed check logged once
(the notification queue does not log it again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import (
    WEBHOOK_SECRET,
    Receiver,
    change_user,
    sandbox_env,
    taplytics_config,
    wait_for,
    watching,
)

pytestmark = pytest.mark.slow  # watch in its own process

TAP = {"provider": "taplytics", "account": "my-app"}


def _lines(err: str, *parts: str) -> list[str]:
    return [line for line in err.splitlines() if all(p in line for p in parts)]


def test_the_log_speaks_the_plan_and_says_each_thing_once(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    config = taplytics_config(tmp_path)
    broken = taplytics_config(tmp_path, name="broken-app", file="broken.yaml")
    broken.write_text(
        broken.read_text().replace("  name: broken-app\n", "  name: broken-app\n  api_token: ${WRONG}\n")
    )
    env = {**sandbox_env(tap_sandbox), "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET, "WRONG": "not-the-key"}
    args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0", "--self-heal", "--settle", "1s"]
    with Receiver() as receiver, watching([*args, "--notify", receiver.url], env, tmp_path) as watch:
        wait_for(lambda: receiver.events("check_failed"), 20, "the failed check's notification")
        wait_for(lambda: watch.value("reconciler_pending_changes", **TAP) == 0, 20, "the first check")
        change_user(tap_sandbox, "qa-001", name="Drifter")
        watch.post(f"/hooks/taplytics?token={WEBHOOK_SECRET}&account=my-app", json={})
        wait_for(lambda: receiver.events("self_healed"), 20, "the heal")
        good = config.read_text()
        config.write_text(good + "  - user_id: [not, a, string\n")
        wait_for(lambda: receiver.events("config_error"), 20, "the reload error")
        config.write_text(good)
    err = watch.err
    assert len(_lines(err, "broken-app", "failed")) == 1, err  # one check failed: one line
    healed = _lines(err, "self-heal taplytics my-app: applied: user qa-001")
    assert healed and "Drifter" in healed[0] and "QA Tester 1" in healed[0], err
    assert "user:qa-001" not in err, "an internal key in the log"
    reload_errors = _lines(err, "config not reloaded")
    assert len(reload_errors) == 1 and " ERROR " in reload_errors[0], err
    assert not _lines(err, " INFO ", "not reloaded"), err
