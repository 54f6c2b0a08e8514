"""Pure unit tests of reconciler.core (diff, plan, changes) and reconciler.render: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.engine import make_plan
from reconciler.errors import UnsafePlanError
from reconciler.providers.abtasty.changes import Kind
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.diff import diff
from reconciler.providers.abtasty.state import Existing, ExistingMember, ExistingTest, local_to_epoch
from reconciler.render import NO_CHANGES, render_markdown, render_text

PARIS_9AM = local_to_epoch("2026-12-01T09:00:00", "Europe/Paris")


def config(**body: Any) -> AbTastyConfig:
    return AbTastyConfig.model_validate(
        {"version": 1, "provider": "abtasty", "account": {"id": 41902}, **body}
    )


def existing(
    tests: Sequence[ExistingTest] = (), members: dict[str, str] | None = None, **kw: Any
) -> Existing:
    people = None
    if members is not None:
        people = {e.lower(): ExistingMember(i, e, r) for i, (e, r) in enumerate(members.items(), 1)}
    return Existing(41902, tests={t.id: t for t in tests}, members=people, **kw)


def test(id: int = 1, state: str = "pause", preprod: bool = False, **kw: Any) -> ExistingTest:
    return ExistingTest(id, f"T{id}", state, preprod, **kw)


test.__test__ = False  # type: ignore[attr-defined]  # a factory, not a test


def lines(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind.value, c.resource) for c in changes]


@pytest.mark.parametrize(
    ("have", "want", "changed"),
    [
        (test(state="pause"), {"state": "play"}, True),
        (test(state="play"), {"state": "play"}, False),
        (test(state="play"), {"state": "play", "mode": "preprod"}, True),
        (test(state="play", preprod=True), {"state": "play", "mode": "preprod"}, False),
        (test(state="play"), {"state": "pause"}, True),
        (test(state="pause", preprod=True), {"state": "pause"}, False),
        (test(state="play"), {}, False),  # state not managed
    ],
)
def test_state_and_mode(have, want, changed):
    changes = diff(config(tests=[{"id": 1, **want}], script={"update_after_apply": False}), existing([have]))
    assert bool(changes) is changed
    if changed:
        assert changes[0].after == {
            "state": want["state"],
            "mode": want.get("mode", "prod") if want["state"] == "play" else None,
        }


def sched(
    start: str | None = "2026-12-01T09:00:00", tz: str = "Europe/Paris", stop: str | None = None
) -> dict:
    body: dict[str, Any] = {"timezone": tz}
    if start:
        body["start_at"] = start
    if stop:
        body["stop_at"] = stop
    return {"id": 1, "schedule": body}


def test_schedule_same_instant_same_timezone_is_no_change():
    have = test(start=PARIS_9AM, stop=PARIS_9AM + 3600, timezone="Europe/Paris")
    assert diff(config(tests=[sched()]), existing([have])) == []
    assert diff(config(tests=[sched(stop="2026-12-01T10:00:00")]), existing([have])) == []


def test_schedule_same_epoch_other_timezone_is_no_change():
    # Instants decide: a server may not store the timezone at all (issue 25, item 3: every test answers the
    # account default), so a zone that differs with the same instants would be re-sent on every apply.
    have = test(start=PARIS_9AM, timezone="Europe/London")
    assert diff(config(tests=[sched()], script={"update_after_apply": False}), existing([have])) == []
    moved = test(start=PARIS_9AM + 60, timezone="Europe/London")
    [change] = diff(config(tests=[sched()], script={"update_after_apply": False}), existing([moved]))
    assert change.kind is Kind.TEST_SCHEDULE
    assert change.after == {"timezone": "Europe/Paris", "start_at": "2026-12-01T09:00:00"}


def test_schedule_start_only_leaves_stop_unmanaged():
    have = test(start=PARIS_9AM - 86400, stop=PARIS_9AM + 86400, timezone="Europe/Paris")
    [change, _script] = diff(config(tests=[sched()]), existing([have]))
    assert "stop_at" not in change.after and "stop_at" not in change.before


def test_members_case_insensitive_add_role_and_prune():
    have = existing(
        members={"Remi@AbTasty.com": "admin", "old@example.com": "user", "x@example.com": "viewer"}
    )
    members = [{"email": "remi@abtasty.com", "role": "admin"}, {"email": "X@example.com", "role": "user"}]
    members.append({"email": "new@example.com", "role": "viewer"})
    kept = diff(config(memberships={"members": members}), have)
    assert lines(kept) == [("member_add", "member:new@example.com"), ("member_role", "member:x@example.com")]
    pruned = diff(config(memberships={"prune": True, "members": members}), have)
    assert ("member_revoke", "member:old@example.com") in lines(pruned)
    assert len(pruned) == 3
    assert diff(config(), have) == []  # memberships not managed


def test_script_update_last_only_with_test_change_and_flag():
    tests = [test(1, "pause"), test(2, "pause")]
    members = {"a@example.com": "admin"}
    body = {
        "tests": [{"id": 2, "state": "play"}, {"id": 1, "state": "play"}],
        "memberships": {"members": [{"email": "b@example.com", "role": "viewer"}]},
    }
    changes = diff(config(**body), existing(tests, members))
    assert lines(changes) == [
        ("test_state", "test:1"),
        ("test_state", "test:2"),
        ("member_add", "member:b@example.com"),
        ("script_update", "script:41902"),
    ]
    assert diff(config(**body), existing(tests, members)) == changes  # deterministic
    assert Kind.SCRIPT_UPDATE not in {
        c.kind for c in diff(config(**body, script={"update_after_apply": False}), existing(tests, members))
    }
    only_members = {"memberships": body["memberships"]}
    assert [c.kind for c in diff(config(**only_members), existing(tests, members))] == [Kind.MEMBER_ADD]


def test_unmanaged_tests_untouched_and_fingerprints_follow_state():
    tests = [test(1, "pause"), test(2, "pause")]
    plan = make_plan("a.yaml", config(tests=[{"id": 1, "state": "play"}]), existing(tests))
    assert {c.resource for c in plan.changes} == {"test:1", "script:41902"}
    other = make_plan(
        "a.yaml", config(tests=[{"id": 1, "state": "play"}]), existing([test(1, "pause", True), tests[1]])
    )
    assert plan.fingerprints["test:1"] != other.fingerprints["test:1"]
    assert plan.summary.change == 2


def many(n: int, role: str = "user") -> dict[str, str]:
    return {f"m{i}@example.com": role for i in range(n)} | {"boss@example.com": "admin"}


def test_max_delete_fraction():
    have = existing(members=many(9))  # 10 members
    cfg = config(
        memberships={
            "prune": True,
            "members": [
                {"email": "boss@example.com", "role": "admin"},
                *({"email": f"m{i}@example.com", "role": "user"} for i in range(6)),
            ],
        }
    )
    plan = make_plan("a.yaml", cfg, have)  # revokes 3 of 10 = 30% > 25%
    assert [v.rule for v in plan.violations] == ["max_access_loss_fraction"]
    with pytest.raises(
        UnsafePlanError,
        match=r"revoke or demote 3 of 10 members: 30\.00% is over max_access_loss_fraction 25\.00%",
    ):
        plan.raise_if_unsafe(force=False)
    plan.raise_if_unsafe(force=True)
    small = existing(members=many(8))  # 9 members: the rail does not apply
    assert make_plan("a.yaml", cfg, small).violations == ()


def test_max_pause_fraction():
    tests = [test(i, "play") for i in range(1, 11)]
    cfg = config(tests=[{"id": i, "state": "pause" if i <= 6 else "play"} for i in range(1, 11)])
    plan = make_plan("a.yaml", cfg, existing(tests))
    assert [v.rule for v in plan.violations] == ["max_pause_fraction"]
    assert (
        "6 of 10 playing tests of the account (paused, moved to preprod or scheduled out): 60.00%"
        in plan.violations[0].message
    )
    plan.raise_if_unsafe(force=True)
    nine = config(tests=[{"id": i, "state": "pause"} for i in range(1, 10)])
    assert make_plan("a.yaml", nine, existing(tests[:9])).violations == ()


def test_min_admins_is_never_forceable():
    have = existing(members={"a@example.com": "admin", "b@example.com": "user"})
    cfg = config(memberships={"members": [{"email": "a@example.com", "role": "user"}]})
    plan = make_plan("a.yaml", cfg, have)
    assert [v.rule for v in plan.violations] == ["min_admins"]
    for force in (False, True):
        with pytest.raises(UnsafePlanError, match=r"leaves 0 admin\(s\) \(now 1\); min_admins is 1"):
            plan.raise_if_unsafe(force=force)


def test_fraction_message_numbers():
    members = {f"m{i}@example.com": "user" for i in range(99)} | {"boss@example.com": "admin"}
    keep = [{"email": f"m{i}@example.com", "role": "user"} for i in range(31, 99)]
    cfg = config(
        memberships={"prune": True, "members": [{"email": "boss@example.com", "role": "admin"}, *keep]}
    )
    plan = make_plan("a.yaml", cfg, existing(members=members))
    assert "31.00%" in plan.violations[0].message


def test_round_trips():
    tests = [test(1, "pause", start=PARIS_9AM, timezone="Europe/Paris")]
    cfg = config(
        tests=[
            {
                "id": 1,
                "state": "play",
                "mode": "preprod",
                "schedule": {"start_at": "2026-12-02T09:00:00", "timezone": "Europe/Paris"},
            }
        ],
        memberships={"prune": True, "members": [{"email": "n@example.com", "role": "admin"}]},
    )
    plan = make_plan("a.yaml", cfg, existing(tests, {"o@example.com": "admin"}), "digest")
    assert {c.kind for c in plan.changes} == set(Kind) - {Kind.MEMBER_ROLE}
    for change in plan.changes:
        assert Change.from_dict(change.to_dict()) == change
    assert AccountPlan.from_dict(plan.to_dict()) == plan


def test_render_text_and_markdown():
    empty = make_plan("a.yaml", config(), existing())
    assert render_text([empty]).splitlines()[-1] == NO_CHANGES
    assert NO_CHANGES in render_markdown([empty]).splitlines()[1]
    piped = ExistingTest(7, "A | B", "pause", False)
    plan = make_plan("a.yaml", config(tests=[{"id": 7, "state": "play"}]), existing([piped]))
    assert '~ test 7 "A | B": state pause -> play (prod)' in render_text([plan])
    md = render_markdown([plan])
    assert '| `~` | `test 7 "A \\| B"` | `state pause -> play (prod)` |' in md
    assert md.splitlines()[0] == "<!-- reconciler:plan -->"


def test_unknown_existing_timezone_is_shown_in_utc_not_a_crash() -> None:
    from reconciler.providers.abtasty.state import epoch_to_local

    assert epoch_to_local(1_800_000_000, "Mars/Olympus_Mons") == "2027-01-15T08:00:00"
    assert epoch_to_local(0, "Mars/Olympus_Mons") is None
