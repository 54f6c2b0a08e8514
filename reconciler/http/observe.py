"""Watching requests without coupling the client to whoever shows them (the CLI's progress display).

The engine sets an observer for one account with ``observing(...)``; every ``ApiClient`` created inside it
reports each GET to that observer. A context variable rather than a constructor argument: the providers
create their clients, and progress is no business of the provider contract. Tasks copy the context when
they are created, so concurrent accounts each see their own observer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class RequestObserver(Protocol):
    """Told when a read starts and when it ends (whatever its outcome)."""

    def started(self) -> None:
        """A GET (a page) was asked for."""

    def finished(self) -> None:
        """A GET ended: answered, failed or cancelled."""


_current: ContextVar[RequestObserver | None] = ContextVar("reconciler_request_observer", default=None)


@contextmanager
def observing(observer: RequestObserver | None) -> Iterator[None]:
    """Clients created inside this block report to ``observer``."""
    token = _current.set(observer)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> RequestObserver | None:
    """The observer clients created now report to (None: nobody watches)."""
    return _current.get()
