"""Which page of a ``Link``-paginated collection comes next, when the server's links cannot be taken as given.

The Taplytics document promises ``next`` only "if available" and its own example labels page 2 ``next`` on
page 3 of 4; ``numEntities`` says how many there are. So the client reads on by three rules, each a fair
reading of the document and none a loop:

- an empty page after the first ends the list, whatever its links say (a server that names a ``next``
  on every page, past the end, is not followed to the deadline);
- a ``next`` link that names a page number not after the one just read is not followed (the example's
  reading); nor is it a loop error when the count says more follow: the next page is asked by number;
- with no usable link nor cursor, while fewer items were read than ``numEntities`` announced, page
  ``n + 1`` is asked by number (a server that sends no ``Link`` at all).
"""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.http.bodies import as_int


def page_of(url: httpx.URL) -> int | None:
    """The ``page`` query parameter of ``url`` as a number (None when absent or not a number)."""
    return as_int(url.params.get("page"))


def names_an_earlier_page(response: httpx.Response, href: str) -> bool:
    """Whether the ``next`` link ``href`` names a page number at or before the page ``response`` is."""
    here = page_of(response.request.url) or 1
    there = page_of(response.request.url.join(href))
    return there is not None and there <= here


def announced(body: Any) -> int | None:
    """``numEntities``, when the body says it (a number, or a numeric string)."""
    return as_int(body.get("numEntities")) if isinstance(body, dict) else None


def by_number(response: httpx.Response, body: Any, read: int) -> httpx.URL | None:
    """Page ``n + 1`` of the request's URL while the count says more items follow; else None."""
    total = announced(body)
    if total is None or read >= total:
        return None
    here = page_of(response.request.url) or 1
    return response.request.url.copy_set_param("page", str(here + 1))
