"""Health beside sync, per account (Argo CD's two axes): pure functions of what the last checks found.

- **sync**: ``unknown`` until a check succeeded once, then ``out_of_sync`` while the last successful check
  found pending changes, else ``synced``. A failed check keeps the last known sync status (the account did
  not change because the API failed) and makes the account degraded.
- **health**: ``degraded`` with one reason per problem, else ``healthy``: the last check failed; the
  provider says so (``Provider.health``: e.g. a tag-script rebuild owed, a paused test whose start time
  has passed); a sync window holds changes that self-heal would apply.

No I/O and no clock: the status page, the metrics and the notifications call ``assess`` on the scheduler's
``AccountStatus`` (anything with the ``Observed`` attributes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from reconciler.core.plan import AccountPlan


class Sync(StrEnum):
    """Whether the account matches its config."""

    SYNCED = "synced"
    OUT_OF_SYNC = "out_of_sync"
    UNKNOWN = "unknown"  # never checked successfully


class Condition(StrEnum):
    """Whether the account (and its checks) work as they should."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"


# Worst first: the order of the status page and of a summary.
_SYNC_RANK = {Sync.OUT_OF_SYNC: 0, Sync.UNKNOWN: 1, Sync.SYNCED: 2}


class Observed(Protocol):
    """What ``assess`` reads of an account (the scheduler's ``AccountStatus`` has these)."""

    plan: AccountPlan | None  # the last successful check's plan
    error: str | None  # the last check's error
    held: tuple[str, ...]  # what a sync window keeps self-heal from applying


@dataclass(frozen=True)
class Health:
    """One account's two states and the reasons it is degraded."""

    sync: Sync
    condition: Condition
    reasons: tuple[str, ...] = ()

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key, worst first: degraded before healthy, then out of sync, unknown, synced."""
        return (0 if self.condition is Condition.DEGRADED else 1, _SYNC_RANK[self.sync])


def assess(account: Observed) -> Health:
    """The account's sync and health states."""
    plan = account.plan
    sync = Sync.UNKNOWN if plan is None else Sync.OUT_OF_SYNC if plan.changes else Sync.SYNCED
    reasons = list(_reasons(account))
    return Health(sync, Condition.DEGRADED if reasons else Condition.HEALTHY, tuple(reasons))


def _reasons(account: Observed) -> Iterable[str]:
    if account.error is not None:
        yield f"the last check failed: {account.error}"
    if account.plan is not None:
        yield from account.plan.health
    if account.held:
        more = f" (and {len(account.held) - 1} more)" if len(account.held) > 1 else ""
        yield f"a sync window holds changes: {account.held[0]}{more}"


def summary(states: Iterable[Health]) -> str:
    """``3 accounts: 1 synced, 1 out of sync, 1 unknown; 1 degraded``."""
    states = list(states)
    syncs = Counter(s.sync for s in states)
    degraded = sum(s.condition is Condition.DEGRADED for s in states)
    noun = "account" if len(states) == 1 else "accounts"
    return (
        f"{len(states)} {noun}: {syncs[Sync.SYNCED]} synced, {syncs[Sync.OUT_OF_SYNC]} out of sync, "
        f"{syncs[Sync.UNKNOWN]} unknown; {degraded} degraded"
    )
