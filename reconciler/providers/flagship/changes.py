"""Flagship's resource types and kinds of change (the core reads actions and order from them)."""

from __future__ import annotations

from reconciler.core.changes import Action, ChangeKind, ResourceType

PANIC = ResourceType("panic", "panic mode", group=0)  # first: an emergency stop goes before the rest
CAMPAIGN = ResourceType("campaign", "campaign", group=1)
USER = ResourceType("user", "user", group=2)
FLAG = ResourceType("flag", "flag", group=3)
RESOURCE_TYPES = {t.name: t for t in (PANIC, CAMPAIGN, USER, FLAG)}
#: Rank of each role the pages list; the two lists of the schema page are aligned by what they allow.
ROLE_RANK = {
    "VIEWER": 1, "GUEST": 1, "USER": 2, "MEMBER": 2, "CREATOR": 3, "PROJECT_MANAGER": 3,
    "ADMIN": 4, "ACCOUNT_ADMIN": 5, "SUPER_ADMIN": 5, "OWNER": 6, "ACCOUNT_OWNER": 6,
}  # fmt: skip
ADMIN_RANK = 4


def role_rank(role: str) -> int | None:
    """A role's rank; None for a role the server answered that the pages do not list (the rails then
    treat any change of it as taking access away)."""
    return ROLE_RANK.get(role.upper())


def is_admin(role: str | None) -> bool:
    rank = role_rank(role) if role else None
    return rank is not None and rank >= ADMIN_RANK


class Kind(ChangeKind):
    """Every kind of Flagship change, in the order one resource's changes are shown and applied."""

    PANIC_SET = "panic_set"
    CAMPAIGN_STATE = "campaign_state"
    USER_ADD = "user_add"
    USER_ROLE = "user_role"
    USER_REVOKE = "user_revoke"
    FLAG_CREATE = "flag_create"
    FLAG_UPDATE = "flag_update"
    FLAG_DELETE = "flag_delete"

    @property
    def action(self) -> Action:
        """Adds and creates create, revokes and deletes delete; the rest update."""
        if self in (Kind.USER_ADD, Kind.FLAG_CREATE):
            return Action.CREATE
        return Action.DELETE if self in (Kind.USER_REVOKE, Kind.FLAG_DELETE) else Action.UPDATE

    @property
    def resource_type(self) -> ResourceType:
        """From the value's prefix."""
        return RESOURCE_TYPES[self.value.partition("_")[0]]
