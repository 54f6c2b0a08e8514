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
from typing import Any

from reconciler.core.changes import Change, Needs
from reconciler.core.plan import AccountPlan
from reconciler.errors import ReconcilerError


class Status(StrEnum):
    """What happened to one change during apply."""

    PENDING = "pending"
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"
    #: Never started: the run was asked to stop (SIGINT / SIGTERM) before its turn came.
    NOT_STARTED = "not started"
    #: Still in flight when the grace period after a stop ran out: it may or may not have taken effect.
    INTERRUPTED = "interrupted"


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
#: Called once per change when its outcome is known (the CLI words it with the provider's label).
Events = Callable[[AccountPlan, Outcome], None]
#: Seconds the changes in flight get to finish after a stop, before they are cancelled (``interrupted``).
STOP_GRACE = 30.0


async def apply_changes(
    plan: AccountPlan,
    needs: Sequence[Needs],
    execute: Execute,
    parallelism: int,
    on_event: Events,
    stop: asyncio.Event | None = None,
    grace: float = STOP_GRACE,
) -> ApplyResult:
    """Run every change as soon as what it waits for is done; attempt all that do not depend on a failure.

    Once ``stop`` is set nothing new starts (``not started``); what is in flight gets ``grace`` seconds to
    finish, then is cancelled (``interrupted``), so a signal ends the run in bounded time with every change
    accounted for.
    """
    result = ApplyResult(plan, [Outcome(c) for c in plan.changes])
    done = [asyncio.Event() for _ in plan.changes]
    limit = asyncio.Semaphore(parallelism)
    halt = stop or asyncio.Event()

    async def run(i: int) -> None:
        outcome = result.outcomes[i]
        try:
            await asyncio.gather(*(done[j].wait() for j in needs[i].waits))
            async with limit:
                await _run_one(outcome, needs[i], result, execute, halt)
        except asyncio.CancelledError:
            outcome.status = Status.INTERRUPTED if outcome.reason == _IN_FLIGHT else Status.NOT_STARTED
            outcome.reason = "" if outcome.status is Status.NOT_STARTED else _MAYBE
        on_event(plan, outcome)
        done[i].set()

    tasks = [asyncio.ensure_future(run(i)) for i in range(len(plan.changes))]
    await _until_done_or_stopped(tasks, halt, grace)
    return result


_IN_FLIGHT = "in flight"
_MAYBE = "in flight when the run stopped: it may or may not have taken effect; run plan to see"


async def _run_one(
    outcome: Outcome, need: Needs, result: ApplyResult, execute: Execute, halt: asyncio.Event
) -> None:
    """One change whose waits are over: skipped, not started (after a stop), applied or failed."""
    outcomes = result.outcomes
    failed = [j for j in need.requires if outcomes[j].status is not Status.APPLIED]
    none_applied = bool(need.any_of) and all(outcomes[j].status is not Status.APPLIED for j in need.any_of)
    if halt.is_set():
        outcome.status = Status.NOT_STARTED
    elif failed or none_applied:
        outcome.status = Status.SKIPPED
        changes = [o.change for o in outcomes]
        outcome.reason = _skip_reason(changes, failed) if failed else need.any_reason
    else:
        outcome.reason = _IN_FLIGHT
        try:
            await execute(outcome.change)
            outcome.status, outcome.reason = Status.APPLIED, ""
        except ReconcilerError as err:
            outcome.status, outcome.reason = Status.FAILED, str(err)


async def _until_done_or_stopped(
    tasks: Sequence[asyncio.Task[None]], halt: asyncio.Event, grace: float
) -> None:
    """Wait for every task; after ``halt``, give them ``grace`` seconds, then cancel what is left.

    One wait on all of them together (and the stop): waiting again on every pending task each time one
    finished cost O(n^2), about 1 s of CPU for 1,000 changes."""
    if not tasks:
        return
    stopped: asyncio.Task[Any] = asyncio.ensure_future(halt.wait())
    everything = asyncio.gather(*tasks)  # done when all are, or at the first exception: a provider's bug
    try:
        await asyncio.wait([everything, stopped], return_when=asyncio.FIRST_COMPLETED)
        if everything.done():
            everything.result()  # the bug, if there was one: let it out
        else:  # stopped; the gather may lag a loop turn behind its last task, so some may be done already
            rest = [t for t in tasks if not t.done()]
            if rest:
                await asyncio.wait(rest, timeout=grace)
    finally:
        stopped.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, stopped, everything, return_exceptions=True)


def _skip_reason(changes: Sequence[Change], failed: list[int]) -> str:
    return "depends on failed " + ", ".join(f"{changes[j].kind.value} {changes[j].resource}" for j in failed)
