"""Roles as a server may answer them (issue 24 item 8, issue 25 item 1): another case is the same role, and a
role the document does not list is shown and handled on the safe side, never a crash."""

from __future__ import annotations

from typing import Any

from reconciler.engine import make_plan
from reconciler.providers.abtasty.api import parse_member
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.provider import AbTastyProvider
from reconciler.providers.abtasty.rails import check_safety, grants
from reconciler.providers.abtasty.state import Existing, ExistingMember


def config(members: list[dict[str, str]], **memberships: Any) -> AbTastyConfig:
    return AbTastyConfig.model_validate(
        {
            "version": 1,
            "provider": "abtasty",
            "account": {"id": 41902},
            "memberships": {"members": members, **memberships},
        }
    )


def existing(*members: tuple[str, str]) -> Existing:
    people = {e: ExistingMember(i, e, r) for i, (e, r) in enumerate(members, 1)}
    return Existing(41902, tests={}, members=people)


def test_a_role_in_another_case_is_that_role() -> None:
    member = parse_member({"id": 7, "email": "a@example.com", "role": " Admin "}, "/memberships")
    assert member.role == "admin"
    cfg = config([{"email": "a@example.com", "role": "admin"}])
    assert make_plan("a.yaml", cfg, existing(("a@example.com", member.role))).changes == ()


def test_an_unknown_role_is_a_warning_and_counts_as_no_admin() -> None:
    cfg = config(
        [{"email": "a@example.com", "role": "admin"}, {"email": "o@example.com", "role": "viewer"}],
        prune=True,
    )
    have = existing(("a@example.com", "admin"), ("o@example.com", "owner"))
    plan = make_plan("a.yaml", cfg, have)
    [change] = plan.changes
    assert AbTastyProvider.describe(change) == "role owner -> viewer"
    assert not grants(change)  # from a role nobody can rank: treated as access taken away
    [note] = [n for n in plan.notes if "owner" in n.message]
    assert note.warning and "o@example.com" in note.message and "counted as no admin" in note.message


def test_with_an_unknown_role_min_admins_still_holds() -> None:
    # The only admin is demoted while another member's role is unknown: the unknown one is no admin.
    cfg = config(
        [{"email": "a@example.com", "role": "viewer"}, {"email": "m@example.com", "role": "viewer"}],
        prune=True,
    )
    have = existing(("a@example.com", "admin"), ("m@example.com", "manager"))
    plan = make_plan("a.yaml", cfg, have)
    violations = check_safety(cfg, have, plan.changes)
    assert [v.rule for v in violations] == ["min_admins"] and not violations[0].forceable


def test_one_person_twice_in_the_membership_list_is_a_clear_error() -> None:
    import pytest

    from reconciler.errors import ServerError
    from reconciler.providers.abtasty.api import _by_email

    twice = [ExistingMember(1, "a@example.com", "admin"), ExistingMember(2, "A@example.com", "viewer")]
    with pytest.raises(ServerError, match=r"holds a@example.com twice \(ids 1 and 2\)"):
        _by_email(twice, "/membership")
    assert list(_by_email(twice[:1] * 2, "/membership")) == [
        "a@example.com"
    ]  # the same membership read twice
