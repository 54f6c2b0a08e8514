"""Typed changes: what one API call would do to one resource, with its before and after.

A change is plain data so that a saved plan can carry it and ``apply --plan`` can rebuild it exactly.
The display order (``sort_key``) is deterministic: tests by id, members by email, Taplytics users by
user_id, the script last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """Every kind of change, in the order a resource's changes are shown."""

    TEST_SCHEDULE = "test_schedule"
    TEST_STATE = "test_state"
    MEMBER_ADD = "member_add"
    MEMBER_ROLE = "member_role"
    MEMBER_REVOKE = "member_revoke"
    USER_CREATE = "user_create"
    USER_UPDATE = "user_update"
    SCRIPT_UPDATE = "script_update"


class Action(StrEnum):
    """Terraform's three verbs, for the summary line."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


_ACTIONS = {
    Kind.MEMBER_ADD: Action.CREATE,
    Kind.MEMBER_REVOKE: Action.DELETE,
    Kind.USER_CREATE: Action.CREATE,
}
# Display groups, in order; anything else (the script) comes last.
_GROUPS = {"test": 0, "member": 1, "user": 2}
# Resource types whose key is a number (a Taplytics user_id is a string even when it looks like one).
_NUMERIC_KEYS = ("test", "script")
_KIND_ORDER = {kind: i for i, kind in enumerate(Kind)}
ROLE_RANK = {"viewer": 1, "creator": 2, "user": 3, "admin": 4}


@dataclass(frozen=True)
class Change:
    """One API call's worth of change to one resource.

    ``resource`` is the stable key ("test:381296", "member:remi@abtasty.com", "user:qa-001",
    "script:41902") used for fingerprints and dependencies; ``name`` is for people (the test's name, the
    member's email, the user's name).
    """

    kind: Kind
    resource: str
    name: str
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> Action:
        """create / update / delete."""
        return _ACTIONS.get(self.kind, Action.UPDATE)

    @property
    def key(self) -> str:
        """The resource's own key, without its type ("381296", "remi@abtasty.com")."""
        return self.resource.partition(":")[2]

    @property
    def is_test_change(self) -> bool:
        """Whether it changes a test (which is what makes a script rebuild worthwhile)."""
        return self.kind in (Kind.TEST_SCHEDULE, Kind.TEST_STATE)

    @property
    def grants(self) -> bool:
        """A member add or a role upgrade (applied before anything that takes access away)."""
        if self.kind is Kind.MEMBER_ADD:
            return True
        return (
            self.kind is Kind.MEMBER_ROLE and ROLE_RANK[self.after["role"]] > ROLE_RANK[self.before["role"]]
        )

    @property
    def takes_away(self) -> bool:
        """A revocation or a role downgrade."""
        return self.kind in (Kind.MEMBER_ROLE, Kind.MEMBER_REVOKE) and not self.grants

    @property
    def admin_delta(self) -> int:
        """How this change moves the number of admins (-1, 0, +1)."""
        was = self.before.get("role") == "admin"
        will = self.after.get("role") == "admin"
        return int(will) - int(was)

    def sort_key(self) -> tuple[int, int | str, int]:
        """Tests by id, members by email, users by user_id, the script last; then Kind order."""
        group = _GROUPS.get(self.resource.partition(":")[0], len(_GROUPS))
        ident: int | str = int(self.key) if group == 0 else self.key
        return group, ident, _KIND_ORDER[self.kind]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (plan files, JSON output)."""
        kind, _, key = self.resource.partition(":")
        ident: int | str = int(key) if kind in _NUMERIC_KEYS else key
        return {
            "kind": self.kind.value,
            "action": self.action.value,
            "resource": {"type": kind, "id": ident, "name": self.name},
            "before": dict(self.before),
            "after": dict(self.after),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        """The inverse of ``to_dict``."""
        res = data["resource"]
        return cls(
            Kind(data["kind"]), f"{res['type']}:{res['id']}", res["name"], data["before"], data["after"]
        )
