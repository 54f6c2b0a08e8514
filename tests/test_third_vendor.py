"""Issue 23's proof of the house: a third vendor is one provider class plus one sandbox vendor, registered at
run time through the two public registries, and the real CLI plans, applies and plans again against it over
real HTTP on 127.0.0.1, with no edit of any shared module (this file is all there is of it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

import httpx
import pytest
from pydantic import Field

from reconciler.cli import run
from reconciler.config.loaded import LoadedConfig
from reconciler.config.models import StrictModel, Text, Url
from reconciler.core.changes import Action, Change, ChangeKind, ResourceType
from reconciler.core.state import ABSENT, digest
from reconciler.http import ApiClient, TokenHeaderAuth
from reconciler.providers import registry
from reconciler.providers.base import Provider, SecretField, resolve_variable
from reconciler.providers.endpoint import Endpoint
from reconciler.redaction import Secret
from reconciler.sandbox import vendors
from reconciler.sandbox.server import serve_in_thread
from tests.sandbox.test_sandbox_vendor import KEY, ToySandbox

ITEM = ResourceType("item", "item", group=0)


class ToyKind(ChangeKind):
    ITEM_ADD = "item_add"

    @property
    def action(self) -> Action:
        return Action.CREATE

    @property
    def resource_type(self) -> ResourceType:
        return ITEM


class ToyConfig(StrictModel):
    version: Literal[1]
    provider: Literal["toy"]
    shop: Text
    api_url: Url | None = None
    key: Text = "${TOY_API_KEY}"
    items: list[Text] = Field(default_factory=list)


@dataclass(frozen=True)
class ToyState:
    items: frozenset[str]

    def fingerprint(self, resource: str) -> str:
        name = resource.partition(":")[2]
        return digest(name) if name in self.items else ABSENT


@dataclass(frozen=True)
class ToyEndpoint(Endpoint):
    api_url: str
    key: Secret


class ToyProvider(Provider[ToyConfig, ToyState, ToyEndpoint]):
    name = "toy"
    config_model = ToyConfig
    kinds = ToyKind
    account_key = ("shop",)
    account_noun = "shop"
    credential_paths = (("key",),)
    secret_fields = (SecretField(("key",), "TOY_API_KEY"),)
    inventory_nouns = ("item",)
    trusted_hosts = ("api.toy.example",)

    def __init__(self, loaded: LoadedConfig, client: ApiClient) -> None:
        super().__init__(loaded)
        self.client = client

    @classmethod
    def account_of(cls, config: ToyConfig) -> str:
        return config.shop

    @classmethod
    def endpoint(cls, loaded: LoadedConfig, env: Mapping[str, str]) -> ToyEndpoint:
        config = cls.config_of(loaded)
        key = resolve_variable(loaded, ("key",), config.key, env)
        return ToyEndpoint(env.get("TOY_API_URL") or config.api_url or "https://api.toy.example", Secret(key))

    @classmethod
    def default_endpoint(cls, env: Mapping[str, str]) -> ToyEndpoint:
        return ToyEndpoint(env.get("TOY_API_URL", "https://api.toy.example"), Secret(env["TOY_API_KEY"]))

    @classmethod
    @asynccontextmanager
    async def open(cls, loaded: LoadedConfig, endpoint: ToyEndpoint, parallelism: int) -> AsyncIterator[Self]:
        auth = TokenHeaderAuth(endpoint.key, header="x-toy-key")
        async with ApiClient(endpoint.api_url, auth, parallelism=parallelism) as client:
            yield cls(loaded, client)

    async def fetch(self) -> ToyState:
        body = (await self.client.request("GET", "/toy/items")).json()
        return ToyState(frozenset(str(name) for name in body["items"]))

    @classmethod
    def diff(cls, config: ToyConfig, existing: ToyState) -> list[Change]:
        return [
            Change(ToyKind.ITEM_ADD, f"item:{n}", n, {}, {}) for n in config.items if n not in existing.items
        ]

    async def execute(self, change: Change) -> None:
        await self.client.request("POST", "/toy/items", json={"name": change.key})

    @classmethod
    def label(cls, change: Change) -> str:
        return f"item {change.key}"

    @classmethod
    def describe(cls, change: Change) -> str:
        return "(new)"


@pytest.fixture
def third_vendor() -> Iterator[None]:
    registry.register(ToyProvider)
    sandbox_vendor = ToySandbox()
    vendors.register(sandbox_vendor)
    try:
        yield
    finally:
        vendors.unregister(sandbox_vendor.name)
        registry.unregister(ToyProvider.name)


def test_a_third_vendor_plans_applies_and_converges_with_no_shared_edit(
    third_vendor: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "shop.yaml"
    config.write_text("version: 1\nprovider: toy\nshop: corner\nitems:\n  - item 1\n  - lamp\n")
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    with serve_in_thread(toy_key=KEY) as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        assert run(["validate", str(config)]) == 0
        assert run(["plan", str(config), "--detailed-exitcode"]) == 2
        assert "+ item lamp" in capsys.readouterr().out
        assert run(["apply", str(config), "--auto-approve"]) == 0
        assert run(["plan", str(config), "--detailed-exitcode"]) == 0
        listed = httpx.get(f"{server.url}/toy/items", headers={"x-toy-key": KEY}).json()
    assert listed == {"items": ["item 1", "item 2", "lamp"]}  # the server's own state
    assert KEY not in capsys.readouterr().out
