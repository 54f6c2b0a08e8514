"""Reading a Flagship list: page-numbered bodies (``current_page``, ``last_page``, ``total_count``).

The shared pager (``reconciler.http.paging``) follows HAL, Link headers and cursors, not page numbers, so
the walk is here, over ``ApiClient.get_json`` (retries, auth, deadlines and caps stay the client's).

The pages disagree (docs/providers/flagship.md): the items sit under ``items`` or ``data``, the users
example nests them as ``items: [{data: [...]}]``, and ``current_page`` counts from 0 in the schema and from
1 in the guide. So page one is asked for without ``_page`` (the server's own first page), the next ones as
the ``current_page`` it answered plus one; the walk stops once ``total_count`` items are in hand, at an
empty page, or past ``last_page``, and refuses a server that answers the same page twice.
"""

from __future__ import annotations

from typing import Any

from reconciler.http import ApiClient
from reconciler.http.bodies import Route, as_int

PER_PAGE = 100  # the flagship CLI's page size


def page_items(body: Any, route: Route) -> list[dict[str, Any]]:
    """The items of one page, in whichever shape the pages show."""
    if not isinstance(body, dict):
        raise route.error("malformed body: expected an object holding items")
    raw = body.get("items", body.get("data"))
    if not isinstance(raw, list):
        raise route.error("malformed body: expected a list under 'items' or 'data'")
    found: list[dict[str, Any]] = []
    for item in raw:
        if isinstance(item, dict) and set(item) == {"data"} and isinstance(item["data"], list):
            found += [d for d in item["data"] if isinstance(d, dict)]  # the users page's nesting
        elif isinstance(item, dict):
            found.append(item)
        else:
            raise route.error(f"malformed item: expected an object, got {type(item).__name__}")
    return found


async def list_all(client: ApiClient, path: str) -> list[dict[str, Any]]:
    """Every item of the collection at ``path``."""
    route = Route("GET", path)
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"_max_per_page": PER_PAGE}
    seen: set[int] = set()
    for _ in range(client.limits.max_pages):
        body = await client.get_json(path, params=params)
        page = page_items(body, route)
        items += page
        current, last, total = (as_int(body.get(k)) for k in ("current_page", "last_page", "total_count"))
        if current is None or current in seen:
            if current is not None:
                raise route.error(f"the server answered page {current} twice: its paging did not advance")
            return items  # no page number: a single page
        seen.add(current)
        done = total is not None and len(items) >= total
        if done or not page or (total is None and last is not None and current >= last):
            return items
        params = {"_page": current + 1, "_max_per_page": PER_PAGE}
    raise route.error(f"more than {client.limits.max_pages} pages")
