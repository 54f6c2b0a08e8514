"""The test-list filters selectors use, as documented and under the dialects that read them otherwise
(filters-ignored, is-preprod-any, tags-any-case): each checked against the demo account's full list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.e2e import sandbox_server
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, CORE, authed

Item = dict[str, Any]
Params = list[tuple[str, str]]


def _ids(client: httpx.Client, params: Params) -> list[int]:
    body = client.get(f"{CORE}/tests", params=[*params, ("_max_per_page", "100")]).json()
    return [t["id"] for t in body["_embedded"]["items"]]


def _everything(client: httpx.Client) -> list[Item]:
    items: list[Item] = client.get(f"{CORE}/tests", params={"_max_per_page": 100}).json()["_embedded"][
        "items"
    ]
    return items


def _folder(t: Item) -> int:
    folder = t["_embedded"]["folder"]
    return int(folder["id"]) if folder else 0


# The selectors' filters, each with what the document says it keeps.
DOCUMENTED: list[tuple[Params, Callable[[Item], bool]]] = [
    ([("filter[folder][]", "1002"), ("filter[folder][]", "1001")], lambda t: _folder(t) in (1001, 1002)),
    ([("filter[folder][]", "0")], lambda t: _folder(t) == 0),
    ([("filter[tag][]", "promo"), ("filter[tag][]", "pricing")], lambda t: bool({"promo", "pricing"} & set(t["labels"]))),
    ([("filter[exclude_tag][]", "archive"), ("filter[exclude_tag][]", "promo")], lambda t: not {"archive", "promo"} & set(t["labels"])),
    ([("filter[type][]", "ab"), ("filter[tag][]", "promo")], lambda t: t["type"] == "ab" and "promo" in t["labels"]),
    ([("filter[name]", "CHECKOUT")], lambda t: "checkout" in t["name"].lower()),
    ([("filter[active]", "1"), ("filter[type][]", "multipage")], lambda t: t["active"] and t["type"] == "multipage"),
    ([("filter[is_preprod]", "1")], lambda t: t["preprod"]),
    ([("filter[is_preprod]", "0")], lambda t: not t["preprod"]),
    ([("filter[is_schedule]", "1")], lambda t: bool(t["start_datetime"] or t["stop_datetime"])),
    ([("filter[is_schedule]", "0")], lambda t: not (t["start_datetime"] or t["stop_datetime"])),
]  # fmt: skip


@pytest.mark.parametrize(("params", "keeps"), DOCUMENTED, ids=[str(p) for p, _ in DOCUMENTED])
def test_selector_filters_as_documented(
    reader: httpx.Client, params: Params, keeps: Callable[[Item], bool]
) -> None:
    expected = [t["id"] for t in _everything(reader) if keeps(t)]
    assert 0 < len(expected) < 29, "each filter must find something and leave something out"
    assert _ids(reader, params) == expected


@pytest.fixture(scope="module")
def dialect_reader(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    dialects = request.param
    with (
        sandbox_server(seed="demo", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, dialects=dialects) as s,
        authed(s) as client,
    ):
        yield client


@pytest.mark.parametrize("dialect_reader", ["filters-ignored"], indirect=True)
def test_filters_ignored_answers_the_whole_list_for_those_filters(dialect_reader: httpx.Client) -> None:
    everything = [t["id"] for t in _everything(dialect_reader)]
    for name, value in [("folder][", "1002"), ("tag][", "promo"), ("exclude_tag][", "archive")]:
        assert _ids(dialect_reader, [(f"filter[{name}]", value)]) == everything
    assert _ids(dialect_reader, [("filter[is_preprod]", "1"), ("filter[is_schedule]", "1")]) == everything
    # type, name and active still apply: the document's own example uses them
    assert _ids(dialect_reader, [("filter[type][]", "heatmap")]) == [381320]


@pytest.mark.parametrize("dialect_reader", ["is-preprod-any"], indirect=True)
def test_is_preprod_any_value_selects_preprod(dialect_reader: httpx.Client) -> None:
    preprod = [t["id"] for t in _everything(dialect_reader) if t["preprod"]]
    assert preprod == [381314, 381321]
    for value in ("1", "0", "false", "yes"):
        assert _ids(dialect_reader, [("filter[is_preprod]", value)]) == preprod


@pytest.mark.parametrize("dialect_reader", ["tags-any-case"], indirect=True)
def test_tags_any_case(dialect_reader: httpx.Client) -> None:
    assert _ids(dialect_reader, [("filter[tag][]", "PROMO")]) == [381316, 381317]
    assert 381316 not in _ids(dialect_reader, [("filter[exclude_tag][]", "Promo")])


def test_tags_are_exact_by_default(reader: httpx.Client) -> None:
    assert _ids(reader, [("filter[tag][]", "PROMO")]) == []
    assert _ids(reader, [("filter[tag][]", "promo")]) == [381316, 381317]
