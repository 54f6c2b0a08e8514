"""Taplytics pagination: ``page`` / ``per_page`` parameters and the ``Link`` header.

The document's example is the model: absolute URLs that keep the request's other parameters (its
``api_token`` included) and end with ``page`` and ``per_page``; single-quoted ``rel`` values; several links in
one header, in the document's order (last, next, first; ``prev`` goes between next and first). The example
labels page 2 ``next`` on page 3 of 4, which is a slip of the document: here ``next`` is page + 1 and ``prev``
page - 1.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request

from reconciler.sandbox.store import Record
from reconciler.sandbox.taplytics import readings
from reconciler.sandbox.web import ApiProblem, int_param

DEFAULT_PER_PAGE = 100  # the document: "by default, accounts have a pagination limit of 100 items per page"


def page_params(request: Request, page_cap: int) -> tuple[int, int]:
    """``(page, per_page)``: 1-based page (default 1), ``per_page`` default 100, capped at ``page_cap``;
    a value that is not an integer >= 1 is a 400."""
    page = int_param(request, "page", 1)
    per_page = min(int_param(request, "per_page", DEFAULT_PER_PAGE), page_cap)
    return page, per_page


def last_page(total: int, per_page: int) -> int:
    """An empty collection still has a page 1 (empty), so ``first`` and ``last`` always exist."""
    return max(1, -(-total // per_page))


def link_header(
    request: Request, page: int, per_page: int, total: int, dialects: frozenset[str] = frozenset()
) -> str:
    """``<URL>; rel='last', <URL>; rel='next', <URL>; rel='prev', <URL>; rel='first'`` (next / prev only
    when they exist; past the end, ``prev`` is the last page)."""
    last = last_page(total, per_page)
    url = request.url
    base = f"{url.scheme}://{url.netloc}{url.path}"
    others = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page")]

    def href(number: int) -> str:
        query = [*others, ("page", str(number)), ("per_page", str(per_page))]
        # %20 rather than +, and every character that could break the header's <...>; syntax escaped
        return f"{base}?{urlencode(query, quote_via=quote)}"

    rels = [("last", last)]
    following = readings.next_page(page, last, dialects)
    if following is not None:
        rels.append(("next", following))
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    rels.append(("first", 1))
    return ", ".join(f"<{href(number)}>; rel='{rel}'" for rel, number in rels)


def cursor_page(
    request: Request, users: dict[str, Record], page_cap: int, render: Callable[[Record], Any]
) -> dict[str, Any]:
    """The ``cursor`` dialect (the vendor's public ``/v2/users`` reference): ``per_page`` users from the one
    the ``paginationToken`` query parameter names (from the first without it), and ``nextPaginationToken``,
    an opaque token naming the next user, null on the last page. ``page`` is ignored; there is no ``Link``."""
    per_page = min(int_param(request, "per_page", DEFAULT_PER_PAGE), page_cap)
    token = request.query_params.get("paginationToken")
    ids = list(users)
    start = ids.index(_decode_token(token, users)) if token else 0
    chosen = list(itertools.islice(users.values(), start, start + per_page))
    after = start + per_page
    following = _encode_token(ids[after]) if after < len(ids) else None
    return {"users": [render(u) for u in chosen], "nextPaginationToken": following}


def _encode_token(user_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{user_id}".encode()).decode().rstrip("=")


def _decode_token(token: str, users: dict[str, Record]) -> str:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    user_id = text.removeprefix("after:")
    if not text.startswith("after:") or user_id not in users:
        raise ApiProblem(400, "Invalid parameter 'paginationToken': unknown or expired token")
    return user_id
