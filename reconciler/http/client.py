"""``ApiClient``: one ``httpx.AsyncClient`` with auth, retries, bounded concurrency, pagination, errors.

The transport stack, outermost first::

    ApiClient.request       run deadline; 3xx, >= 400 and non-JSON answers become errors
    httpx.AsyncClient       auth flow: the token request is yielded through the same stack
      RetryTransport        repeats what is safe to repeat, sleeps between attempts (bounded waits and budget)
        MeteredTransport    https/loopback guard, concurrency bound, request count, one log line per attempt,
                            per-attempt deadline, decompressed body cap
          transport         httpx.AsyncHTTPTransport, or a MockTransport / ASGITransport in tests

The semaphore sits *under* the retry layer so a request waiting out a ``Retry-After`` does not hold a slot,
and the counter sits there too so that every attempt, token fetches included, is counted. The bounds and
their defaults are in :mod:`reconciler.http.limits`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from reconciler import __version__
from reconciler.errors import TransportError
from reconciler.http import observe, tls
from reconciler.http.bodies import Route, check_hal_envelope, decode, require_json
from reconciler.http.errormap import error_for_exception, error_for_response, redirect_error
from reconciler.http.limits import Limits, run_deadline_error
from reconciler.http.metered import MeteredTransport
from reconciler.http.transport import IDEMPOTENT, RetryPolicy, RetryTransport, check_url
from reconciler.redaction import install_redaction, redact

Params = Mapping[str, Any]

_LOGGER_NAME = "reconciler.http"
# httpx logs every request's full URL at INFO, and httpcore traces at DEBUG; a URL can carry a token (a
# Taplytics pagination link with api_token=...), so their records are redacted too. A filter on a logger
# only sees records logged to that very logger, hence the list of httpcore's module loggers.
_THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class ApiClient:
    """An async REST client for one API: use as ``async with ApiClient(...) as client``.

    ``request`` raises the ``ApiError`` subclass of any answer >= 400 (after retries, see
    :class:`RetryPolicy`), a ``ServerError`` for a redirect or a non-JSON body, ``TransportError`` for a URL
    that would leave this machine over plain http, and ``DeadlineError`` past a deadline. At most
    ``parallelism`` requests are in flight at once across everything the client sends.

    Bounds (see :class:`Limits`; ``None`` takes the environment variable, else the default):
    ``deadline`` for everything the client does from its creation (``RECONCILER_DEADLINE``, 600 s),
    ``request_deadline`` for each attempt from connection to last byte (``RECONCILER_REQUEST_DEADLINE``,
    60 s), ``max_body_bytes`` for each decompressed body (50 MB), ``max_pages`` for each collection (10,000).
    ``timeout`` is httpx's, per connect / read / write.
    """

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth | None,
        *,
        parallelism: int = 8,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        logger: logging.Logger | None = None,
        deadline: float | None = None,
        request_deadline: float | None = None,
        max_body_bytes: int | None = None,
        max_pages: int | None = None,
        headers: Mapping[str, str] | None = None,
        origins: Sequence[str] = (),
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        _refuse_insecure(base_url, auth)
        self.parallelism = parallelism
        self.limits = Limits.resolve(
            deadline=deadline,
            request_deadline=request_deadline,
            max_body_bytes=max_body_bytes,
            max_pages=max_pages,
        )
        # The run deadline counts from here: the engine makes one client per account and run.
        self._deadline_at = time.monotonic() + self.limits.deadline
        self.logger = logger or logging.getLogger(_LOGGER_NAME)
        for name in (self.logger.name, *_THIRD_PARTY_LOGGERS):
            install_redaction(logging.getLogger(name))
        self.origin = httpx.URL(base_url)
        # Where an absolute URL may point (the base URL's origin and the endpoint's other configured ones):
        # the auth flow signs whatever is sent, so a link a server or a config chose elsewhere is refused.
        self.origins = frozenset(_origin(httpx.URL(url)) for url in (base_url, *origins))
        self._observer = observe.current()  # progress display, if any (see reconciler.http.observe)
        # The CA bundle is loaded only for a client that can reach an https URL (tls.for_urls).
        token_url = getattr(auth, "token_url", None)
        urls = (base_url, *origins, token_url if isinstance(token_url, str) else None)
        inner = transport or httpx.AsyncHTTPTransport(verify=tls.for_urls(urls))
        self._metered = MeteredTransport(inner, parallelism, self.logger, self.origin, self.limits)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=RetryTransport(self._metered, retry, self.logger),
            timeout=timeout,
            # Content-Type on every request, GETs included: AB Tasty marks it required on every route.
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": f"reconciler/{__version__}",
                **(headers or {}),
            },
            follow_redirects=False,
            trust_env=False,  # no ~/.netrc credentials or env proxies slipping into requests unannounced
        )

    def __repr__(self) -> str:
        return f"ApiClient(base_url={redact(str(self.origin.copy_with(username=None, password=None)))!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; an issued access token is forgotten by the redactor (see
        ``OAuth2ClientCredentials.forget_token``)."""
        await self._client.aclose()
        forget = getattr(self._client.auth, "forget_token", None)
        if callable(forget):
            forget()

    @property
    def request_count(self) -> int:
        """Every HTTP request actually sent so far, retries and token fetches included."""
        return self._metered.count

    @property
    def summary(self) -> str:
        """The closing count line, e.g. ``"12 requests"``."""
        count = self.request_count
        return f"{count} request" if count == 1 else f"{count} requests"

    def log_summary(self) -> str:
        """Log :attr:`summary` at INFO (shown with ``-v``) and return it."""
        self.logger.info(self.summary)
        return self.summary

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        expect_json: bool = True,
    ) -> httpx.Response:
        """Send one request (``path`` relative to the base URL, or an absolute same-API URL).

        ``idempotent=True`` lets a PATCH/POST be retried after a dropped connection (use it for requests
        that set a state, like play/pause); ``False`` forbids repeating a normally idempotent one. Only a
        2xx whose body is JSON or empty (204) is a success: a redirect or an HTML page is a ``ServerError``,
        so a mutation answered that way counts as failed, never as applied. ``expect_json=False`` accepts any
        2xx body (a Slack incoming webhook answers ``ok`` in plain text).
        """
        method = method.upper()
        request = self._client.build_request(method, path, params=params, json=json)
        check_url(request.url)
        if _origin(request.url) not in self.origins:
            raise TransportError(
                f"refusing to send {method} {redact(str(request.url.copy_with(query=None)))}: not one of this "
                "account's configured hosts, and the request would carry its credentials"
            )
        if idempotent is not None:
            request.extensions[IDEMPOTENT] = idempotent
        response = await self._observed(request)
        if response.status_code >= 400:
            raise error_for_response(method, response)
        if response.status_code >= 300:
            raise redirect_error(method, response)
        if expect_json:
            require_json(response)
        return response

    async def _observed(self, request: httpx.Request) -> httpx.Response:
        """``_send``, reported to the observer when it is a read (a page fetched, for progress)."""
        observer = self._observer if request.method == "GET" else None
        if observer is None:
            return await self._send(request)
        observer.started()
        try:
            return await self._send(request)
        finally:
            observer.finished()

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """``send`` within what is left of the run deadline, httpx errors mapped to ours."""
        remaining = self._deadline_at - time.monotonic()
        if remaining <= 0:  # nothing is sent once the run is out of time
            raise run_deadline_error(request.method, request.url, self.limits.deadline)
        timeout = asyncio.timeout(remaining)
        try:
            async with timeout:
                response = await self._client.send(request)
        except TimeoutError:
            if not timeout.expired():
                raise
            raise run_deadline_error(request.method, request.url, self.limits.deadline) from None
        except httpx.HTTPError as exc:
            failed = _failed_request(exc, request)
            raise error_for_exception(failed.method, failed, exc) from exc
        # httpx binds a response and its stream to each other, a cycle only the collector frees: with the body
        # read, a plain stream of it lets each response go when its reader drops it (a 50,000-test plan kept
        # every page it read, some 280 MB, until exit: issue 29).
        response.stream = httpx.ByteStream(response.content)
        return response

    async def get_json(self, path: str, params: Params | None = None) -> Any:
        """GET ``path`` and decode its JSON body.

        A body shaped like a HAL collection page (an object with ``_embedded`` or ``pages``) is checked
        like one (see :func:`reconciler.http.bodies.parse_hal`), so a caller paging by hand cannot be told
        to schedule 10**9 requests.
        """
        response = await self.request("GET", path, params=params)
        body = decode(response)
        check_hal_envelope(body, Route.of(response), self.limits.max_pages)
        return body


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: https://h and https://h:443 are one."""
    default = {"https": 443, "http": 80}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _refuse_insecure(base_url: str, auth: httpx.Auth | None) -> None:
    # Refuse insecure URLs now, before any request (the token URL included) could be sent.
    check_url(base_url)
    token_url = getattr(auth, "token_url", None)
    if isinstance(token_url, str):
        check_url(token_url)


def _failed_request(exc: httpx.HTTPError, sent: httpx.Request) -> httpx.Request:
    # The request the error is about: the token request, if that is the one whose connection failed.
    try:
        return exc.request
    except RuntimeError:  # httpx raises this when the exception carries no request
        return sent
