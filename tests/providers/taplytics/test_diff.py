"""Pure unit tests of the Taplytics side of reconciler.core and reconciler.render: no I/O."""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.changes import Action, Change
from reconciler.core.plan import AccountPlan
from reconciler.engine import make_plan
from reconciler.providers.taplytics.changes import Kind
from reconciler.providers.taplytics.config import TaplyticsConfig
from reconciler.providers.taplytics.diff import diff
from reconciler.providers.taplytics.state import Existing, ExistingUser
from reconciler.render import render_json, render_markdown, render_text


def config(*users: dict[str, Any]) -> TaplyticsConfig:
    return TaplyticsConfig.model_validate(
        {"version": 1, "provider": "taplytics", "project": {"name": "my-app"}, "users": list(users)}
    )


def existing(*users: ExistingUser) -> Existing:
    return Existing("my-app", users={u.user_id: u for u in users})


QA1 = ExistingUser("qa-001", "qa1@example.com", "QA One", {"cohort": "qa"})


def test_missing_user_is_created_with_exactly_the_declared_fields() -> None:
    want = {"user_id": "qa-002", "name": "QA Two", "custom_data": {"cohort": "qa"}}
    [change] = diff(config(want), existing(QA1))
    assert (change.kind, change.action, change.resource, change.name) == (
        Kind.USER_CREATE,
        Action.CREATE,
        "user:qa-002",
        "QA Two",
    )
    assert change.before == {} and change.after == {"name": "QA Two", "custom_data": {"cohort": "qa"}}


def test_in_sync_and_undeclared_fields_are_no_change() -> None:
    assert diff(config({"user_id": "qa-001", "email": "qa1@example.com"}), existing(QA1)) == []
    assert diff(config({"user_id": "qa-001", "custom_data": {"cohort": "qa"}}), existing(QA1)) == []
    assert diff(config({"user_id": "qa-001", "custom_data": {}}), existing(QA1)) == []


def test_update_carries_only_what_differs() -> None:
    want = {
        "user_id": "qa-001",
        "email": "qa1@example.com",  # same: not sent
        "name": "QA 1",
        "custom_data": {"cohort": "qa", "beta": "true"},  # cohort same: not sent
    }
    [change] = diff(config(want), existing(QA1))
    assert change.kind is Kind.USER_UPDATE and change.action is Action.UPDATE
    assert change.before == {"name": "QA One", "custom_data": {"beta": None}}
    assert change.after == {"name": "QA 1", "custom_data": {"beta": "true"}}


def test_values_compare_with_their_json_type() -> None:
    # JSON has one number type (a JavaScript server answers 1 for 1.0); booleans and strings are their own.
    have = ExistingUser("u", custom_data={"beta": "true", "n": 1, "flag": True, "f": 1, "g": 2})
    want = {"user_id": "u", "custom_data": {"beta": True, "n": 1.0, "flag": 1, "f": 1, "g": 2.5}}
    [change] = diff(config(want), existing(have))
    assert change.after == {"custom_data": {"beta": True, "flag": 1, "g": 2.5}}


def test_users_are_never_deleted_and_sorted_by_user_id() -> None:
    extra = ExistingUser("zz-unlisted", name="Someone")
    changes = diff(config({"user_id": "b", "name": "B"}, {"user_id": "a", "name": "A"}), existing(QA1, extra))
    assert [c.resource for c in changes] == ["user:a", "user:b"]
    assert all(c.kind is Kind.USER_CREATE for c in changes)


def test_user_ids_that_look_like_numbers_stay_strings() -> None:
    plan = make_plan("t.yaml", config({"user_id": "007", "name": "Bond"}), existing(), "d")
    [change] = plan.changes
    assert change.to_dict()["resource"] == {"type": "user", "id": "007", "name": "Bond"}
    assert Change.from_dict(json.loads(json.dumps(change.to_dict()))) == change
    assert AccountPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_plan_has_no_rails_and_fingerprints_follow_the_user() -> None:
    cfg = config({"user_id": "qa-001", "name": "QA 1"}, {"user_id": "qa-009", "name": "New"})
    plan = make_plan("t.yaml", cfg, existing(QA1))
    assert plan.violations == () and (plan.provider, plan.account) == ("taplytics", "my-app")
    assert plan.fingerprints["user:qa-009"] == "absent"
    renamed = ExistingUser("qa-001", "qa1@example.com", "QA Uno", {"cohort": "qa"})
    assert (
        make_plan("t.yaml", cfg, existing(renamed)).fingerprints["user:qa-001"]
        != plan.fingerprints["user:qa-001"]
    )
    assert (plan.summary.add, plan.summary.change, plan.summary.remove) == (1, 1, 0)


def test_render_text_json_markdown() -> None:
    cfg = config(
        {"user_id": "qa-001", "name": "QA | 1", "custom_data": {"beta": "true", "cohort": "qa"}},
        {"user_id": "qa-002", "email": "qa2@example.com", "custom_data": {"score": 3}},
    )
    plan = make_plan("t.yaml", cfg, existing(QA1))
    text = render_text([plan])
    assert text.splitlines() == [
        "taplytics project my-app (t.yaml):",
        '  ~ user qa-001 "QA One": name "QA One" -> "QA | 1", custom_data.beta (unset) -> "true"',
        '  + user qa-002: email "qa2@example.com", custom_data.score 3',
        "",
        "Plan: 1 to add, 1 to change, 0 to remove.",
    ]
    doc = json.loads(render_json([plan]))
    [account] = doc["accounts"]
    assert (account["provider"], account["account"]) == ("taplytics", "my-app")
    assert [c["kind"] for c in account["changes"]] == ["user_update", "user_create"]
    assert account["changes"][0]["after"] == {"name": "QA | 1", "custom_data": {"beta": "true"}}
    md = render_markdown([plan])
    assert "**`taplytics project my-app`** (`t.yaml`): Plan: 1 to add, 1 to change, 0 to remove." in md
    assert (
        '| `~` | `user qa-001 "QA One"` | `name "QA One" -> "QA \\| 1", custom_data.beta (unset) -> "true"` |'
        in md
    )
