"""Reading whole collections: HAL pages (AB Tasty) and ``Link`` header pages (Taplytics), bounded.

The server says how many pages there are (``pages``) or which one comes next (``_links.next``, ``Link:
rel=next``); it is believed only within bounds: ``pages`` is checked (an int from 0 to ``max_pages``)
before a single request for the other pages is scheduled, at most ``max_pages`` pages are followed, and a
``next`` URL already read is a ``ServerError`` (a loop), never an endless walk.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from reconciler.errors import TransportError
from reconciler.http.bodies import HalPage, LinkPage, Route, decode, hal_page, link_items
from reconciler.http.links import parse_link_header
from reconciler.http.redact import redact

if TYPE_CHECKING:
    from reconciler.http.client import ApiClient, Params

T = TypeVar("T")

# Query parameters that carry a credential. A server may echo the token into its pagination links (the
# Taplytics document's example does): our token travels in a header, so it is dropped from a followed URL.
_CREDENTIAL_PARAMS = ("api_token",)


async def hal_collection(
    client: ApiClient, path: str, params: Params | None, per_page: int
) -> list[dict[str, Any]]:
    """Every item of a HAL collection, in page order (see :meth:`ApiClient.get_hal_collection`)."""
    base = dict(params or {})
    max_pages = client.limits.max_pages
    first = await client.request("GET", path, params={**base, "_page": 1, "_max_per_page": per_page})
    page = hal_page(first, max_pages)  # pages checked here, before any other page is asked for
    items = list(page.items)
    if page.pages is not None:
        size = page.limit or per_page

        async def page_at(number: int) -> HalPage:
            params = {**base, "_page": number, "_max_per_page": size}
            return hal_page(await client.request("GET", path, params=params), max_pages)

        for rest in await gather([page_at(number) for number in range(2, page.pages + 1)]):
            items.extend(rest.items)
    else:
        items.extend(await _follow_hal_next(client, first, page))
    if page.total is not None and page.total != len(items):
        client.logger.warning(
            redact(
                f"GET {first.request.url.path}: read {len(items)} items, the server announced {page.total}"
            )
        )
    return items


async def _follow_hal_next(
    client: ApiClient, response: httpx.Response, page: HalPage
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    seen = {str(response.request.url)}
    while page.next_href is not None:
        url = next_url(client, response, page.next_href, seen, "_links.next.href")
        response = await client.request("GET", str(url))
        page = hal_page(response, client.limits.max_pages)
        items.extend(page.items)
    return items


async def link_pages(
    client: ApiClient, path: str, params: Params | None, per_page: int, items_key: str | None
) -> AsyncGenerator[LinkPage, None]:
    """Each page of a ``Link``-paginated collection (see :meth:`ApiClient.link_pages`)."""
    response = await client.request("GET", path, params={**(params or {}), "page": 1, "per_page": per_page})
    seen = {str(response.request.url)}
    while True:
        body = decode(response)
        items = link_items(response, body, items_key)
        href = parse_link_header(", ".join(response.headers.get_list("Link"))).get("next")
        url = next_url(client, response, href, seen, "the Link header's next") if href else None
        yield LinkPage(body, items, url)
        if url is None:
            return
        response = await client.request("GET", str(url))


def next_url(client: ApiClient, response: httpx.Response, href: str, seen: set[str], name: str) -> httpx.URL:
    """The URL a ``next`` link names, checked: same origin, not read before, within the page cap.

    Adds it to ``seen``. A loop or a walk past ``max_pages`` is a ``ServerError`` naming the route and the
    link, raised before the request is sent.
    """
    route = Route.of(response)
    try:
        url = _same_origin(client.origin, response.request.url.join(href))
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
    """Run ``coros`` concurrently (the client's semaphore bounds them), results in order; first error wins."""
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
