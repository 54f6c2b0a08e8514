"""What the AB Tasty provider fetched: the existing state of the resources a config manages (plain,
immutable data).

Identity conventions: a test by its numeric id (names are resolved to ids at fetch time), a member by
lower-cased email.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from reconciler.core.state import ABSENT, digest

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
class Existing:
    """The fetched state of one account. ``members`` is None when memberships are not managed."""

    account_id: int
    tests: dict[int, ExistingTest] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)  # resolved `name:` entries -> test id
    # `select:` entries (their index in `tests`) -> the ids of the tests they matched, ascending
    matches: dict[int, tuple[int, ...]] = field(default_factory=dict)
    members: dict[str, ExistingMember] | None = None  # by lower-cased email
    script_owed: bool = False  # an earlier apply changed a test and did not rebuild the script (pending.py)
    # When it was read (epoch seconds; 0 = unknown): the rails' "now", so they stay pure and a schedule
    # that ends before it counts as stopping the test.
    fetched_at: int = 0
    # How many tests of the whole account play in production (None: unknown): the pause rail's denominator.
    playing: int | None = None

    def fingerprint(self, resource: str) -> str:
        """A digest of one resource's existing state (``ABSENT`` when it does not exist)."""
        kind, _, key = resource.partition(":")
        if kind == "test":
            return digest(self.tests.get(int(key)))
        if kind == "member":
            return digest(self.members.get(key)) if self.members is not None else ABSENT
        if kind == "script":
            return "script owed" if self.script_owed else "script"
        return ABSENT


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
