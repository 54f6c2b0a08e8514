"""Taplytics' resource type and kinds of change."""

from __future__ import annotations

from reconciler.core.changes import Action, ChangeKind, ResourceType

USER = ResourceType("user", "user", group=2)  # a user_id is a string, even "007"


class Kind(ChangeKind):
    """Users are created or updated, never deleted."""

    USER_CREATE = "user_create"
    USER_UPDATE = "user_update"

    @property
    def action(self) -> Action:
        """A create creates; an update updates."""
        return Action.CREATE if self is Kind.USER_CREATE else Action.UPDATE

    @property
    def resource_type(self) -> ResourceType:
        """Always a user."""
        return USER
