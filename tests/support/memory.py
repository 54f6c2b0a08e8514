"""The in-memory provider: a vendor that is a dict in memory, registered through the registry's public API.

Generic tests (cli, core, engine, render) run on it so that none of them depends on which vendors are
installed; ``registered()`` adds it for one test and takes it away after. Its token is the canary secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field

from reconciler.config.loaded import LoadedConfig
from reconciler.config.models import StrictModel, Text
from reconciler.core.changes import Action, Change, ChangeKind, ResourceType, display_order
from reconciler.core.state import ABSENT, digest
from reconciler.errors import RequestFailedError
from reconciler.providers import registry
from reconciler.providers.base import Provider, SecretField, UniqueKey, resolve_variable
from reconciler.providers.endpoint import Endpoint
from reconciler.redaction import Secret
from tests.support.e2e import CANARY_SECRET

#: The vendor: store name -> widget name -> colour. "explode" makes execute raise a bug, "refuse" a user error.
STORES: dict[str, dict[str, str]] = {}
CALLS: list[tuple[str, str]] = []


class Widget(StrictModel):
    name: Text
    color: Text


class MemoryConfig(StrictModel):
    version: Literal[1]
    provider: Literal["memory"]
    store: Text
    token: Text = "${MEMORY_TOKEN}"
    widgets: list[Widget] = Field(default_factory=list)


WIDGET = ResourceType("widget", "widget", group=0)


class Kind(ChangeKind):
    WIDGET_CREATE = "widget_create"
    WIDGET_PAINT = "widget_paint"

    @property
    def action(self) -> Action:
        return Action.CREATE if self is Kind.WIDGET_CREATE else Action.UPDATE

    @property
    def resource_type(self) -> ResourceType:
        return WIDGET


@dataclass(frozen=True)
class Painted:
    name: str
    color: str


@dataclass(frozen=True)
class MemoryState:
    widgets: dict[str, Painted] = field(default_factory=dict)

    def fingerprint(self, resource: str) -> str:
        return digest(self.widgets.get(resource.partition(":")[2])) if resource else ABSENT


@dataclass(frozen=True)
class MemoryEndpoint(Endpoint):
    store: str
    token: Secret


class MemoryProvider(Provider):
    name = "memory"
    config_model = MemoryConfig
    kinds = Kind
    account_key = ("store",)
    account_noun = "store"
    credential_paths = (("token",),)
    secret_fields = (SecretField(("token",), "MEMORY_TOKEN"),)
    unique_keys = (UniqueKey(("widgets",), "name", "widget name"),)
    inventory_nouns = ("widget",)

    def __init__(self, loaded: LoadedConfig, endpoint: MemoryEndpoint) -> None:
        super().__init__(loaded)
        self.store = STORES.setdefault(endpoint.store, {})

    @classmethod
    def account_of(cls, config: Any) -> str:
        return str(config.store)

    @classmethod
    def inventory(cls, config: Any) -> Mapping[str, int]:
        return {"widget": len(config.widgets)}

    @classmethod
    def endpoint(cls, loaded: LoadedConfig, env: Mapping[str, str]) -> MemoryEndpoint:
        token = resolve_variable(loaded, ("token",), loaded.config.token, env)  # type: ignore[attr-defined]
        return MemoryEndpoint(loaded.config.store, Secret(token))  # type: ignore[attr-defined]

    @classmethod
    def default_endpoint(cls, env: Mapping[str, str]) -> MemoryEndpoint:
        return MemoryEndpoint("sandbox", Secret(env["MEMORY_TOKEN"]))

    @classmethod
    @asynccontextmanager
    async def open(cls, loaded: LoadedConfig, endpoint: Endpoint, parallelism: int) -> AsyncIterator[Self]:
        assert isinstance(endpoint, MemoryEndpoint)
        yield cls(loaded, endpoint)

    async def fetch(self) -> MemoryState:
        CALLS.append(("fetch", ""))
        return MemoryState({name: Painted(name, color) for name, color in self.store.items()})

    @classmethod
    def diff(cls, config: Any, existing: Any) -> list[Change]:
        changes = []
        for widget in config.widgets:
            have = existing.widgets.get(widget.name)
            if have is None:
                changes.append(
                    Change(
                        Kind.WIDGET_CREATE, f"widget:{widget.name}", widget.name, {}, {"color": widget.color}
                    )
                )
            elif have.color != widget.color:
                before, after = {"color": have.color}, {"color": widget.color}
                changes.append(Change(Kind.WIDGET_PAINT, f"widget:{widget.name}", widget.name, before, after))
        return display_order(changes)

    async def execute(self, change: Change) -> None:
        CALLS.append(("execute", change.resource))
        color = change.after["color"]
        if color == "explode":
            raise RuntimeError(f"a bug that quotes the token {CANARY_SECRET}")
        if color == "refuse":
            raise RequestFailedError("PUT", f"/widgets/{change.key}", 422, "the vendor refuses this colour")
        self.store[change.key] = color

    @classmethod
    def label(cls, change: Change) -> str:
        return f"widget {change.key}"

    @classmethod
    def describe(cls, change: Change) -> str:
        if change.kind is Kind.WIDGET_CREATE:
            return f"({change.after['color']})"
        return f"paint {change.before['color']} -> {change.after['color']}"

    @classmethod
    def inline(cls, change: Change) -> bool:
        return change.kind is Kind.WIDGET_CREATE


@contextmanager
def registered() -> Iterator[type[MemoryProvider]]:
    """The provider registered, its stores and call log empty; unregistered after."""
    registry.register(MemoryProvider)
    STORES.clear()
    CALLS.clear()
    try:
        yield MemoryProvider
    finally:
        registry.unregister("memory")


def write(tmp_path: Path, widgets: str, name: str = "shop.yaml") -> Path:
    """A config of store ``shop`` holding ``widgets`` (YAML list items, indented two spaces)."""
    path = tmp_path / name
    path.write_text(f"version: 1\nprovider: memory\nstore: shop\nwidgets:\n{widgets}")
    return path
