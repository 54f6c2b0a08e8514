"""Read routes: tests (list with filters, one), their targetings, variations, modifications, tool links,
global modifications (events)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.abtasty import readings
from reconciler.sandbox.abtasty.filters import order_only, select_tests
from reconciler.sandbox.abtasty.hal import hal_collection
from reconciler.sandbox.abtasty.render import (
    DEFAULT_VARIATIONS,
    account_path,
    render_test,
    render_variation,
    with_self_link,
)
from reconciler.sandbox.abtasty.state import state_of
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.pages import json_page
from reconciler.sandbox.store import Record
from reconciler.sandbox.web import ApiProblem, authorize

_TARGETING_ID = re.compile(r"^(?:[A-Za-z_]+-)?(\d+)$")
EVENT_TYPES = ("plugin", "actionTracking")


def _int(request: Request, name: str) -> int:
    value = request.path_params[name]
    assert isinstance(value, int)
    return value


def load_test(request: Request) -> tuple[Sandbox, Record]:
    """Authorize, then find the test named by the path; 404 when it does not exist."""
    sandbox = authorize(request, _int(request, "account_id"))
    test_id = _int(request, "test_id")
    test = state_of(sandbox).tests.get(test_id)
    if test is None:
        raise ApiProblem(404, f"Test {test_id} not found")
    return sandbox, test


def _find(items: list[Record], item_id: int, what: str) -> Record:
    for item in items:
        if item["id"] == item_id:
            return item
    raise ApiProblem(404, f"{what} {item_id} not found")


def _test_href(sandbox: Sandbox, test: Record) -> str:
    return f"{account_path(sandbox.store.account_id)}/tests/{test['id']}"


async def list_tests(request: Request) -> Response:
    sandbox = authorize(request, _int(request, "account_id"))
    store = sandbox.store

    def page() -> dict[str, Any]:
        chosen = select_tests(request, list(state_of(store).tests.values()), sandbox.dialects)
        asks_parent = any(k.startswith("filter[parent]") for k in request.query_params)
        chosen = readings.listed(chosen, asks_parent, sandbox.dialects)
        render = lambda t: render_test(t, store.account_id, state_of(store).folders, sandbox.dialects)  # noqa: E731
        return hal_collection(request, chosen, render, sandbox.page_cap)

    return json_page(request, sandbox.page_cache, store, page)


async def get_test(request: Request) -> JSONResponse:
    sandbox, test = load_test(request)
    return JSONResponse(
        render_test(test, sandbox.store.account_id, state_of(sandbox).folders, sandbox.dialects)
    )


async def list_targetings(request: Request) -> JSONResponse:
    _, test = load_test(request)
    return JSONResponse(test.get("targetings", []))  # a bare array, as documented


async def get_targeting(request: Request) -> JSONResponse:
    _, test = load_test(request)
    raw = str(request.path_params["targeting_id"])
    match = _TARGETING_ID.match(raw)
    if match:  # "ip-1106739" as in the example, or its number alone as the route table says (\d+)
        for group in test.get("targetings", []):
            for item in group.get("data", []):
                if item["id"] == raw or item["id"].rsplit("-", 1)[-1] == match[1]:
                    return JSONResponse({k: item[k] for k in ("id", "format", "condition", "include")})
    raise ApiProblem(404, f"Targeting {raw} not found")


async def list_variations(request: Request) -> JSONResponse:
    _, test = load_test(request)
    return JSONResponse(test.get("variations", DEFAULT_VARIATIONS))  # a bare array, as documented


async def get_variation(request: Request) -> JSONResponse:
    sandbox, test = load_test(request)
    variation = _find(test.get("variations", DEFAULT_VARIATIONS), _int(request, "variation_id"), "Variation")
    return JSONResponse(render_variation(variation, _test_href(sandbox, test)))


def _modifications(request: Request) -> tuple[Sandbox, str, list[Record]]:
    sandbox, test = load_test(request)
    variation_id = _int(request, "variation_id")
    _find(test.get("variations", DEFAULT_VARIATIONS), variation_id, "Variation")
    href = f"{_test_href(sandbox, test)}/variations/{variation_id}/modifications"
    return sandbox, href, test.get("modifications", {}).get(str(variation_id), [])


async def list_modifications(request: Request) -> JSONResponse:
    sandbox, href, items = _modifications(request)
    operation = request.query_params.get("filter[Operation]") or request.query_params.get("filter[operation]")
    if operation:  # "Search by operation of the modification": the modification's type (hideCSS, ...)
        items = [m for m in items if m.get("type") == operation]
    return JSONResponse(
        hal_collection(request, items, lambda m: with_self_link(m, f"{href}/{m['id']}"), sandbox.page_cap)
    )


async def get_modification(request: Request) -> JSONResponse:
    _, href, items = _modifications(request)
    item = _find(items, _int(request, "modification_id"), "Modification")
    return JSONResponse(with_self_link(item, f"{href}/{item['id']}"))


def _children(request: Request, key: str) -> tuple[Sandbox, str, list[Record]]:
    sandbox, test = load_test(request)
    return sandbox, f"{_test_href(sandbox, test)}/{key}", test.get(key, [])


async def list_toollinks(request: Request) -> JSONResponse:
    sandbox, href, items = _children(request, "toollinks")
    return JSONResponse(
        hal_collection(request, items, lambda i: with_self_link(i, f"{href}/{i['id']}"), sandbox.page_cap)
    )


async def get_toollink(request: Request) -> JSONResponse:
    _, href, items = _children(request, "toollinks")
    item = _find(items, _int(request, "toollink_id"), "Tool link")
    return JSONResponse(with_self_link(item, f"{href}/{item['id']}"))


async def list_global_modifications(request: Request) -> JSONResponse:
    sandbox, href, items = _children(request, "global_modifications")
    kind = request.query_params.get("filter[type]")
    if kind is not None:
        if kind not in EVENT_TYPES:
            raise ApiProblem(
                400, f"Invalid parameter 'filter[type]': expected plugin|actionTracking, got {kind!r}"
            )
        items = [i for i in items if i.get("type") == kind]
    items = order_only(request, items)
    render: Any = lambda i: with_self_link(i, f"{href}/{i['id']}")  # noqa: E731
    return JSONResponse(hal_collection(request, items, render, sandbox.page_cap))


async def get_global_modification(request: Request) -> JSONResponse:
    _, href, items = _children(request, "global_modifications")
    item = _find(items, _int(request, "global_modification_id"), "Global modification")
    return JSONResponse(with_self_link(item, f"{href}/{item['id']}"))
