"""Awaiting several tasks at once without leaving any behind.

``asyncio.gather`` returns at the first exception and leaves the other awaitables running: the client is
then closed under them, and the event loop's shutdown cancels a connect that never started (``RuntimeWarning:
coroutine 'connect_tcp.<locals>.try_connect' was never awaited`` after every refused token). Here the first
error cancels the rest and waits for them before it propagates, so nothing outlives the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


async def all_or_cancel(tasks: Sequence[asyncio.Future[Any]]) -> None:
    """Wait for every task; at the first error (or a cancel of the caller) cancel the rest, wait for them,
    then raise it. Results are read from the tasks, typed (``task.result()``)."""
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def gather_all(awaitables: Sequence[Awaitable[T]]) -> list[T]:
    """``all_or_cancel`` over one kind of result: the results in order."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    await all_or_cancel(tasks)
    return [task.result() for task in tasks]
