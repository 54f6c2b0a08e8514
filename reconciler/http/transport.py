"""Transports: retry with backoff as a wrapping transport, and the https-or-loopback guard.

Retrying lives at the transport seam (``handle_async_request``) rather than in the client so that every
request is covered the same way, the OAuth token request included, and so that each attempt is a separate
request the counting/logging layer underneath can see.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from reconciler.errors import TransportError
from reconciler.redaction import is_loopback, redact

#: Request extension a caller sets to True to declare a request safe to repeat (e.g. an idempotent PATCH
#: such as play/pause), or to False to forbid repeating a normally idempotent one.
IDEMPOTENT = "reconciler.idempotent"
#: Request/response extension holding the 1-based attempt number of the latest try.
ATTEMPT = "reconciler.attempt"
#: Request extension saying why retrying stopped before the attempts ran out (a Retry-After over the cap,
#: the retry budget spent); the error message quotes it.
GAVE_UP = "reconciler.gave_up"

# Exceptions that prove the request never reached the server: repeating it is safe whatever the method.
_NOT_SENT: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Exceptions worth another try for a request that is safe to repeat (the answer was lost on the way).
_TRANSIENT: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)

_default_logger = logging.getLogger("reconciler.http")


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before repeating a request, and when to stop.

    Defaults: 10 attempts for failures (5xx, lost connections), so that at 25% failure a request still fails
    only about once in a million; full-jitter exponential backoff ``uniform(0, min(cap, base * 2**n))`` with
    base 0.5 s and cap 8 s. A 429 is waited out apart from those attempts (up to ``max_throttled`` times),
    for the server's ``Retry-After`` plus up to 50% jitter, at most ``retry_after_cap`` (60 s). Whatever the
    server says, one request stops being retried once ``max_retry_time`` (120 s) has been spent on it: a
    ``Retry-After`` over the cap, or a wait that would pass that budget, ends the retries at once and the
    last answer (or error) is reported, ``extensions[GAVE_UP]`` saying why. ``sleep``, ``random``, ``now``
    (wall clock, for HTTP dates) and ``clock`` (monotonic, for the budget) are injectable for tests.
    """

    max_attempts: int = 10
    #: 429 means "slow down", not "failed": waiting for it does not use up ``max_attempts`` (up to this many).
    max_throttled: int = 20
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    #: The longest ``Retry-After`` honoured; a server asking for more is reported at once (not slept on).
    retry_after_cap: float = 60.0
    #: Seconds one request may spend on retrying (its attempts and the waits between them), from its first try.
    max_retry_time: float = 120.0
    #: Statuses retried for requests that are safe to repeat (500 too: the sandbox, like real gateways,
    #: answers 500 for transient faults, and repeating a safe request cannot hurt).
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    #: Statuses retried even for requests that are not: the server says it did not process them.
    unprocessed_statuses: frozenset[int] = frozenset({429, 503})
    idempotent_methods: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
    sleep: Callable[[float], Awaitable[None]] = field(default=_asyncio_sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)
    now: Callable[[], float] = field(default=time.time, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def is_idempotent(self, request: httpx.Request) -> bool:
        """Whether ``request`` may be sent twice: the caller's mark wins over the method's default."""
        flag = request.extensions.get(IDEMPOTENT)
        if flag is not None:
            return bool(flag)
        return request.method.upper() in self.idempotent_methods

    def backoff(self, attempt: int) -> float:
        """Full-jitter delay after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling * self.random()

    def retry_after(self, response: httpx.Response) -> float | None:
        """The server's ``Retry-After`` in seconds (delta or HTTP-date), >= 0, not capped; None if
        absent/invalid."""
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        value = value.strip()
        seconds: float | None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive one ("-0000") is read as such
                when = when.replace(tzinfo=datetime.UTC)
            seconds = when.timestamp() - self.now()
        if seconds != seconds:  # NaN
            return None
        return max(0.0, seconds)


def unreachable(exc: BaseException) -> str | None:
    """``"dns"`` for a host name that does not resolve, ``"refused"`` for a refused connection, else None.
    Only the OS's own exceptions in the chain count (httpx wraps them), never the message's words."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "dns"
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
        cause = cause.__cause__ or cause.__context__
    return None


class RetryTransport(httpx.AsyncBaseTransport):
    """Wrap a transport and repeat what is safe to repeat.

    - 429 / 502 / 503 / 504 answers, timeouts and dropped connections are retried for requests that are
      safe to repeat (GET, HEAD, OPTIONS, PUT, DELETE, or anything marked ``extensions[IDEMPOTENT]``).
    - A request that is not (a POST) is retried only when the server certainly did not process it: a 429
      or 503 answer, or a connection that could not even be opened. After a timeout or a dropped connection
      the error propagates, so the caller can re-read the state instead of creating a duplicate.
    - When the attempts or the retry budget run out, or the server asks for a wait over the cap, the last
      answer is returned (the client maps it to an error) or the last exception raised.
      ``extensions[ATTEMPT]`` on the request and the response says how many were made, and
      ``extensions[GAVE_UP]`` on the request why retrying stopped early.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        policy: RetryPolicy | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._transport = transport
        self.policy = policy or RetryPolicy()
        self._logger = logger or _default_logger

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, repeating it per the policy."""
        policy = self.policy
        attempt = 1  # failures (5xx, lost connections) so far + 1
        throttled = 0  # 429s waited out so far
        started = policy.clock()
        while True:
            throttle = False
            request.extensions[ATTEMPT] = attempt + throttled
            last_try = attempt >= policy.max_attempts
            try:
                response = await self._transport.handle_async_request(request)
            except _NOT_SENT + _TRANSIENT as exc:
                delay = policy.backoff(attempt)
                # Never sent: safe to repeat whatever the method. Lost on the way: only if idempotent.
                # A host that does not resolve or refuses the connection will not change its mind in the
                # next seconds: say so at once instead of ten times over twenty seconds.
                repeatable = (isinstance(exc, _NOT_SENT) or policy.is_idempotent(request)) and not (
                    isinstance(exc, httpx.ConnectError) and unreachable(exc)
                )
                if last_try or not repeatable or not self._within_budget(request, started, delay):
                    raise
                self._log_retry(request, type(exc).__name__, delay, attempt)
            else:
                response.extensions[ATTEMPT] = attempt + throttled
                throttle = response.status_code == 429 and throttled < policy.max_throttled
                if (last_try and not throttle) or not self._should_retry(request, response):
                    return response
                wait = self._wait_for(request, response, attempt)
                if wait is None or not self._within_budget(request, started, wait):
                    return response
                delay = wait
                # The discarded answer must be read and closed to give its connection back to the pool.
                await response.aread()
                await response.aclose()
                self._log_retry(request, str(response.status_code), delay, attempt)
            await policy.sleep(delay)
            if throttle:
                throttled += 1
            else:
                attempt += 1

    def _wait_for(self, request: httpx.Request, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None (``GAVE_UP`` set) if the server asks too much."""
        policy = self.policy
        retry_after = policy.retry_after(response)
        if retry_after is None:
            return policy.backoff(attempt)
        if retry_after > policy.retry_after_cap:
            request.extensions[GAVE_UP] = (
                f"the server asked to retry after {retry_after:.0f} s, more than the "
                f"{policy.retry_after_cap:g} s this client waits: try again later"
            )
            return None
        # Up to +50% jitter on Retry-After: throttled requests must not all come back at once.
        return min(policy.retry_after_cap, retry_after * (1 + 0.5 * policy.random()))

    def _within_budget(self, request: httpx.Request, started: float, delay: float) -> bool:
        """Whether waiting ``delay`` more keeps this request within ``max_retry_time`` (else say why not)."""
        spent = self.policy.clock() - started
        if spent + delay <= self.policy.max_retry_time:
            return True
        request.extensions[GAVE_UP] = (
            f"gave up retrying: {spent:.0f} s spent and a {delay:.0f} s wait would pass the "
            f"{self.policy.max_retry_time:g} s retry budget"
        )
        return False

    def _should_retry(self, request: httpx.Request, response: httpx.Response) -> bool:
        status = response.status_code
        if status not in self.policy.retry_statuses:
            return False
        return self.policy.is_idempotent(request) or status in self.policy.unprocessed_statuses

    def _log_retry(self, request: httpx.Request, reason: str, delay: float, attempt: int) -> None:
        self._logger.info(
            redact(
                f"retrying {request.method} {request.url.path} after {reason} in {delay:.2f}s "
                f"(attempt {attempt + 1} of {self.policy.max_attempts})"
            )
        )

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._transport.aclose()


def check_url(url: str | httpx.URL) -> None:
    """Refuse, before anything is sent, a URL that would travel in clear text off this machine.

    ``https`` is always allowed; ``http`` only to loopback (the sandbox, test servers). Raises
    :class:`reconciler.errors.TransportError` otherwise. The message never includes credentials or query.
    """
    try:
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018 - decoded lazily: an invalid IDNA label (xn--zz) raises only here
    except (httpx.InvalidURL, ValueError) as exc:  # IDNAError is a ValueError
        raise TransportError(redact(f"invalid URL: {exc}")) from None
    shown = f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")
    if parsed.scheme == "https" and parsed.host:
        return
    if parsed.scheme == "http" and parsed.host:
        if is_loopback(parsed.host):
            return
        raise TransportError(
            redact(
                f"refusing to send a request to {shown} over plain http: credentials would travel in "
                "clear text; use an https:// URL (http is only allowed to loopback addresses)"
            )
        )
    if not parsed.scheme or not parsed.host:
        raise TransportError("a URL needs a scheme and a host, e.g. https://api.example.com")
    raise TransportError(redact(f"unsupported URL scheme {parsed.scheme!r} in {shown}: use an https:// URL"))
