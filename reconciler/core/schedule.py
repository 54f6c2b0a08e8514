"""Running one account's changes in dependency order, as concurrently as they allow. Vendor-free.

The provider says what each change needs (``Needs``); this module only schedules: a change starts once
everything it waits for is done, is skipped when something it requires did not apply, and otherwise runs
through the provider's ``execute``. Every change that does not depend on a failure is attempted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.errors import ReconcilerError


class Status(StrEnum):
    """What happened to one change during apply."""

    PENDING = "pending"
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Needs:
    """What one change needs, as indexes into the plan's changes.

    ``waits``: changes that must be done (whatever their outcome) before it starts; ``requires``: changes
    whose failure skips it; ``any_of``: changes of which at least one must have applied, else it is skipped
    with ``any_reason`` (a rebuild after test changes is pointless when none applied).
    """

    waits: tuple[int, ...] = ()
    requires: tuple[int, ...] = ()
    any_of: tuple[int, ...] = ()
    any_reason: str = ""


@dataclass
class Outcome:
    """What happened to one change during apply."""

    change: Change
    status: Status = Status.PENDING
    reason: str = ""


@dataclass
class ApplyResult:
    """The outcomes of one account's apply, in plan order."""

    plan: AccountPlan
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: Status) -> int:
        """How many outcomes have ``status``."""
        return sum(o.status == status for o in self.outcomes)


Execute = Callable[[Change], Awaitable[None]]
Events = Callable[[str], None]


async def apply_changes(
    plan: AccountPlan, needs: Sequence[Needs], execute: Execute, parallelism: int, on_event: Events
) -> ApplyResult:
    """Run every change as soon as what it waits for is done; attempt all that do not depend on a failure."""
    changes = list(plan.changes)
    result = ApplyResult(plan, [Outcome(c) for c in changes])
    done = [asyncio.Event() for _ in changes]
    limit = asyncio.Semaphore(parallelism)

    async def run(i: int) -> None:
        outcome, need = result.outcomes[i], needs[i]
        await asyncio.gather(*(done[j].wait() for j in need.waits))
        failed = [j for j in need.requires if result.outcomes[j].status is not Status.APPLIED]
        none_applied = bool(need.any_of) and all(
            result.outcomes[j].status is not Status.APPLIED for j in need.any_of
        )
        if failed or none_applied:
            outcome.status = Status.SKIPPED
            outcome.reason = _skip_reason(changes, failed) if failed else need.any_reason
        else:
            async with limit:
                try:
                    await execute(outcome.change)
                    outcome.status = Status.APPLIED
                except ReconcilerError as err:
                    outcome.status, outcome.reason = Status.FAILED, str(err)
        on_event(
            f"{outcome.status}: {outcome.change.resource}"
            + (f" ({outcome.reason})" if outcome.reason else "")
        )
        done[i].set()

    await asyncio.gather(*(run(i) for i in range(len(changes))))
    return result


def _skip_reason(changes: Sequence[Change], failed: list[int]) -> str:
    return "depends on failed " + ", ".join(f"{changes[j].kind.value} {changes[j].resource}" for j in failed)
