"""A third sandbox vendor, added at run time with ``vendors.register``: it is served, seeded, persisted, masked
in the log and pointed at by ``environment()`` without an edit of any shared sandbox module."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from reconciler.sandbox import vendors
from reconciler.sandbox.dialects import known, parse_dialects
from reconciler.sandbox.seed import check_seed, initial_state
from reconciler.sandbox.server import serve_in_thread
from reconciler.sandbox.store import Fragments, Record, Store, load_state
from reconciler.sandbox.vendor import MAIN_HOST, Credentials, CredentialSpec, SandboxVendor, Section, Seed
from reconciler.sandbox.web import ApiProblem, json_object, persist, sandbox_of

KEY = "toy-key-canary-0123456789"


class ToyState:
    def __init__(self, data: Mapping[str, Any], changed: Callable[[], None]) -> None:
        raw = data.get("toy_items", {})
        if not isinstance(raw, dict):
            raise ValueError("'toy_items' must be an object")
        self.items: dict[int, Record] = {int(k): v for k, v in raw.items()}
        self._changed = changed
        self._frags = Fragments(self.items, int)

    def touch(self, item_id: int) -> None:
        self._frags.touch(item_id)
        self._changed()

    def head(self) -> dict[str, Any]:
        return {}

    def collections(self) -> list[tuple[str, bytes]]:
        return [("toy_items", self._frags.text())]

    def summary(self) -> str:
        return f"{len(self.items)} toy items"


def _toy(request: Request) -> ToyState:
    return sandbox_of(request).store.section("toy", ToyState)


async def list_items(request: Request) -> JSONResponse:
    if request.headers.get("x-toy-key") != sandbox_of(request).credentials["toy_key"]:
        raise ApiProblem(401, "bad key")
    loud = sandbox_of(request).plays("toy-loud")
    return JSONResponse(
        {"items": [i["name"].upper() if loud else i["name"] for i in _toy(request).items.values()]}
    )


async def add_item(request: Request) -> JSONResponse:
    body = await json_object(request)
    toy = _toy(request)
    item: dict[str, Any] = {"id": max(toy.items, default=0) + 1, "name": str(body["name"])}
    toy.items[item["id"]] = item
    toy.touch(item["id"])
    await persist(sandbox_of(request))
    return JSONResponse(item, status_code=201)


class ToySandbox(SandboxVendor):
    name = "toy"
    title = "Toy"
    prefixes = ("/toy/",)
    credentials = (CredentialSpec("toy_key", "TOY_API_KEY", "toy-demo-key-000"),)
    redacted_keys = frozenset({"toy_secret"})
    dialects = {"toy-loud": "Toy names in capitals"}
    seed_counts = {"items": "I"}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/toy/items", list_items, methods=["GET"]),
            Route("/toy/items", add_item, methods=["POST"]),
        ]

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"toy_error": message}

    def new_state(self, seed: Seed) -> dict[str, Any]:
        count = 2 if seed.kind == "demo" else seed.counts.get("items", 0)
        return {"toy_items": {str(i): {"id": i, "name": f"item {i}"} for i in range(1, count + 1)}}

    def load_state(self, data: Mapping[str, Any], changed: Callable[[], None]) -> Section:
        return ToyState(data, changed)

    def environment(self, urls: Mapping[str, str], credentials: Credentials) -> dict[str, str]:
        return {"TOY_API_URL": urls[MAIN_HOST], "TOY_API_KEY": credentials["toy_key"]}


@pytest.fixture
def toy() -> Iterator[ToySandbox]:
    vendor = ToySandbox()
    vendors.register(vendor)
    try:
        yield vendor
    finally:
        vendors.unregister(vendor.name)


def test_a_registered_vendor_is_served_with_its_credentials_and_error_shape(toy: ToySandbox) -> None:
    with serve_in_thread(toy_key=KEY, dialects="toy-loud") as server:
        assert server.environment()["TOY_API_URL"] == server.url and server.toy_key == KEY
        listed = httpx.get(f"{server.url}/toy/items", headers={"x-toy-key": KEY})
        assert listed.json() == {"items": ["ITEM 1", "ITEM 2"]}
        refused = httpx.get(f"{server.url}/toy/items", headers={"x-toy-key": "wrong"})
        assert (refused.status_code, refused.json()) == (401, {"toy_error": "bad key"})
        missing = httpx.get(f"{server.url}/toy/nothing")
        assert missing.status_code == 404 and "toy_error" in missing.json()
        # the vendors already there are still served
        assert httpx.get(
            f"{server.url}/v2/users", headers={"x-access-token": server.taplytics_token}
        ).is_success


def test_a_registered_vendor_has_its_section_of_the_state_file(toy: ToySandbox, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with serve_in_thread(seed="generated:items=3", state_path=path, toy_key=KEY) as server:
        body = {"name": "new", "toy_secret": KEY}
        assert httpx.post(f"{server.url}/toy/items", json=body).status_code == 201
        logged = server.requests()[-1]
    assert logged["body"] == {"name": "new", "toy_secret": "***"}
    state = load_state(path)
    assert [i["name"] for i in state.section("toy", ToyState).items.values()][-1] == "new"
    assert "toy_items" in json.loads(path.read_text()) and "4 toy items" in state.summary()


def test_a_registered_vendor_adds_its_dialects_and_seed_counts(toy: ToySandbox) -> None:
    assert "toy-loud" in known() and parse_dialects("toy-loud,cursor") == {"toy-loud", "cursor"}
    assert check_seed("generated:items=5") is not None
    assert len(Store(initial_state("generated:items=5")).section("toy", ToyState).items) == 5


def test_unregistering_leaves_the_built_in_vendors(toy: ToySandbox) -> None:
    vendors.unregister("toy")
    assert "toy" not in [v.name for v in vendors.vendors()]
    assert {"abtasty", "taplytics"} <= {v.name for v in vendors.vendors()}
