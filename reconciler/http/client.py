"""``ApiClient``: one ``httpx.AsyncClient`` with auth, retries, bounded concurrency, pagination, errors.

The transport stack, outermost first::

    httpx.AsyncClient (auth flow: the token request is yielded through the same stack)
      RetryTransport        repeats what is safe to repeat, sleeps between attempts
        _MeteredTransport   https/loopback guard, concurrency bound, request count, one log line per attempt
          transport         httpx.AsyncHTTPTransport, or a MockTransport / ASGITransport in tests

The semaphore sits *under* the retry layer so a request waiting out a ``Retry-After`` does not hold a slot,
and the counter sits there too so that every attempt, token fetches included, is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Coroutine, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from reconciler import __version__
from reconciler.errors import TransportError
from reconciler.http.bodies import (
    LinkPage,
    decode,
    hal_items,
    hal_next,
    hal_page,
    is_int,
    link_items,
)
from reconciler.http.errormap import error_for_exception, error_for_response
from reconciler.http.links import parse_link_header
from reconciler.http.redact import install_redaction, redact
from reconciler.http.transport import ATTEMPT, IDEMPOTENT, RetryPolicy, RetryTransport, check_url

T = TypeVar("T")
Params = Mapping[str, Any]

_LOGGER_NAME = "reconciler.http"
# Query parameters that carry a credential. A server may echo the token into its pagination links (the
# Taplytics document's example does): our token travels in a header, so it is dropped from a followed URL.
_CREDENTIAL_PARAMS = ("api_token",)
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


class _MeteredTransport(httpx.AsyncBaseTransport):
    """Guard, bound, count and log every request actually put on the wire."""

    def __init__(
        self, transport: httpx.AsyncBaseTransport, parallelism: int, logger: logging.Logger, origin: httpx.URL
    ) -> None:
        self._transport = transport
        self._semaphore = asyncio.Semaphore(parallelism)
        self._logger = logger
        self._origin = origin
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_url(request.url)  # last line of defence: nothing leaves in clear text off this machine
        async with self._semaphore:
            self.count += 1
            start = time.perf_counter()
            try:
                response = await self._transport.handle_async_request(request)
                # Read the body while holding the slot: "in flight" lasts until the answer is complete,
                # and the logged duration covers it.
                await response.aread()
            except httpx.HTTPError as exc:
                self._log(request, type(exc).__name__, start)
                raise
        self._log(request, str(response.status_code), start)
        return response

    def _log(self, request: httpx.Request, outcome: str, start: float) -> None:
        if not self._logger.isEnabledFor(logging.INFO):
            return
        elapsed_ms = (time.perf_counter() - start) * 1000
        target = request.url.raw_path.decode("ascii", "replace")
        if (request.url.scheme, request.url.host, request.url.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            target = f"{request.url.scheme}://{request.url.host}{target}"  # e.g. the token endpoint
        attempt = request.extensions.get(ATTEMPT, 1)
        self._logger.info(redact(f"{request.method} {target} {outcome} {elapsed_ms:.0f}ms attempt {attempt}"))

    async def aclose(self) -> None:
        await self._transport.aclose()


class ApiClient:
    """An async REST client for one API: use as ``async with ApiClient(...) as client``.

    ``request`` raises the ``ApiError`` subclass of any answer >= 400 (after retries, see
    :class:`RetryPolicy`) and ``TransportError`` for a URL that would leave this machine over plain http.
    At most ``parallelism`` requests are in flight at once across everything the client sends.
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
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        # Refuse insecure URLs now, before any request (the token URL included) could be sent.
        check_url(base_url)
        token_url = getattr(auth, "token_url", None)
        if isinstance(token_url, str):
            check_url(token_url)
        self.logger = logger or logging.getLogger(_LOGGER_NAME)
        for name in (self.logger.name, *_THIRD_PARTY_LOGGERS):
            install_redaction(logging.getLogger(name))
        self._origin = httpx.URL(base_url)
        self._metered = _MeteredTransport(
            transport or httpx.AsyncHTTPTransport(), parallelism, self.logger, self._origin
        )
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=RetryTransport(self._metered, retry, self.logger),
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": f"reconciler/{__version__}"},
            follow_redirects=False,
            trust_env=False,  # no ~/.netrc credentials or env proxies slipping into requests unannounced
        )

    def __repr__(self) -> str:
        return f"ApiClient(base_url={redact(str(self._origin.copy_with(username=None, password=None)))!r})"

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
        """Close the connection pool."""
        await self._client.aclose()

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
    ) -> httpx.Response:
        """Send one request (``path`` relative to the base URL, or an absolute same-API URL).

        ``idempotent=True`` lets a PATCH/POST be retried after a dropped connection (use it for requests
        that set a state, like play/pause); ``False`` forbids repeating a normally idempotent one.
        """
        method = method.upper()
        request = self._client.build_request(method, path, params=params, json=json)
        check_url(request.url)
        if idempotent is not None:
            request.extensions[IDEMPOTENT] = idempotent
        try:
            response = await self._client.send(request)
        except httpx.HTTPError as exc:
            failed = _failed_request(exc, request)
            raise error_for_exception(failed.method, failed, exc) from exc
        if response.status_code >= 400:
            raise error_for_response(method, response)
        return response

    async def get_json(self, path: str, params: Params | None = None) -> Any:
        """GET ``path`` and decode its JSON body."""
        return decode(await self.request("GET", path, params=params))

    async def get_hal_collection(
        self, path: str, params: Params | None = None, *, per_page: int = 100
    ) -> list[dict[str, Any]]:
        """Every item of an AB Tasty HAL collection (``_embedded.items``), in page order.

        Reads page 1 asking for ``per_page`` items, then the remaining pages concurrently. The server's
        ``pages`` and ``limit`` are trusted over what was asked (servers cap the page size: asked 100, given
        10 a page over 34 pages, all 34 are read). Without ``pages``, ``_links.next`` is followed.
        """
        base = dict(params or {})
        first = await self.request("GET", path, params={**base, "_page": 1, "_max_per_page": per_page})
        body = hal_page(first)
        items = hal_items(body)
        pages = body.get("pages")
        if is_int(pages):
            limit = body.get("limit")
            size = limit if is_int(limit) and limit > 0 else per_page
            rest = await self._gather(
                [
                    self._hal_page_at(path, {**base, "_page": number, "_max_per_page": size})
                    for number in range(2, pages + 1)
                ]
            )
            for page in rest:
                items.extend(hal_items(page))
        else:
            items.extend(await self._follow_hal_next(first, body))
        total = body.get("total")
        if is_int(total) and total != len(items):
            self.logger.warning(
                redact(f"GET {first.request.url.path}: read {len(items)} items, the server announced {total}")
            )
        return items

    async def get_link_collection(
        self,
        path: str,
        params: Params | None = None,
        *,
        per_page: int = 100,
        items_key: str | None = None,
    ) -> list[Any]:
        """Every item of a Taplytics collection, in page order (see :meth:`link_pages`)."""
        items: list[Any] = []
        pages = self.link_pages(path, params, per_page=per_page, items_key=items_key)
        async with contextlib.aclosing(pages):
            async for page in pages:
                items.extend(page.items)
        return items

    async def link_pages(
        self,
        path: str,
        params: Params | None = None,
        *,
        per_page: int = 100,
        items_key: str | None = None,
    ) -> AsyncGenerator[LinkPage, None]:
        """Each page of a Taplytics collection, following the ``Link`` header's ``next`` URL as given.

        Page 1 is asked with ``page`` / ``per_page``; later pages are the server's own URLs, never built
        here (minus any ``api_token`` they echo). The body is a JSON array, or an object whose ``items_key``
        (default: first list-valued key) holds the items. Pages are read one after another: each one names
        the next. A caller may stop early (use ``contextlib.aclosing``).
        """
        response = await self.request("GET", path, params={**(params or {}), "page": 1, "per_page": per_page})
        seen = {str(response.request.url)}
        while True:
            body = decode(response)
            next_url = self._next_link(response, seen)
            yield LinkPage(body, link_items(response, body, items_key), next_url)
            if next_url is None:
                return
            seen.add(str(next_url))
            response = await self.request("GET", str(next_url))

    def _next_link(self, response: httpx.Response, seen: set[str]) -> httpx.URL | None:
        next_url = parse_link_header(", ".join(response.headers.get_list("Link"))).get("next")
        if not next_url:
            return None
        url = self._same_origin(response.request.url.join(next_url))
        for param in _CREDENTIAL_PARAMS:
            url = url.copy_remove_param(param)
        if str(url) in seen:  # a server pointing back to a page already read: stop, do not loop
            self.logger.warning(redact(f"GET {url.path}: pagination loops back to a page already read"))
            return None
        return url

    async def _hal_page_at(self, path: str, params: Params) -> dict[str, Any]:
        return hal_page(await self.request("GET", path, params=params))

    async def _follow_hal_next(self, response: httpx.Response, body: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        seen = {str(response.request.url)}
        while (href := hal_next(body)) is not None:
            url = self._same_origin(response.request.url.join(href))
            if str(url) in seen:
                break
            seen.add(str(url))
            response = await self.request("GET", str(url))
            body = hal_page(response)
            items.extend(hal_items(body))
        return items

    def _same_origin(self, url: httpx.URL) -> httpx.URL:
        # A pagination link is followed with our credentials attached: never to another host.
        if (url.scheme, url.host, url.port) != (self._origin.scheme, self._origin.host, self._origin.port):
            raise TransportError(
                redact(f"refusing to follow a pagination link to another origin: {url.scheme}://{url.host}")
            )
        return url

    @staticmethod
    async def _gather(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
        """Run ``coros`` concurrently (the semaphore bounds them), results in order; first error wins."""
        tasks = [asyncio.ensure_future(coro) for coro in coros]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


def _failed_request(exc: httpx.HTTPError, sent: httpx.Request) -> httpx.Request:
    # The request the error is about: the token request, if that is the one whose connection failed.
    try:
        return exc.request
    except RuntimeError:  # httpx raises this when the exception carries no request
        return sent
