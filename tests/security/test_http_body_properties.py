"""Property tests of the body parsers (issue 13, item 4): any JSON in, a valid result or a ServerError out.

Never a TypeError, KeyError, AttributeError or RecursionError: those exit 3 ("a bug"), while a server that
answers nonsense is the server's fault (exit 1, naming the route and the field). The generated JSON leans
towards the keys the parsers look at, so the interesting shapes (``pages`` a string, ``_embedded`` a list,
``next`` an int) come up in every run.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from reconciler.errors import ServerError, TransportError
from reconciler.http import ApiClient, Route, field, optional_field
from reconciler.http.bodies import HalPage, parse_hal, parse_link_items
from reconciler.http.paging import pager
from tests.support.properties import examples

pytestmark = pytest.mark.slow  # property tests, many examples each

# Hypothesis keeps an example database and a constants cache in ./.hypothesis by default: moved out of the
# work tree, for every property test of the run (collection imports this module in every process); this
# module's own tests keep no database at all, so each of their runs starts fresh.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "reconciler-hypothesis"))
# This module's own settings, not a loaded profile: a profile loaded at import would change every later
# property test in the same worker.
BOUNDS = settings(database=None, deadline=None)

ROUTE = Route("GET", "/api/core/accounts/1/tests")
KEYS = ["_embedded", "items", "pages", "limit", "total", "_links", "next", "href", "users", "id", "name"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["/p2", "https://api.test/p3", "http://evil.test/x", "", "many"])
)
keys = st.sampled_from(KEYS) | st.text(max_size=6)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=20,
)
kinds = st.sampled_from([int, float, str, bool, dict, list])


@settings(BOUNDS, max_examples=examples(300))
@given(json_values)
def test_parse_hal_gives_a_checked_page_or_a_server_error(body: Any) -> None:
    try:
        page = parse_hal(body, ROUTE, max_pages=50)
    except ServerError as error:
        assert str(error).startswith("GET /api/core/accounts/1/tests -> 200: malformed body: ")
        return
    assert isinstance(page, HalPage)
    assert all(isinstance(item, dict) for item in page.items)
    assert page.pages is None or (type(page.pages) is int and 0 <= page.pages <= 50)
    for count in (page.limit, page.total):
        assert count is None or (type(count) is int and count >= 0)
    assert page.next_href is None or (isinstance(page.next_href, str) and page.next_href)


@settings(BOUNDS, max_examples=examples(300))
@given(json_values, st.none() | keys)
def test_parse_link_items_gives_a_list_or_a_server_error(body: Any, items_key: str | None) -> None:
    try:
        items = parse_link_items(body, items_key, ROUTE)
    except ServerError as error:
        assert "malformed body" in str(error)
        return
    assert isinstance(items, list)


@settings(BOUNDS, max_examples=examples(300))
@given(json_values, keys, kinds)
def test_field_gives_the_promised_type_or_a_server_error(body: Any, key: str, kind: type[Any]) -> None:
    try:
        value = optional_field(body, key, kind, "GET /x")
    except ServerError as error:
        assert str(error).startswith("GET /x -> 200: malformed body: ")
        return
    if value is None:
        return
    assert isinstance(value, kind)
    if kind is int:
        assert not isinstance(value, bool)
    assert field(body, key, kind, "GET /x") == value or value != value  # NaN is not equal to itself


@settings(BOUNDS, max_examples=examples(150))
@given(json_values, json_values)
def test_a_whole_collection_read_gives_items_or_a_server_error(first: Any, later: Any) -> None:
    """Through the client: page 1 answers ``first``, every other page ``later``; bounded either way."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        # json.dumps, not json=: httpx refuses NaN, and a server may well send it (Python reads it).
        return httpx.Response(200, content=json.dumps(first if len(sent) == 1 else later).encode())

    async def read() -> None:
        transport = httpx.MockTransport(handler)
        async with ApiClient("https://api.test", None, transport=transport, max_pages=50) as client:
            for collect in (pager(client).hal, pager(client).links):
                sent.clear()
                try:
                    items = await collect("/api/core/accounts/1/tests")
                except (ServerError, TransportError):  # TransportError: a next link to another origin
                    continue
                assert isinstance(items, list)
                assert len(sent) <= 50

    asyncio.run(read())


@settings(BOUNDS, max_examples=examples(200))
@given(st.binary(max_size=64))
def test_any_bytes_answered_200_give_json_or_a_server_error(content: bytes) -> None:
    async def read() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, content=content))
        async with ApiClient("https://api.test", None, transport=transport) as client:
            try:
                await client.get_json("/x")
            except ServerError as error:
                assert str(error).startswith("GET /x -> 200: ")

    asyncio.run(read())
