"""``watch/health.py``: sync and health states, their reasons, the worst-first order and the summary."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.providers.taplytics.changes import Kind
from reconciler.watch.health import Condition, Health, Sync, assess, summary

CHANGE = Change(Kind.USER_UPDATE, "user:qa-001", "qa-001", {"name": "a"}, {"name": "b"})


@dataclass
class Account:
    plan: AccountPlan | None = None
    error: str | None = None
    held: tuple[str, ...] = ()


def _plan(*changes: Change, health: tuple[str, ...] = ()) -> AccountPlan:
    return AccountPlan("app.yaml", "taplytics", "my-app", tuple(changes), health=health)


def test_never_checked_is_unknown_and_healthy() -> None:
    assert assess(Account()) == Health(Sync.UNKNOWN, Condition.HEALTHY)


def test_failing_from_the_start_is_unknown_and_degraded() -> None:
    state = assess(Account(error="401 Unauthorized"))
    assert (state.sync, state.condition) == (Sync.UNKNOWN, Condition.DEGRADED)
    assert state.reasons == ("the last check failed: 401 Unauthorized",)


def test_a_failed_check_keeps_the_last_known_sync() -> None:
    state = assess(Account(plan=_plan(CHANGE), error="timeout"))
    assert (state.sync, state.condition) == (Sync.OUT_OF_SYNC, Condition.DEGRADED)


def test_provider_reasons_and_held_changes_degrade() -> None:
    plan = _plan(health=("the tag script owes a rebuild",))
    assert assess(Account(plan=plan)).reasons == ("the tag script owes a rebuild",)
    held = ("black-friday denies user:qa-001 until 2026-12-02", "black-friday denies user:qa-002")
    state = assess(Account(plan=_plan(CHANGE), held=held))
    assert state.reasons == (
        "a sync window holds changes: black-friday denies user:qa-001 until 2026-12-02 (and 1 more)",
    )
    assert assess(Account(plan=_plan())) == Health(Sync.SYNCED, Condition.HEALTHY)


def test_worst_first_and_the_summary() -> None:
    states = [
        assess(Account(plan=_plan())),
        assess(Account()),
        assess(Account(plan=_plan(CHANGE))),
        assess(Account(plan=_plan(), error="down")),
    ]
    ordered = sorted(states, key=lambda s: s.rank)
    assert [(s.sync, s.condition) for s in ordered] == [
        (Sync.SYNCED, Condition.DEGRADED),
        (Sync.OUT_OF_SYNC, Condition.HEALTHY),
        (Sync.UNKNOWN, Condition.HEALTHY),
        (Sync.SYNCED, Condition.HEALTHY),
    ]
    assert summary(states) == "4 accounts: 2 synced, 1 out of sync, 1 unknown; 1 degraded"
    assert summary(states[:1]) == "1 account: 1 synced, 0 out of sync, 0 unknown; 0 degraded"
