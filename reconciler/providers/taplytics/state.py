"""What the Taplytics provider fetched: the declared users that exist (plain, immutable data).

A user is identified by its ``user_id``, a string compared exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.state import ABSENT, digest


@dataclass(frozen=True)
class ExistingUser:
    """A Taplytics user. ``custom_data`` holds only the keys the config declares: the others are not
    managed, so a change to them neither shows in a plan nor makes a saved plan stale."""

    user_id: str
    email: str | None = None
    name: str | None = None
    custom_data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Existing:
    """The fetched state of one project: its declared users that exist, by user_id."""

    project: str
    users: dict[str, ExistingUser] = field(default_factory=dict)
    # Whether any custom_data value read was not a string. When none was, the server may store every value
    # as a string (each example value at TAP:44-50 is one), so the diff reads "3" as 3 (diff.same_value).
    typed_values: bool = True

    def fingerprint(self, resource: str) -> str:
        """A digest of one user's existing state (``ABSENT`` when it does not exist)."""
        kind, _, key = resource.partition(":")
        return digest(self.users.get(key)) if kind == "user" else ABSENT
