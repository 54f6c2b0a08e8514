"""Reading whole collections: HAL pages (AB Tasty) and ``Link`` header or cursor pages (Taplytics), bounded.

The server says how many pages there are (``pages``) or which one comes next (``_links.next``, ``Link:
rel=next``, a ``nextPaginationToken``); it is believed only within bounds: ``pages`` is checked (an int from 0 to ``max_pages``)
before a single request for the other pages is scheduled, at most ``max_pages`` pages are followed, and a
``next`` URL already read is a ``ServerError`` (a loop), never an endless walk.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

import httpx

from reconciler.core.tasks import gather_all
from reconciler.errors import RequestFailedError, TransportError
from reconciler.http import link_next
from reconciler.http.bodies import HalPage, LinkPage, Route, decode, hal_page, is_int, link_items, malformed
from reconciler.http.links import parse_link_header
from reconciler.redaction import redact

if TYPE_CHECKING:
    from reconciler.http.client import ApiClient, Params

T = TypeVar("T")
Item = dict[str, Any]

# Query parameters that carry a credential. A server may echo the token into its pagination links (the
# Taplytics document's example does): our token travels in a header, so it is dropped from a followed URL.
_CREDENTIAL_PARAMS = ("api_token",)
HAL_DEFAULT_PER_PAGE = 10  # the AB Tasty document's default _max_per_page
#: A page size every server met so far serves (Taplytics' documented limit, AB Tasty's pages of the
#: document's examples): after a 400 to a larger ask that names no limit, the next try, before the default.
KNOWN_GOOD_PER_PAGE = 100
CURSOR_KEY = "nextPaginationToken"


class Pager:
    """The one way to read a collection: ``pager(client).hal(...)`` (AB Tasty) or ``.links(...)`` /
    ``.link_pages(...)`` (Taplytics, GitHub). It sits over the client (which knows nothing of pages) and
    remembers, per client, the page size a server refused more than, so later collections ask for no more."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.size_cap: int | None = None  # the page size a server refused more than (with a 400)

    @overload
    async def hal(self, path: str, params: Params | None = None, *, per_page: int = 100) -> list[Item]: ...

    @overload
    async def hal(
        self, path: str, params: Params | None = None, *, per_page: int = 100, parse: Callable[[Item], T]
    ) -> list[T]: ...

    async def hal(
        self,
        path: str,
        params: Params | None = None,
        *,
        per_page: int = 100,
        parse: Callable[[Item], Any] | None = None,
    ) -> list[Any]:
        """Every item of an AB Tasty HAL collection (``_embedded.items``), in page order; each turned by
        ``parse`` as its page comes, when given (see ``hal_rest``).

        Reads page 1 asking for ``per_page`` items (after a 400, the limit the server states, else 10), then
        the remaining pages concurrently. The server's ``pages`` and ``limit`` are trusted over what was asked
        (servers cap the page size: asked 100, given 10 a page over 34 pages, all 34 are read), within
        ``max_pages``. Without ``pages``, ``_links.next`` is followed (a loop, or more than ``max_pages``
        pages, is a ``ServerError``).
        """
        return await _hal_collection(self, path, params, per_page, parse or _itself)

    async def hal_first(self, path: str, params: Params | None = None, *, per_page: int = 100) -> HalStart:
        """Page 1 alone (for a caller that decides from it whether to read the rest, with ``hal_rest``)."""
        return await _hal_first(self, path, params, per_page)

    @overload
    async def hal_rest(self, path: str, params: Params | None, first: HalStart) -> list[Item]: ...

    @overload
    async def hal_rest(
        self, path: str, params: Params | None, first: HalStart, *, parse: Callable[[Item], T]
    ) -> list[T]: ...

    async def hal_rest(
        self, path: str, params: Params | None, first: HalStart, *, parse: Callable[[Item], Any] | None = None
    ) -> list[Any]:
        """The items of the pages after ``first``; with ``parse``, each page's items parsed as it comes and
        its JSON let go then, so a large collection is never in memory as JSON all at once (50,000 tests:
        some 280 MB, issue 29)."""
        return await _hal_rest(self.client, path, params, first, parse or _itself)

    async def links(
        self, path: str, params: Params | None = None, *, per_page: int = 100, items_key: str | None = None
    ) -> list[Any]:
        """Every item of a ``Link``-paginated collection, in page order (see ``link_pages``)."""
        items: list[Any] = []
        pages = self.link_pages(path, params, per_page=per_page, items_key=items_key)
        async with contextlib.aclosing(pages):
            async for page in pages:
                items.extend(page.items)
        return items

    def link_pages(
        self, path: str, params: Params | None = None, *, per_page: int = 100, items_key: str | None = None
    ) -> AsyncGenerator[LinkPage, None]:
        """Each page of a ``Link``-paginated collection, following the ``Link`` header's ``next`` URL as given.

        Page 1 is asked with ``page`` / ``per_page``; later pages are the server's own URLs, never built here
        (minus any ``api_token`` they echo); without a ``Link`` next, a body's ``nextPaginationToken`` is sent
        back as ``paginationToken`` (cursor paging). The body is a JSON array, or an object whose
        ``items_key`` (default: first list-valued key) holds the items. Pages are read one after another: each
        one names the next; a ``next`` already read, or more than ``max_pages`` pages, is a ``ServerError``.
        A caller may stop early (use ``contextlib.aclosing``).
        """
        return _link_pages(self.client, path, params, per_page, items_key)


