"""Decoding bodies: JSON itself, AB Tasty's HAL pages, Taplytics' Link-paginated pages, single fields.

A server's answer is untrusted input. Every helper here either returns a value of the promised type or
raises a ``ServerError`` naming the request and the field ("GET /x -> 200: malformed body: 'pages' is
'many', expected an integer from 0 to 10000"), so a misbehaving server is reported as such (exit 1)
rather than crashing the run with a ``TypeError`` (exit 3). The parsers that take a body and a
:class:`Route` are pure, so property tests can feed them any JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar, cast

from reconciler.errors import ServerError
from reconciler.http import jsondecode
from reconciler.http.limits import DEFAULT_MAX_PAGES
from reconciler.redaction import redact

if TYPE_CHECKING:  # types only: the date and field readers serve `validate` too, which sends nothing
    import httpx

T = TypeVar("T")

# Response extension caching the decoded JSON: the client checks every 2xx body is JSON, and the caller
# decodes it again; a 10,000-test plan should not parse each page twice.
_JSON = "reconciler.json"
_SHOWN_LIMIT = 60


@dataclass(frozen=True)
class Route:
    """Which request a body came from: what a ``ServerError`` about that body names."""

    method: str
    path: str
    status: int = 200

    @classmethod
    def of(cls, response: httpx.Response) -> Route:
        """The route of ``response`` (its path only: a query may carry a token)."""
        return cls(response.request.method, redact(response.request.url.path), response.status_code)

    @classmethod
    def parse(cls, route: Route | str) -> Route:
        """``"GET /path"`` (or a bare path, read as a GET) as a ``Route``."""
        if isinstance(route, Route):
            return route
        method, _, path = route.partition(" ")
        return cls(method, redact(path)) if path else cls("GET", redact(method))

    def error(self, detail: str) -> ServerError:
        """A ``ServerError`` about this route."""
        return ServerError(self.method, self.path, self.status, redact(detail))


@dataclass(frozen=True)
class LinkPage:
    """One page of a ``Link``-paginated collection: the decoded body, its items, the next page's URL."""

    body: Any
    items: list[Any]
    next_url: httpx.URL | None


@dataclass(frozen=True)
class HalPage:
    """One page of a HAL collection, every field checked: ``None`` where the server left it out."""

    items: list[dict[str, Any]]
    pages: int | None
    limit: int | None
    total: int | None
    next_href: str | None


def is_int(value: Any) -> TypeGuard[int]:
    """An int that is not a bool (JSON numbers)."""
    return isinstance(value, int) and not isinstance(value, bool)


# An id or a count printed as a string: the AB Tasty document prints numbers as strings elsewhere
# (general_statistics) and its path ids are \d+ patterns, so "41902" is a fair answer for 41902.
_NUMERIC = re.compile(r"-?[0-9]{1,18}")


def as_int(value: Any) -> int | None:
    """``value`` as an int: a JSON integer, or a string of decimal digits; else None."""
    if is_int(value):
        return value
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        return int(value)
    return None


def shown(value: Any) -> str:
    """A server value as quoted in a message (its repr): redacted first, then cut (never the other way)."""
    return _cut(redact(repr(value)))


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN_LIMIT else text[: _SHOWN_LIMIT - 3] + "..."


def malformed(route: Route, name: str, value: Any, expected: str) -> ServerError:
    """The error for a field of the wrong type or range."""
    return route.error(f"malformed body: {name} is {shown(value)}, expected {expected}")


def unexpected(response: httpx.Response, what: str) -> ServerError:
    """The error for an answer of the wrong shape."""
    return Route.of(response).error(what)


def decode(response: httpx.Response) -> Any:
    """The JSON body, or a ``ServerError`` saying what came instead."""
    if _JSON in response.extensions:
        return response.extensions[_JSON]
    try:
        body = jsondecode.loads(response.content)  # what response.json() gives, faster for pages
    except ValueError:  # also UnicodeDecodeError, and RecursionError is not: see below
        kind = response.headers.get("Content-Type", "no content type")
        raise unexpected(response, f"expected a JSON body, got {_cut(redact(kind))}") from None
    except RecursionError:  # thousands of nested brackets: json's C decoder recurses
        raise unexpected(response, "expected a JSON body, got one nested too deeply") from None
    response.extensions[_JSON] = body
    return body


def require_json(response: httpx.Response) -> None:
    """Refuse a non-empty body that is not JSON (an HTML page answered 200 is not a success).

    An empty body (204 No Content, or a 200 with nothing) is a legitimate answer to a mutation.
    """
    if response.content.strip():
        decode(response)


def hal_page(response: httpx.Response, max_pages: int = DEFAULT_MAX_PAGES) -> HalPage:
    """A HAL collection page, checked (see :func:`parse_hal`)."""
    return parse_hal(decode(response), Route.of(response), max_pages)


