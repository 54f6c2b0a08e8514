"""Bounds on the work a server can make us do: deadlines, body size, pages.

A server is untrusted input (by fault or by malice): whatever it answers, a run ends in bounded time and
memory with a message that says which bound was hit and how to raise it. The retry bounds (longest
``Retry-After`` honoured, time spent retrying one request) live with the rest of the retry policy in
:class:`reconciler.http.transport.RetryPolicy`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import DeadlineError, EnvironmentVariableError, ServerError
from reconciler.redaction import redact

if TYPE_CHECKING:  # types only: the page cap is read by `validate` too, which sends nothing
    import httpx

#: Environment variable holding the run deadline in seconds (the whole client's lifetime).
DEADLINE_ENV = "RECONCILER_DEADLINE"
#: Environment variable holding the deadline of one attempt of one request, in seconds.
REQUEST_DEADLINE_ENV = "RECONCILER_REQUEST_DEADLINE"

DEFAULT_DEADLINE = 600.0  # 10 minutes: a full plan of 10,000 tests takes seconds; this is a backstop
# One attempt, connection to last byte. Per-read timeouts alone let a server trickling a byte every few
# seconds hold a request for ever; a page of 100 tests takes well under a second.
DEFAULT_REQUEST_DEADLINE = 60.0
DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024  # decompressed; the largest real page is a few hundred KB
DEFAULT_MAX_PAGES = 10_000  # 1,000,000 items at 100 a page: far above any account, far below a DoS


@dataclass(frozen=True)
class Limits:
    """The bounds one :class:`~reconciler.http.ApiClient` enforces (see the module docstring)."""

    deadline: float = DEFAULT_DEADLINE
    request_deadline: float = DEFAULT_REQUEST_DEADLINE
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_pages: int = DEFAULT_MAX_PAGES

    def __post_init__(self) -> None:
        for name in ("deadline", "request_deadline", "max_body_bytes", "max_pages"):
            value = getattr(self, name)
            if not value > 0:  # also refuses NaN
                raise ValueError(f"{name} must be positive, got {value!r}")

    @classmethod
    def resolve(
        cls,
        *,
        deadline: float | None = None,
        request_deadline: float | None = None,
        max_body_bytes: int | None = None,
        max_pages: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Limits:
        """Arguments win; a deadline left ``None`` comes from its environment variable, else the default."""
        env = os.environ if env is None else env
        return cls(
            deadline=deadline if deadline is not None else _seconds(env, DEADLINE_ENV, DEFAULT_DEADLINE),
            request_deadline=request_deadline
            if request_deadline is not None
            else _seconds(env, REQUEST_DEADLINE_ENV, DEFAULT_REQUEST_DEADLINE),
            max_body_bytes=max_body_bytes if max_body_bytes is not None else DEFAULT_MAX_BODY_BYTES,
            max_pages=max_pages if max_pages is not None else DEFAULT_MAX_PAGES,
        )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise EnvironmentVariableError(f"{name} must be a positive number of seconds, got {raw[:20]!r}")
    return value


def _route(method: str, url: httpx.URL) -> str:
    # The path only: a query may carry a token.
    return f"{method} {redact(url.path)}"


def _unknown_outcome(method: str) -> str:
    if method in ("GET", "HEAD", "OPTIONS"):
        return ""
    return " (the change may or may not have been made: run plan again to see)"


def run_deadline_error(method: str, url: httpx.URL, seconds: float) -> DeadlineError:
    """The run deadline passed while ``method url`` was waiting, sending or being answered."""
    return DeadlineError(
        "run",
        seconds,
        f"{_route(method, url)}: the run deadline of {seconds:g} s passed{_unknown_outcome(method)}; "
        f"raise it with {DEADLINE_ENV}=<seconds> (e.g. {DEADLINE_ENV}={seconds * 2:g})",
    )


def request_deadline_error(method: str, url: httpx.URL, seconds: float) -> DeadlineError:
    """One attempt did not get a complete answer within the request deadline (slow or trickling server)."""
    return DeadlineError(
        "request",
        seconds,
        f"{_route(method, url)}: no complete answer within the request deadline of {seconds:g} s "
        f"(a slow or stalled server){_unknown_outcome(method)}; raise it with "
        f"{REQUEST_DEADLINE_ENV}=<seconds> (e.g. {REQUEST_DEADLINE_ENV}={seconds * 2:g})",
    )


def body_too_large_error(request: httpx.Request, status: int, limit: int) -> ServerError:
    """An answer whose body, decompressed, is over ``limit`` bytes (a gzip bomb, or a runaway page)."""
    return ServerError(
        request.method,
        redact(request.url.path),
        status,
        f"the answer's body is over the {_size(limit)} limit (decompressed); refused before reading it all",
    )


def _size(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{limit} bytes"


async def read_bounded(response: httpx.Response, request: httpx.Request, limit: int) -> None:
    """Read ``response``'s decompressed body into it, refusing it once it passes ``limit`` bytes.

    The check runs chunk by chunk as the body is inflated, so a gzip bomb costs at most ``limit`` plus one
    inflated chunk of memory, never its full size.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            await response.aclose()
            raise body_too_large_error(request, response.status_code, limit)
        chunks.append(chunk)
    # What Response.aread() does, with the bound: httpx offers no public hook between inflating and storing.
    response._content = b"".join(chunks)
