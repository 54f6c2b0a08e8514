"""Decoding collection bodies: AB Tasty's HAL pages and Taplytics' Link-paginated pages.

Each helper raises a ``ServerError`` naming the request when the body is not the expected shape, so a
misbehaving server is reported as such rather than crashing the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

import httpx

from reconciler.errors import ServerError
from reconciler.http.redact import redact


@dataclass(frozen=True)
class LinkPage:
    """One page of a ``Link``-paginated collection: the decoded body, its items, the next page's URL."""

    body: Any
    items: list[Any]
    next_url: httpx.URL | None


def is_int(value: Any) -> TypeGuard[int]:
    """An int that is not a bool (JSON numbers)."""
    return isinstance(value, int) and not isinstance(value, bool)


def unexpected(response: httpx.Response, what: str) -> ServerError:
    """The error for an answer of the wrong shape."""
    return ServerError(response.request.method, redact(response.request.url.path), response.status_code, what)


def decode(response: httpx.Response) -> Any:
    """The JSON body, or a ``ServerError`` saying what came instead."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise unexpected(response, f"expected a JSON body, got {kind}") from None


def hal_page(response: httpx.Response) -> dict[str, Any]:
    """A HAL collection page (an object)."""
    body = decode(response)
    if not isinstance(body, dict):
        raise unexpected(response, "expected a HAL collection object")
    return body


def hal_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects under ``_embedded.items``."""
    embedded = body.get("_embedded")
    items = embedded.get("items") if isinstance(embedded, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def hal_next(body: dict[str, Any]) -> str | None:
    """``_links.next.href``, if any."""
    links = body.get("_links")
    link = links.get("next") if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    return href if isinstance(href, str) and href else None


def link_items(response: httpx.Response, body: Any, items_key: str | None) -> list[Any]:
    """A bare JSON array, or the list under ``items_key`` (default: the first list-valued key)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        if items_key is not None:
            value = body.get(items_key)
            if isinstance(value, list):
                return value
            raise unexpected(response, f"expected a list under {items_key!r}")
        for value in body.values():
            if isinstance(value, list):
                return value
    raise unexpected(response, "expected a JSON array or an object holding one")