def parse_hal(body: Any, route: Route, max_pages: int = DEFAULT_MAX_PAGES) -> HalPage:
    """Check a HAL collection body: an object; ``_embedded.items`` a list of objects; ``pages`` an int from
    0 to ``max_pages``; ``limit`` / ``total`` non-negative ints; ``_links.next.href`` a string. Any of them
    may be missing (or null); none may be of another type."""
    if not isinstance(body, dict):
        raise route.error(f"malformed body: expected a HAL collection object, got {_kind(body)}")
    embedded = _optional(body, "_embedded", dict, route, "an object")
    items = _optional(embedded or {}, "items", list, route, "a list", "_embedded.items")
    for index, item in enumerate(items or []):
        if not isinstance(item, dict):
            raise malformed(route, f"_embedded.items[{index}]", item, "an object")
    return HalPage(
        items=cast(list[dict[str, Any]], list(items or [])),
        pages=_count(body, "pages", route, max_pages),
        limit=_count(body, "limit", route),
        total=_count(body, "total", route),
        next_href=_hal_next(body, route),
    )


def check_hal_envelope(body: Any, route: Route, max_pages: int = DEFAULT_MAX_PAGES) -> None:
    """If ``body`` looks like a HAL collection page (an object with ``_embedded`` or ``pages``), check it.

    For callers that page by hand through ``get_json``: a ``pages`` of 10**9 or ``"many"`` is refused
    before they can schedule a request for each.
    """
    if isinstance(body, dict) and ("_embedded" in body or "pages" in body):
        parse_hal(body, route, max_pages)


def _hal_next(body: dict[str, Any], route: Route) -> str | None:
    links = _optional(body, "_links", dict, route, "an object")
    link = _optional(links or {}, "next", dict, route, "an object", "_links.next")
    href = _optional(link or {}, "href", str, route, "a string", "_links.next.href")
    return href or None


def _count(body: dict[str, Any], key: str, route: Route, cap: int | None = None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    number = as_int(value)
    if number is None or number < 0 or (cap is not None and number > cap):
        expected = f"an integer from 0 to {cap}" if cap is not None else "a non-negative integer"
        raise malformed(route, repr(key), value, expected)
    return number


def _optional(
    body: dict[str, Any], key: str, kind: type[T], route: Route, expected: str, name: str | None = None
) -> T | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, kind):
        raise malformed(route, name or repr(key), value, expected)
    return value


def _kind(value: Any) -> str:
    # For a whole body, its type says more than its (possibly huge) start.
    return f"a JSON {type(value).__name__}" if value is not None else "null"


def link_items(response: httpx.Response, body: Any, items_key: str | None) -> list[Any]:
    """The items of a ``Link``-paginated page (see :func:`parse_link_items`)."""
    return parse_link_items(body, items_key, Route.of(response))


def parse_link_items(body: Any, items_key: str | None, route: Route) -> list[Any]:
    """A bare JSON array, or the list under ``items_key`` (default: the first list-valued key)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        if items_key is not None:
            value = body.get(items_key)
            if isinstance(value, list):
                return value
            raise route.error(f"malformed body: expected a list under {items_key!r}, got {shown(value)}")
        for value in body.values():
            if isinstance(value, list):
                return value
    raise route.error(f"malformed body: expected a JSON array or an object holding one, got {_kind(body)}")


def field(body: Any, key: str, kind: type[T], route: Route | str) -> T:
    """``body[key]`` as ``kind``, or a ``ServerError`` naming ``route`` and ``key``.

    For providers reading a decoded body: ``field(test, "id", int, "GET /api/core/accounts/1/tests")``.
    ``int`` refuses bools (JSON ``true`` is not a number); ``float`` accepts ints.
    """
    value = optional_field(body, key, kind, route)
    if value is None:
        raise malformed(Route.parse(route), repr(key), None, _expected(kind))
    return value


def optional_field(body: Any, key: str, kind: type[T], route: Route | str) -> T | None:
    """Like :func:`field`, but a missing key or a JSON null is ``None``. (``route`` is parsed, and redacted,
    only for an error: a 10,000-test plan reads 70,000 fields.)"""
    if not isinstance(body, dict):
        raise Route.parse(route).error(f"malformed body: expected an object with {key!r}, got {_kind(body)}")
    value = body.get(key)
    if value is None:
        return None
    if kind is float and is_int(value):
        return cast(T, float(value))
    if kind is int and isinstance(value, str) and (number := as_int(value)) is not None:
        return cast(T, number)
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise malformed(Route.parse(route), repr(key), value, _expected(kind))
    return value


_EXPECTED: dict[type[Any], str] = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
    dict: "an object",
    list: "a list",
}


def _expected(kind: type[Any]) -> str:
    return _EXPECTED.get(kind, f"a {kind.__name__}")
