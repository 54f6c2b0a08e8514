"""The lock file and the audit log are opened as regular files only (issue 24, items 9 and 10): a planted
symbolic link is not followed (its target would be overwritten), a FIFO is refused instead of blocking the
run forever, and an audit line stays one line whatever a name holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.audit import AuditLog
from reconciler.core.changes import Action
from reconciler.core.plan import AccountPlan
from reconciler.core.schedule import Outcome, Status
from reconciler.errors import ReconcilerError
from reconciler.lock import account_lock, lock_path


def test_a_planted_link_in_the_lock_dir_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.write_text("keep me")
    locks = tmp_path / "locks"
    locks.mkdir()
    lock_path(locks, "acct").symlink_to(target)
    lock = account_lock("acct", "abtasty account 1", {"RECONCILER_LOCK_DIR": str(locks)})
    with pytest.raises(ReconcilerError, match="symbolic link"), lock:
        pass
    assert target.read_text() == "keep me"


def test_a_fifo_audit_log_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "audit.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(ReconcilerError, match="not a regular file"):
        AuditLog(fifo, {})


def test_a_linked_audit_log_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").write_text("")
    (tmp_path / "audit.jsonl").symlink_to(tmp_path / "real")
    with pytest.raises(ReconcilerError, match="symbolic link"):
        AuditLog(tmp_path / "audit.jsonl", {})


def test_an_audit_line_is_one_ascii_line(tmp_path: Path) -> None:
    from reconciler.core.changes import Change
    from reconciler.providers.taplytics.changes import Kind

    change = Change(Kind.USER_CREATE, "user:u1", "a\u2028b\x85c", {}, {"name": "a\u2028b"})
    assert change.action is Action.CREATE
    plan = AccountPlan("t.yaml", "taplytics", "app", (change,))
    with AuditLog(tmp_path / "audit.jsonl", {"user": "me"}) as log:
        log.record(plan, Outcome(change, Status.APPLIED, ""))
    data = (tmp_path / "audit.jsonl").read_bytes()
    assert data.isascii() and len(data.decode().splitlines()) == 1
    assert json.loads(data)["name"] == "a\u2028b\x85c"
