"""Pre-serialised list pages (``serve --page-cache``): the JSON body of each list page, kept until the next
mutation, so a benchmark measures its client and not the sandbox re-rendering 100 tests per page.

A body is keyed by the request's path and raw query string and belongs to one version of the store (the
store object and its ``seq``, which every mutation through the routes bumps); the first request after a
mutation drops every body. Authorization, faults, latency and the request log run as without the cache:
only the rendering of an unchanged page is skipped, and the bytes sent are the ones it would produce.
Off by default, because code that edits the store's records directly (some tests do) bypasses ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.store import Store

# Bodies kept at most: any query string is a key, so a client asking endless variants must not grow the
# cache without end; past this, pages are rendered as without it (a 10,000-test account has 100 pages).
MAX_BODIES = 2_000


class PageCache:
    """Bodies of the current store version, by ``path?query``; ``hits`` counts pages served from it,
    ``misses`` pages rendered into it."""

    def __init__(self) -> None:
        self._version: tuple[Store, int] | None = None
        self._bodies: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0

    def body(self, store: Store, key: str, build: Callable[[], Any]) -> bytes:
        """The JSON body for ``key``: cached for this version of ``store``, else ``build()`` serialised as a
        ``JSONResponse`` would serialise it (an exception from ``build`` caches nothing)."""
        version = (store, store.seq)
        if self._version is None or self._version[0] is not store or self._version[1] != store.seq:
            self._bodies.clear()
            self._version = version
        body = self._bodies.get(key)
        if body is not None:
            self.hits += 1
            return body
        body = bytes(JSONResponse(build()).body)
        if len(self._bodies) < MAX_BODIES:
            self._bodies[key] = body
        self.misses += 1
        return body


def json_page(request: Request, cache: PageCache | None, store: Store, build: Callable[[], Any]) -> Response:
    """``build()`` as a JSON response, from ``cache`` when it is on and holds this page of ``store``."""
    if cache is None:
        return JSONResponse(build())
    key = f"{request.url.path}?{request.scope.get('query_string', b'').decode('latin-1')}"
    return Response(cache.body(store, key, build), media_type="application/json")
