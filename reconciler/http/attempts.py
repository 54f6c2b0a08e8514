"""An optional observer of every attempt the client puts on the wire (its status or exception), scoped by
a context variable.

A long-running caller (``reconciler watch``) counts API requests by status per account without the HTTP
stack knowing about metrics: it runs one account's work inside ``observe_attempts(callback)``, and every
attempt made from that context (the tasks it starts copy the context) reports ``(method, outcome)``, where
``outcome`` is the status code (``"200"``, ``"429"``) or the exception's name (``"ConnectError"``).
Nothing is reported outside such a block, so the CLI pays one context lookup per attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

AttemptObserver = Callable[[str, str], None]

_OBSERVER: ContextVar[AttemptObserver | None] = ContextVar("reconciler_attempt_observer", default=None)


@contextmanager
def observe_attempts(observer: AttemptObserver) -> Iterator[None]:
    """Report every attempt made from this context (and the tasks it starts) to ``observer``."""
    token = _OBSERVER.set(observer)
    try:
        yield
    finally:
        _OBSERVER.reset(token)


def report(method: str, outcome: str) -> None:
    """Tell the observer of the current context, if any, about one attempt."""
    observer = _OBSERVER.get()
    if observer is not None:
        observer(method, outcome)
