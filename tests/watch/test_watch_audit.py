"""Self-heal writes the audit trail ``apply --audit-log`` writes (issue 26), with the watch's context: the
command, host, pid, the config's commit and the hash of the file applied; an unwritable log stops watch
before it starts (exit 1)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner
from tests.support.watch import (
    CANARIES,
    WEBHOOK_SECRET,
    change_user,
    sandbox_env,
    taplytics_config,
    wait_for,
    watching,
)

TAP = {"provider": "taplytics", "account": "my-app"}


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.slow
def test_every_self_heal_change_is_in_the_audit_log(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    config = taplytics_config(tmp_path)
    audit = tmp_path / "logs" / "audit.jsonl"
    audit.parent.mkdir()
    env = {**sandbox_env(tap_sandbox), "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET}
    args = [str(tmp_path), "--interval", "0.5s", "--listen", "127.0.0.1:0", "--self-heal", "--settle", "1s"]
    with watching([*args, "--audit-log", str(audit)], env, tmp_path) as watch:
        wait_for(lambda: watch.value("reconciler_pending_changes", **TAP) == 0, 20, "the first check")
        change_user(tap_sandbox, "qa-001", name=f"Drifter {WEBHOOK_SECRET}")
        change_user(tap_sandbox, "qa-002", custom_data={"cohort": "drifted"})
        wait_for(lambda: len(_lines(audit)) >= 2, 20, "the heal's audit lines")
        pid = watch.proc.pid
    lines = _lines(audit)
    assert sorted(str(line["resource"]) for line in lines) == ["user:qa-001", "user:qa-002"], lines
    for line in lines:
        assert (
            line["outcome"] == "applied" and line["provider"] == "taplytics" and line["account"] == "my-app"
        )
        run = line["run"]
        assert isinstance(run, dict)
        assert run["command"] == "watch --self-heal" and run["pid"] == pid
        assert run["host"] == socket.gethostname()
        assert run["config_sha256"] == hashlib.sha256(config.read_bytes()).hexdigest()
        assert "commit" in run["config"]  # null outside git; the commit inside
    text = audit.read_text()
    assert all(canary not in text for canary in CANARIES), "a secret reached the audit log"


def test_an_unwritable_audit_log_is_exit_1_before_anything(cli: CliRunner, tmp_path: Path) -> None:
    config = taplytics_config(tmp_path)
    (tmp_path / "file").write_text("")
    result = cli("watch", str(config), "--self-heal", "--audit-log", str(tmp_path / "file" / "audit.jsonl"))
    assert result.code == 1, result.err
    assert "--audit-log" in result.err and "Traceback" not in result.err
    assert not os.path.exists(tmp_path / "file" / "audit.jsonl")
