"""AB Tasty's resource types and kinds of change (the core reads actions and order from them)."""

from __future__ import annotations

from reconciler.core.changes import Action, ChangeKind, ResourceType

TEST = ResourceType("test", "test", group=0, numeric=True)
MEMBER = ResourceType("member", "member", group=1)
SCRIPT = ResourceType("script", "tag script", group=9, numeric=True)  # keyed by the account id; last
RESOURCE_TYPES = {t.name: t for t in (TEST, MEMBER, SCRIPT)}
ROLE_RANK = {"viewer": 1, "creator": 2, "user": 3, "admin": 4}


def role_rank(role: str) -> int | None:
    """A role's rank, None for a role the server answered that the document does not list (``owner``,
    ``manager``): the rails then treat any change of it as taking access away, the safe side."""
    return ROLE_RANK.get(role)


class Kind(ChangeKind):
    """Every kind of AB Tasty change, in the order one resource's changes are shown and applied."""

    TEST_SCHEDULE = "test_schedule"
    TEST_STATE = "test_state"
    MEMBER_ADD = "member_add"
    MEMBER_ROLE = "member_role"
    MEMBER_REVOKE = "member_revoke"
    SCRIPT_UPDATE = "script_update"

    @property
    def action(self) -> Action:
        """Adding a member creates, revoking deletes; everything else updates."""
        if self is Kind.MEMBER_ADD:
            return Action.CREATE
        return Action.DELETE if self is Kind.MEMBER_REVOKE else Action.UPDATE

    @property
    def resource_type(self) -> ResourceType:
        """test / member / script, from the value's prefix."""
        return RESOURCE_TYPES[self.value.partition("_")[0]]


#: The changes to a test (what makes a script rebuild worthwhile).
TEST_KINDS = (Kind.TEST_SCHEDULE, Kind.TEST_STATE)
