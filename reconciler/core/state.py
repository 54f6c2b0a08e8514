"""What a provider fetched: the existing state of the resources a config manages (plain, immutable data).

Identity conventions: a test by its numeric id (names are resolved to ids at fetch time), a member by
lower-cased email, a Taplytics user by its ``user_id`` (a string, compared exactly).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class ExistingTest:
    """A test as the API reports it. ``start`` / ``stop`` are epoch seconds, 0 when unscheduled."""

    id: int
    name: str
    state: str  # play | pause
    preprod: bool
    start: int = 0
    stop: int = 0
    timezone: str = ""

    @property
    def mode(self) -> str | None:
        """prod / preprod while playing; None when paused."""
        return ("preprod" if self.preprod else "prod") if self.state == "play" else None


@dataclass(frozen=True)
class ExistingMember:
    """One membership: its id (for PATCH / DELETE), the user's email and the role."""

    id: int
    email: str
    role: str


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
    """The fetched state of one account (an AB Tasty account id, a Taplytics project name).

    ``members`` is None when memberships are not managed; ``users`` is None for a provider without users.
    """

    account_id: int | str
    tests: dict[int, ExistingTest] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)  # resolved `name:` entries -> test id
    members: dict[str, ExistingMember] | None = None  # by lower-cased email
    members_total: int = 0
    users: dict[str, ExistingUser] | None = None  # by user_id

    def fingerprint(self, resource: str) -> str:
        """A digest of one resource's existing state ("absent" when it does not exist)."""
        kind, _, key = resource.partition(":")
        current: object | None = None
        if kind == "test":
            current = self.tests.get(int(key))
        elif kind == "member" and self.members is not None:
            current = self.members.get(key)
        elif kind == "user" and self.users is not None:
            current = self.users.get(key)
        elif kind == "script":
            return "script"
        if current is None:
            return "absent"
        # vars(), not asdict(): the records are flat (custom_data aside, which default=dict handles), and
        # asdict's deep copy was most of the plan's CPU at 12,000 resources. Same bytes, same digests.
        blob = json.dumps(vars(current), sort_keys=True, default=dict)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def local_to_epoch(local: str, timezone: str) -> int:
    """``2026-12-01T09:00:00`` in ``Europe/Paris`` -> epoch seconds (first occurrence when ambiguous)."""
    naive = dt.datetime.strptime(local, LOCAL_FORMAT)
    return int(naive.replace(tzinfo=zoneinfo.ZoneInfo(timezone)).timestamp())


def epoch_to_local(epoch: int, timezone: str) -> str | None:
    """Epoch seconds -> local wall time in ``timezone``; None for 0 (unscheduled)."""
    if not epoch:
        return None
    return dt.datetime.fromtimestamp(epoch, _zone(timezone)).strftime(LOCAL_FORMAT)


def _zone(name: str) -> dt.tzinfo:
    """The API's timezone, or UTC when it is empty or unknown here: showing the instant in UTC beats failing
    the whole plan over a display detail (the comparison itself uses epoch seconds)."""
    try:
        return zoneinfo.ZoneInfo(name) if name else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC
