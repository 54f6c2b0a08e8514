"""The listener's own defences, below the ASGI app: a connection cap, a header deadline, and a quiet back-off
when the process runs out of file descriptors.

uvicorn's knobs cover part of it (``limit_concurrency`` answers 503 to a *request* over the bound,
``timeout_keep_alive`` closes an idle kept-alive connection, ``h11_max_incomplete_event_size`` bounds the
header block), but none bounds a connection that never finishes its headers: 300 slowloris connections stay
open for ever. So the h11 protocol is subclassed:

- **the cap**: at most ``max_connections`` at once, and never more than the file-descriptor limit minus a
  reserve (the checks need sockets too). A connection over the cap first evicts the oldest connection that
  is still sending: its headers (a slowloris holds those; a real client sends its headers in one packet) or
  the body of its request (a slow body: no credential is needed to start one, the hook's secret or
  signature is checked on the whole body). It is refused with a 503 and closed at once when there is none
  to evict. And bodies may hold at most the cap minus ``RESERVED_SLOTS`` connections: one more evicts the
  oldest of them, so requests whose headers are complete and that carry no body (``/healthz``, the page,
  the metrics) always find a slot. So a flood cannot keep ``/healthz`` out for longer than it takes the
  probe to send one request line.
- **the header deadline**: a connection whose request headers are not complete ``header_timeout`` seconds
  after it opened (or after its previous response) is closed; so is one still sending the body of a request
  already answered (a 413 on its declared length). The body's deadline is the ASGI guard's.
- **EMFILE / ENFILE**: asyncio already stops accepting for a second when ``accept()`` fails for lack of
  descriptors, but logs a traceback each time; the loop's exception handler turns an episode into one
  warning line, and one line when connections are accepted again.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11  # uvicorn's own HTTP/1.1 parser (a dependency of uvicorn), whose protocol is subclassed here
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("reconciler.watch")

RESERVED_SLOTS = 2  # of the cap, kept from request bodies: for /healthz and the requests that carry none
FD_RESERVE = 128  # descriptors kept for the checks' connections, the config files and the logs
ACCEPT_ERROR = "socket.accept() out of system resource"  # asyncio's message (selector_events.py)
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 21\r\n"
    b"connection: close\r\n\r\ntoo many connections\n"
)


@dataclass(frozen=True)
class ListenerLimits:
    """What one client may hold: connections, time to send headers and body, body size."""

    max_connections: int = 64
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    # A push event is a few KiB, a vendor's "something changed" less; GitHub's own cap (25 MB) would let 16
    # unauthenticated bodies hold 400 MB before their signatures are checked. ``--max-body`` raises it.
    max_body: int = 1 << 20
    keep_alive: float = 5.0
    max_header_bytes: int = 16 * 1024

    def connection_cap(self) -> int:
        """``max_connections``, lowered to fit under the descriptor limit with the reserve left over."""
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - FD_RESERVE))


class AcceptEpisodes:
    """One log line per episode of ``accept()`` failing for lack of descriptors (asyncio retries every
    second; the default handler logs a traceback each time)."""

    def __init__(self) -> None:
        self.failing = False
        self.failures = 0

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Become ``loop``'s exception handler (everything else goes to the default one)."""
        loop.set_exception_handler(self.handle)

    def handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The loop's exception handler."""
        if context.get("message") != ACCEPT_ERROR:
            loop.default_exception_handler(context)
            return
        self.failures += 1
        if not self.failing:
            self.failing = True
            err = context.get("exception")
            why = getattr(err, "strerror", None) or str(err)
            logger.warning(
                f"not accepting connections: {why}; retrying every second, the checks go on "
                "(raise the descriptor limit, or lower --max-connections)"
            )

    def accepted(self) -> None:
        """A connection was accepted: the episode, if any, is over."""
        if self.failing:
            self.failing = False
            logger.info(f"accepting connections again after {self.failures} failed attempt(s)")
            self.failures = 0


def protocol_class(limits: ListenerLimits, episodes: AcceptEpisodes) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the cap and the header deadline of ``limits``."""
    cap = limits.connection_cap()
    body_cap = max(1, cap - RESERVED_SLOTS)

    class GuardedH11(H11Protocol):
        """See the module docstring."""

        _deadline: asyncio.TimerHandle | None = None
        _waiting_since: float = 0.0  # since when it has been sending headers, or a body
        _in_body: bool = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            episodes.accepted()
            if len(self.connections) > cap and not self._evict_one(GuardedH11._sending):
                transport.write(REFUSAL)
                self._drop()
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not None and not self.cycle.response_complete:  # a request's headers are in
                if self._deadline is not None:
                    self._disarm()
                    self._waiting_since = self.loop.time()  # a body's age counts from its headers
                self._in_body = self.conn.their_state is h11.SEND_BODY
                if self._in_body and sum(map(_in_body, self.connections)) > body_cap:
                    self._evict_one(_in_body)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._in_body = False
            if not self.transport.is_closing():
                self._arm()  # the next request's headers get the same deadline

        def shutdown(self) -> None:
            """The server is stopping: a connection still sending a body is closed (its request's handler
            sees the disconnect and ends), not waited for: a slow body would hold the stop for as long as
            its deadline. Everything else as uvicorn does (a request being answered finishes first)."""
            if self._in_body and not self.transport.is_closing():
                self._disarm()
                self._in_body = False
                self._drop()
            else:
                super().shutdown()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _sending(self) -> bool:
            """Still sending its headers or a body: what the cap may evict."""
            return (self._deadline is not None or self._in_body) and not self.transport.is_closing()

        def _evict_one(self, which: Callable[[GuardedH11], bool]) -> bool:
            """Close the oldest other connection that ``which`` selects; whether there was one."""
            candidates = [
                c for c in self.connections if isinstance(c, GuardedH11) and c is not self and which(c)
            ]
            if not candidates:
                return False
            oldest = min(candidates, key=lambda c: c._waiting_since)
            oldest._disarm()
            oldest._in_body = False
            oldest._drop()
            return True

        def _drop(self) -> None:
            """Close it, and stop counting it at once: asyncio reports the loss a loop turn later, and until
            then uvicorn would count it against ``limit_concurrency`` (a probe's request in that turn got
            uvicorn's own 503) and the cap would evict one more live connection for it."""
            self.transport.close()
            self.connections.discard(self)

        def _arm(self) -> None:
            self._disarm()
            self._waiting_since = self.loop.time()
            self._deadline = self.loop.call_later(limits.header_timeout, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():  # no request began in time (or an unread body trickles on)
                self._drop()

    def _in_body(connection: object) -> bool:
        return (
            isinstance(connection, GuardedH11)
            and connection._in_body
            and not connection.transport.is_closing()
        )

    return GuardedH11


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}


def parse_size(text: str) -> int:
    """``1048576``, ``512KiB``, ``1MiB``, ``2MB``: a positive number of bytes, or ``ValueError``."""
    number = text.strip().rstrip("bBiIkKmM")
    unit = text.strip()[len(number) :].lower()
    if not number.isdigit() or unit not in _UNITS or int(number) == 0:
        raise ValueError(f"{text!r} is not a size: bytes, or a number with KiB or MiB (e.g. 1MiB)")
    return int(number) * _UNITS[unit]
