"""The apply scheduler's wait: every change finished, or a stop and then the grace period."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.core.schedule import _until_done_or_stopped


async def _race(yields_of_work: int, yields_before_stop: int) -> None:
    """One change that takes ``yields_of_work`` loop turns, a stop after ``yields_before_stop``."""
    halt = asyncio.Event()

    async def work() -> None:
        for _ in range(yields_of_work):
            await asyncio.sleep(0)

    async def stop() -> None:
        for _ in range(yields_before_stop):
            await asyncio.sleep(0)
        halt.set()

    stopper = asyncio.ensure_future(stop())
    try:
        await _until_done_or_stopped([asyncio.ensure_future(work())], halt, grace=5.0)
    finally:
        await stopper


@pytest.mark.parametrize("yields_of_work", range(8))
def test_a_stop_as_the_last_change_finishes_is_no_crash(yields_of_work: int) -> None:
    """The stop and the last change finishing a turn apart, whichever first: the gather of all changes lags a
    turn behind its last task, which once made the grace wait an empty asyncio.wait (ValueError, exit 3)."""
    for yields_before_stop in range(8):
        asyncio.run(_race(yields_of_work, yields_before_stop))


def test_a_bug_in_a_change_is_let_out() -> None:
    async def run() -> None:
        async def broken() -> None:
            raise RuntimeError("a provider's bug")

        await _until_done_or_stopped([asyncio.ensure_future(broken())], asyncio.Event(), grace=5.0)

    with pytest.raises(RuntimeError, match="a provider's bug"):
        asyncio.run(run())


def test_after_a_stop_what_is_in_flight_is_cancelled_at_the_end_of_the_grace_period() -> None:
    async def run() -> bool:
        halt = asyncio.Event()
        slow = asyncio.ensure_future(asyncio.sleep(60))
        halt.set()
        await _until_done_or_stopped([slow], halt, grace=0.01)
        return slow.cancelled()

    assert asyncio.run(run())
