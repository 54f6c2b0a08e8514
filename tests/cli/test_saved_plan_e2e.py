"""A saved plan is an approval, not a program: ``apply --plan FILE`` recomputes the plan from the config and the
live account and applies it only when it holds exactly the file's changes. Each attack of issue 13 on a
hand-edited file is refused with the difference named, exit 1 and zero mutating requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, mutations, write_config

CONFIG = """tests:
  - id: 381296
    state: play
memberships:
  prune: false
  members:
    - email: new.person@example.com
      role: creator
"""
Edit = Callable[[dict[str, Any]], None]


def _changes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = doc["accounts"][0]["changes"]
    return changes


def revoke_admin(doc: dict[str, Any]) -> None:
    _changes(doc).append(
        {
            "kind": "member_revoke",
            "action": "delete",
            "resource": {"type": "member", "id": "remi@abtasty.com", "name": "remi@abtasty.com"},
            "before": {"role": "admin", "id": 132420},
            "after": {},
        }
    )


def pause_unmanaged(doc: dict[str, Any]) -> None:
    _changes(doc).append(
        {
            "kind": "test_state",
            "action": "update",
            "resource": {"type": "test", "id": 365111, "name": "Gil Test"},
            "before": {"state": "play", "mode": "prod"},
            "after": {"state": "pause", "mode": None},
        }
    )


def outsider_admin(doc: dict[str, Any]) -> None:
    add = next(c for c in _changes(doc) if c["kind"] == "member_add")
    add["resource"]["id"] = add["resource"]["name"] = "outsider@evil.example"
    add["after"]["role"] = "admin"


def repeated(doc: dict[str, Any]) -> None:
    play = next(c for c in _changes(doc) if c["kind"] == "test_state")
    _changes(doc).extend([dict(play) for _ in range(500)])


def other_mode(doc: dict[str, Any]) -> None:
    next(c for c in _changes(doc) if c["kind"] == "test_state")["after"]["mode"] = "preprod"


def dropped(doc: dict[str, Any]) -> None:
    doc["accounts"][0]["changes"] = [c for c in _changes(doc) if c["kind"] != "script_update"]


def other_account(doc: dict[str, Any]) -> None:
    doc["accounts"][0]["account"] = 99999  # what show and the prompt name, not what is applied


def reassuring_safety(doc: dict[str, Any]) -> None:
    doc["accounts"][0]["safety"] = [{"rule": "min_admins", "message": "reviewed: safe", "forceable": True}]


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (
            other_account,
            "account: the plan file says ('abtasty', '99999'), a fresh plan ('abtasty', '41902')",
        ),
        (
            reassuring_safety,
            "safety: the plan file says [('min_admins', 'reviewed: safe', True)], a fresh plan []",
        ),
        (revoke_admin, "member_revoke member:remi@abtasty.com: in the plan file, not in a fresh plan"),
        (pause_unmanaged, "test_state test:365111: in the plan file, not in a fresh plan"),
        (outsider_admin, "member_add member:outsider@evil.example: in the plan file, not in a fresh plan"),
        (repeated, "test_state test:381296: listed more than once in the plan file"),
        (other_mode, "test_state test:381296: after.mode: the plan file says 'preprod', a fresh plan 'prod'"),
        (dropped, "script_update script:41902: in a fresh plan, not in the plan file"),
    ],
    ids=[
        "other-account",
        "reassuring-safety",
        "revoke-an-admin",
        "pause-an-unmanaged-test",
        "outside-admin",
        "one-change-500-times",
        "mode",
        "drop",
    ],
)
def test_hand_edited_plan_is_refused_with_the_difference_named(
    cli, sandbox: SandboxServer, tmp_path: Path, edit: Edit, named: str
) -> None:
    config = write_config(tmp_path, CONFIG)
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(config), "--out", str(plan_file)).code == 0
    doc = json.loads(plan_file.read_text())
    edit(doc)
    plan_file.write_text(json.dumps(doc))
    sandbox.clear_requests()
    result = cli("apply", str(config), "--plan", str(plan_file), "--auto-approve")
    assert result.code == 1, result.all
    assert "does not match a fresh plan" in result.err and "nothing was applied" in result.err
    assert named in result.err
    assert mutations(sandbox) == []
    assert CANARY_SECRET not in result.all


def test_untouched_plan_applies_what_a_fresh_plan_holds(cli, sandbox: SandboxServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, CONFIG)
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(config), "--out", str(plan_file)).code == 0
    sandbox.clear_requests()
    result = cli("apply", str(config), "--plan", str(plan_file), "--auto-approve")
    assert result.code == 0, result.all
    assert sorted(m[0] for m in mutations(sandbox)) == ["PATCH", "PATCH", "POST"]
