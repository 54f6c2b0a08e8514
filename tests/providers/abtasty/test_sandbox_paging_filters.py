"""HAL paging across several pages and every documented filter of the tests list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.e2e import sandbox_server
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, CORE, authed

Item = dict[str, Any]


def _all_tests(reader: httpx.Client) -> list[Item]:
    items: list[Item] = reader.get(f"{CORE}/tests", params={"_max_per_page": 100}).json()["_embedded"][
        "items"
    ]
    return items


def _walk(reader: httpx.Client, first: str) -> list[dict[str, Any]]:
    pages, href = [], first
    while True:
        body = reader.get(href).json()
        pages.append(body)
        if "next" not in body["_links"]:
            return pages
        href = body["_links"]["next"]["href"]


def test_membership_pages_follow_next_links(reader: httpx.Client) -> None:
    pages = _walk(reader, f"{CORE}/membership?_max_per_page=4")
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert all(p["pages"] == 4 and p["total"] == 15 and p["limit"] == 4 for p in pages)
    ids = [m["id"] for p in pages for m in p["_embedded"]["items"]]
    assert len(ids) == 15 and ids == sorted(ids) and 80397 in ids and 132419 in ids
    assert "previous" not in pages[0]["_links"]
    assert pages[1]["_links"]["previous"]["href"] == f"{CORE}/membership?_page=1&_max_per_page=4"
    assert pages[2]["_links"]["self"]["href"] == f"{CORE}/membership?_page=3&_max_per_page=4"
    for page in pages:
        assert page["_links"]["first"]["href"] == f"{CORE}/membership?_page=1&_max_per_page=4"
        assert page["_links"]["last"]["href"] == f"{CORE}/membership?_page=4&_max_per_page=4"


def test_tests_default_to_ten_per_page_and_keep_filters_in_links(reader: httpx.Client) -> None:
    pages = _walk(reader, f"{CORE}/tests")
    assert [len(p["_embedded"]["items"]) for p in pages] == [10, 10, 9]
    assert pages[0]["limit"] == 10 and pages[0]["pages"] == 3
    body = reader.get(
        f"{CORE}/tests", params=[("filter[exclude_tag][]", "archive"), ("_max_per_page", "5")]
    ).json()
    assert body["_links"]["next"]["href"] == (
        f"{CORE}/tests?filter%5Bexclude_tag%5D%5B0%5D=archive&_page=2&_max_per_page=5"
    )


def test_page_past_the_end_is_empty(reader: httpx.Client) -> None:
    body = reader.get(f"{CORE}/tests", params={"_page": 9}).json()
    assert body["_embedded"]["items"] == [] and body["pages"] == 3
    assert "next" not in body["_links"] and body["_links"]["previous"]["href"].endswith(
        "_page=3&_max_per_page=10"
    )


def test_page_size_is_capped() -> None:
    with (
        sandbox_server(page_cap=7, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as server,
        authed(server) as api,
    ):
        body = api.get(f"{CORE}/tests", params={"_max_per_page": 1000}).json()
    assert body["limit"] == 7 and len(body["_embedded"]["items"]) == 7 and body["pages"] == 5


FILTERS: list[tuple[list[tuple[str, str]], Callable[[Item], bool]]] = [
    ([("filter[name]", "CHECKOUT")], lambda t: "checkout" in t["name"].lower()),
    ([("filter[name_or_url]", "archive/3")], lambda t: t["id"] == 381333),
    ([("filter[name_or_url]", "gil")], lambda t: t["id"] == 365111),
    ([("filter[search]", "381296")], lambda t: t["id"] == 381296),
    ([("filter[search]", "public api")], lambda t: t["id"] in (381296, 381301)),
    ([("filter[parent][]", "381312")], lambda t: t["tunnel_parent"] == 381312),
    ([("filter[parent][]", "0")], lambda t: t["tunnel_parent"] == 0),
    ([("filter[type][]", "heatmap"), ("filter[type][]", "predictive")], lambda t: t["type"] in ("heatmap", "predictive")),
    ([("filter[type]", "multipage")], lambda t: t["type"] == "multipage"),
    ([("filter[folder][]", "1001")], lambda t: (t["_embedded"]["folder"] or {}).get("id") == 1001),
    ([("filter[folder][]", "0")], lambda t: t["_embedded"]["folder"] is None),
    ([("filter[active]", "1")], lambda t: t["active"]),
    ([("filter[active]", "0")], lambda t: not t["active"]),
    ([("filter[is_preprod]", "1")], lambda t: t["preprod"]),
    ([("filter[is_schedule]", "1")], lambda t: bool(t["start_datetime"] or t["stop_datetime"])),
    ([("filter[is_schedule]", "0")], lambda t: not (t["start_datetime"] or t["stop_datetime"])),
    ([("filter[tag][]", "promo")], lambda t: "promo" in t["labels"]),
    ([("filter[exclude_tag][]", "archive")], lambda t: "archive" not in t["labels"]),
]  # fmt: skip


@pytest.mark.parametrize(("params", "predicate"), FILTERS, ids=[str(p) for p, _ in FILTERS])
def test_filter(
    reader: httpx.Client, params: list[tuple[str, str]], predicate: Callable[[Item], bool]
) -> None:
    expected = [t["id"] for t in _all_tests(reader) if predicate(t)]
    body = reader.get(f"{CORE}/tests", params=[*params, ("_max_per_page", "100")]).json()
    got = [t["id"] for t in body["_embedded"]["items"]]
    assert got == expected and body["total"] == len(expected)
    assert 0 < len(expected) < 29, "each filter must find something and leave something out"


def test_order_by_id_and_name(reader: httpx.Client) -> None:
    ids = [t["id"] for t in _all_tests(reader)]
    assert ids == sorted(ids)
    desc = reader.get(f"{CORE}/tests", params={"filter[_order][id]": "DESC", "_max_per_page": 100}).json()
    assert [t["id"] for t in desc["_embedded"]["items"]] == sorted(ids, reverse=True)
    by_name = reader.get(f"{CORE}/tests", params={"filter[_order][name]": "asc", "_max_per_page": 100}).json()
    names = [t["name"].lower() for t in by_name["_embedded"]["items"]]
    assert names == sorted(names)


def test_sub_collection_filters(reader: httpx.Client) -> None:
    events = f"{CORE}/tests/367659/global_modifications"
    assert [
        e["id"] for e in reader.get(events, params={"filter[type]": "plugin"}).json()["_embedded"]["items"]
    ] == [162010]
    desc = reader.get(events, params={"filter[_order][id]": "DESC"}).json()["_embedded"]["items"]
    assert [e["id"] for e in desc] == [162011, 162010]
    mods = f"{CORE}/tests/381301/variations/491035/modifications"
    assert reader.get(mods, params={"filter[Operation]": "hideCSS"}).json()["total"] == 1
    assert reader.get(mods, params={"filter[Operation]": "addCSS"}).json()["total"] == 0