_PAGERS: weakref.WeakKeyDictionary[ApiClient, Pager] = weakref.WeakKeyDictionary()


def pager(client: ApiClient) -> Pager:
    """The client's pager (made on first use, gone with the client): its page-size memory lives here."""
    found = _PAGERS.get(client)
    if found is None:
        found = _PAGERS[client] = Pager(client)
    return found


def _itself(item: Item) -> Item:
    return item


async def _hal_collection(
    pages: Pager, path: str, params: Params | None, per_page: int, parse: Callable[[Item], T]
) -> list[T]:
    client = pages.client
    first = await _hal_first(pages, path, params, per_page)
    items = [*map(parse, first.page.items), *await _hal_rest(client, path, params, first, parse)]
    total = first.page.total
    if total is not None and total != len(items):
        client.logger.warning(
            redact(
                f"GET {first.response.request.url.path}: read {len(items)} items, the server announced {total}"
            )
        )
    return items


@dataclass(frozen=True)
class HalStart:
    """Page 1 of a HAL collection, and the page size the server took (after any fallback)."""

    response: httpx.Response
    page: HalPage
    size: int


async def _hal_first(pages: Pager, path: str, params: Params | None, per_page: int) -> HalStart:
    """Page 1, asking for ``per_page`` items (or the smaller size the server already refused more than).

    The document gives ``_max_per_page`` a default of 10 and no maximum: a server may cap it (handled by
    trusting ``limit`` / ``pages``) or refuse it with a 400. After such a 400 the page is asked again at the
    limit the server's message states, else at 100 (then 10) a page; the client remembers the size a server
    refused more than, or the smaller ``limit`` it answered with, for the rest of the run.
    """
    client = pages.client
    base = dict(params or {})
    response, size = await _first_page(
        pages, path, lambda size: {**base, "_page": 1, "_max_per_page": size}, per_page
    )
    page = hal_page(response, client.limits.max_pages)
    more = (page.pages or 0) > 1 or page.next_href is not None
    if more and page.limit is not None and 0 < page.limit < size:
        # Capped without a word (and not merely a short last page): later collections ask for no more.
        pages.size_cap = page.limit
    return HalStart(response, page, size)


async def _first_page(
    pages: Pager, path: str, query: Callable[[int], dict[str, Any]], per_page: int
) -> tuple[httpx.Response, int]:
    """Page 1 at ``per_page`` (or the remembered cap); after each 400 to a size over the documented default,
    again at the limit the message states, else a smaller step (:func:`stated_limit`), remembered."""
    client = pages.client
    size = min(per_page, pages.size_cap or per_page)
    while True:
        try:
            return await client.request("GET", path, params=query(size)), size
        except RequestFailedError as err:
            if err.status != 400 or size <= HAL_DEFAULT_PER_PAGE:
                raise
            size = pages.size_cap = stated_limit(err.detail, size)
            client.logger.info(redact(f"GET {path}: page size refused ({err.detail}); asking {size} a page"))


def stated_limit(message: str, asked: int) -> int:
    """The page size a 400 names as its maximum (the largest number in it below ``asked``), else 100 for an
    ask over 100, else the documented default of 10."""
    numbers = [int(n) for n in re.findall(r"\d+", message) if 0 < int(n) < asked]
    fallback = KNOWN_GOOD_PER_PAGE if asked > KNOWN_GOOD_PER_PAGE else HAL_DEFAULT_PER_PAGE
    return max(numbers, default=fallback)


@dataclass(frozen=True)
class _Read:
    """A page after the first, parsed: its items, and the link that follows it."""

    items: list[Any]
    next_href: str | None


async def _hal_rest(
    client: ApiClient, path: str, params: Params | None, first: HalStart, parse: Callable[[Item], T]
) -> list[T]:
    """The items of the pages after ``first``: all at once when it says how many (``pages``), else by
    following ``_links.next`` (loops and ``max_pages`` refused)."""
    page = first.page
    if page.pages is None:
        return await _follow_hal_next(client, first.response, page.next_href, parse)
    base, size, max_pages = dict(params or {}), page.limit or first.size, client.limits.max_pages
    count, last_response = page.pages, first.response  # the last page's answer, for its next link

    async def page_at(number: int) -> _Read:
        nonlocal last_response
        params = {**base, "_page": number, "_max_per_page": size}
        response = await client.request("GET", path, params=params)
        read = hal_page(response, max_pages)
        if number == count:
            last_response = response  # the other pages' answers, and their JSON, are let go here
        return _Read([parse(item) for item in read.items], read.next_href)

    read = await gather([page_at(n) for n in range(2, count + 1)])
    items = [item for rest in read for item in rest.items]
    # ``pages`` is not trusted alone: a server that rounds it down still names the next page of its last.
    last = read[-1] if read else _Read(page.items, page.next_href)
    if last.next_href is not None and last.items:
        items += await _follow_hal_next(client, last_response, last.next_href, parse)
    return items


