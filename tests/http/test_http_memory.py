"""A collection read page by page is let go page by page (issue 29: 50,000 tests peaked at 491 MB).

Each page's items are parsed as the page comes (``parse=``) and its answer dropped then; an answer is freed
when dropped, by reference counting, not at the cyclic collector's next pass (which a one-shot command
runs rarely: ``reconciler.gcpolicy``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from reconciler.http.paging import pager
from tests.http.test_http_pagination import abtasty
from tests.support.fake_http import TESTS_PATH, FakeAbTasty


def live_responses() -> int:
    """The page answers alive (the token's is httpx's own business: its auth flow, once a run)."""
    return sum(isinstance(o, httpx.Response) and o.request.url.path == TESTS_PATH for o in gc.get_objects())


@contextmanager
def no_collector() -> Iterator[None]:
    """What a plan runs with between two rare passes: whatever is cyclic stays."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_each_page_is_parsed_as_it_comes_and_no_answer_outlives_its_page(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap = 50, 10  # page 1, then 4 pages
    seen: list[int] = []  # the most answers alive while an item is parsed

    def parse(item: dict[str, Any]) -> int:
        if item["id"] % 10 == 9:  # once a page
            seen.append(live_responses())
        return int(item["id"]) * 2

    with no_collector():
        async with abtasty(fake, parallelism=1) as client:
            parsed = await pager(client).hal(TESTS_PATH, per_page=100, parse=parse)
        after = live_responses()
    assert parsed == [i * 2 for i in range(50)]  # in page order
    # Page 1's answer (its page count is still in use) and the one being parsed: never the pages before,
    # which the old way kept until the collector ran (every one of them, with the collector off).
    assert len(seen) == 5 and max(seen) <= 2
    assert after == 0


async def test_hal_rest_parses_too_and_links_are_followed_with_it(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap = 23, 10
    async with abtasty(fake) as client:
        first = await pager(client).hal_first(TESTS_PATH)
        rest = await pager(client).hal_rest(TESTS_PATH, None, first, parse=lambda i: -int(i["id"]))
    assert rest == [-i for i in range(10, 23)]
    fake.include_pages = False  # no page count: _links.next is followed, each page parsed
    async with abtasty(fake) as client:
        assert await pager(client).hal(TESTS_PATH, parse=lambda i: str(i["id"])) == [
            str(i) for i in range(23)
        ]
