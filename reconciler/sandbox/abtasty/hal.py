"""HAL collections as the document prints them: page, limit, pages, total, _links, _embedded.items."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from reconciler.sandbox.abtasty import readings
from reconciler.sandbox.web import ApiProblem, int_param, sandbox_of

T = TypeVar("T")
DEFAULT_PER_PAGE = 10
# strict-page-size: the largest _max_per_page this reading accepts (the document names no maximum).
STRICT_MAX_PER_PAGE = 50
# page-size-unnamed: the largest _max_per_page that reading accepts; its 400 does not say so.
UNNAMED_MAX_PER_PAGE = 100
_LIST_KEY = re.compile(r"^(?P<base>.*)\[\d*\]$")


def _canonical_query(request: Request) -> list[tuple[str, str]]:
    """The request's filters with ``x[]`` written ``x[0]``, ``x[1]``... (as in the document's links)."""
    counters: dict[str, int] = {}
    out: list[tuple[str, str]] = []
    for key, value in request.query_params.multi_items():
        if key in ("_page", "_max_per_page"):
            continue
        match = _LIST_KEY.match(key)
        if match and key.endswith("[]"):
            base = match["base"]
            index = counters.get(base, 0)
            counters[base] = index + 1
            key = f"{base}[{index}]"
        out.append((key, value))
    return out


def hal_collection(
    request: Request, items: Sequence[T], render: Callable[[T], dict[str, Any]], page_cap: int
) -> dict[str, Any]:
    """One page of ``items``; ``_max_per_page`` defaults to 10 and is capped at ``page_cap`` (a 400 above 50
    with ``strict-page-size``, above 100 naming no limit with ``page-size-unnamed``); ``hal-no-count`` leaves out ``pages`` and ``total``."""
    dialects = sandbox_of(request).dialects
    page = int_param(request, "_page", 1)
    asked = int_param(request, "_max_per_page", DEFAULT_PER_PAGE)
    if "strict-page-size" in dialects and asked > STRICT_MAX_PER_PAGE:
        raise ApiProblem(
            400, f"Invalid parameter '_max_per_page': must be at most {STRICT_MAX_PER_PAGE}, got {asked}"
        )
    if "page-size-unnamed" in dialects and asked > UNNAMED_MAX_PER_PAGE:
        raise ApiProblem(400, "Invalid parameter '_max_per_page'")
    limit = min(asked, page_cap)
    total = len(items)
    pages = max(1, -(-total // limit))
    query = _canonical_query(request)
    path = request.url.path

    def href(number: int) -> dict[str, str]:
        qs = urlencode([*query, ("_page", str(number)), ("_max_per_page", str(limit))])
        return {"href": f"{path}?{qs}"}

    links = {"self": href(page), "first": href(1), "last": href(pages)}
    if page > 1:
        links["previous"] = href(min(page - 1, pages))
    if page < pages:
        links["next"] = href(page + 1)
    start = (page - 1) * limit
    counts = readings.counts(pages, total, limit, dialects)
    return {
        "page": page,
        "limit": readings.limit_out(limit, dialects),
        **counts,
        "_links": links,
        "_embedded": {"items": [render(item) for item in items[start : start + limit]]},
    }