async def _follow_hal_next(
    client: ApiClient, response: httpx.Response, href: str | None, parse: Callable[[Item], T]
) -> list[T]:
    items: list[T] = []
    seen = {str(response.request.url)}
    while href is not None:
        url = next_url(client, response, href, seen, "_links.next.href")
        response = await client.request("GET", str(url))
        page = hal_page(response, client.limits.max_pages)
        items.extend(map(parse, page.items))
        href = page.next_href
    return items


async def _link_pages(
    client: ApiClient, path: str, params: Params | None, per_page: int, items_key: str | None
) -> AsyncGenerator[LinkPage, None]:
    response = await _link_first(pager(client), path, params or {}, per_page)
    seen, read = {str(response.request.url)}, 0
    while True:
        body = decode(response)
        items = link_items(response, body, items_key)
        read += len(items)
        # An empty page after the first ends the list, whatever its links say (see link_next).
        url = _link_next(client, response, body, read, seen) if items or len(seen) == 1 else None
        yield LinkPage(body, items, url)
        if url is None:
            return
        response = await client.request("GET", str(url))


async def _link_first(pages: Pager, path: str, params: Params, per_page: int) -> httpx.Response:
    """Page 1 at ``per_page`` (the documented default, 100), or, after a 400, at the limit the message
    states (else 10): an account may be limited below the default (TAP: "by default" 100)."""
    response, _ = await _first_page(
        pages, path, lambda size: {**params, "page": 1, "per_page": size}, per_page
    )
    return response


def _link_next(
    client: ApiClient, response: httpx.Response, body: Any, read: int, seen: set[str]
) -> httpx.URL | None:
    """The Link header's ``next`` when it names a later page, else the cursor, else page n + 1 by number
    while ``numEntities`` says more follow (``link_next``)."""
    href = parse_link_header(", ".join(response.headers.get_list("Link"))).get("next")
    if href and not link_next.names_an_earlier_page(response, href):
        return next_url(client, response, href, seen, "the Link header's next")
    cursor = _cursor_url(client, response, body, seen)
    if cursor is not None:
        return cursor
    numbered = link_next.by_number(response, body, read)
    if numbered is None:
        if href and link_next.announced(body) is None:  # an earlier page, no count to go on: a loop
            return next_url(client, response, href, seen, "the Link header's next")
        return None  # no link, or every announced item read
    return next_url(client, response, str(numbered), seen, "the next page by number")


def _cursor_url(client: ApiClient, response: httpx.Response, body: Any, seen: set[str]) -> httpx.URL | None:
    """Cursor paging (the vendor's ``/v2/users`` reference, not its REST document): the body's
    ``nextPaginationToken`` (null on the last page) goes back as the ``paginationToken`` query parameter.
    Used only when there is no ``Link`` next, so a server that sends both is read by its links."""
    token = body.get(CURSOR_KEY) if isinstance(body, dict) else None
    if token is None or token == "":
        return None
    if is_int(token):  # a numeric cursor is still a cursor
        token = str(token)
    if not isinstance(token, str):
        raise malformed(Route.of(response), repr(CURSOR_KEY), token, "a string or null")
    url = response.request.url.copy_remove_param("page").copy_set_param("paginationToken", token)
    return next_url(client, response, str(url), seen, f"the body's {CURSOR_KEY}")


def next_url(client: ApiClient, response: httpx.Response, href: str, seen: set[str], name: str) -> httpx.URL:
    """The URL a ``next`` link names, checked: same origin, not read before, within the page cap.

    Adds it to ``seen``. A loop or a walk past ``max_pages`` is a ``ServerError`` naming the route and the
    link, raised before the request is sent.
    """
    route = Route.of(response)
    try:
        # The origin of the page that named it: one API may span hosts (AB Tasty's api and api2).
        url = _same_origin(response.request.url, response.request.url.join(href))
    except httpx.InvalidURL:
        raise route.error(f"malformed pagination link: {name} is not a URL") from None
    for param in _CREDENTIAL_PARAMS:
        url = url.copy_remove_param(param)
    if str(url) in seen:
        raise route.error(f"pagination loop: {name} points back to a page already read ({url.path})")
    if len(seen) >= client.limits.max_pages:
        raise route.error(
            f"more than {client.limits.max_pages} pages: {name} still names another page; refusing to go on"
        )
    seen.add(str(url))
    return url


def _same_origin(origin: httpx.URL, url: httpx.URL) -> httpx.URL:
    # A pagination link is followed with our credentials attached: never to another host.
    if (url.scheme, url.host, url.port) != (origin.scheme, origin.host, origin.port):
        raise TransportError(
            redact(f"refusing to follow a pagination link to another origin: {url.scheme}://{url.host}")
        )
    return url


async def gather(coros: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run ``coros`` concurrently (the client's semaphore bounds them), results in order; first error wins
    and the rest are cancelled and awaited (``core.tasks``)."""
    return await gather_all(coros)
