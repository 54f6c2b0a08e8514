"""A provider that exists only in this file, registered through the registry's public API, goes through
the CLI end to end (validate, plan, apply, re-plan, a saved plan, a bug's crash log) with no edit to any
shared module. Its "vendor" is a dict in memory; its token is the canary secret."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self

import pytest
from e2e_support import CANARY_SECRET, Result, run_cli
from pydantic import Field

from reconciler.cli import run
from reconciler.config.loaded import LoadedConfig
from reconciler.config.models import StrictModel, Text
from reconciler.core.changes import Action, Change, ChangeKind, ResourceType, display_order
from reconciler.core.state import ABSENT, digest
from reconciler.errors import RequestFailedError
from reconciler.providers import registry
from reconciler.providers.base import Provider, SecretField, UniqueKey, resolve_variable
from reconciler.providers.endpoint import Endpoint
from reconciler.redaction import Secret

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


@pytest.fixture(autouse=True)
def memory_provider(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    registry.register(MemoryProvider)
    STORES.clear()
    CALLS.clear()
    monkeypatch.setenv("RECONCILER_CRASH_LOG", str(tmp_path / "crash.log"))
    yield
    registry.unregister("memory")


def write(tmp_path: Path, widgets: str, name: str = "shop.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"version: 1\nprovider: memory\nstore: shop\nwidgets:\n{widgets}")
    return path


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run_cli(monkeypatch, capsys, {"MEMORY_TOKEN": CANARY_SECRET}, *args)


def test_validate_plan_apply_replan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    STORES["shop"] = {"door": "red"}
    config = str(write(tmp_path, "  - {name: door, color: blue}\n  - {name: hinge, color: black}\n"))

    valid = cli(monkeypatch, capsys, "validate", config)
    assert valid.code == 0 and "1 file valid: 1 account(s)" in valid.out and "2 widget(s)" in valid.out

    planned = cli(monkeypatch, capsys, "plan", config, "--detailed-exitcode")
    assert planned.code == 2, planned.all
    assert f"memory store shop ({config}):" in planned.out
    assert "~ widget door: paint red -> blue" in planned.out
    assert "+ widget hinge (black)" in planned.out
    assert "Plan: 1 to add, 1 to change, 0 to remove." in planned.out

    as_json = json.loads(cli(monkeypatch, capsys, "plan", config, "--format", "json").out)
    [account] = as_json["accounts"]
    assert (account["provider"], account["account"]) == ("memory", "shop")
    assert [c["kind"] for c in account["changes"]] == ["widget_paint", "widget_create"]
    assert (
        "| `+` | `widget hinge` | `(black)` |"
        in cli(monkeypatch, capsys, "plan", config, "--format", "markdown").out
    )

    applied = cli(monkeypatch, capsys, "apply", config, "--auto-approve")
    assert applied.code == 0, applied.all
    assert "Apply complete: 2 applied, 0 failed, 0 skipped." in applied.out
    assert STORES["shop"] == {"door": "blue", "hinge": "black"}

    again = cli(monkeypatch, capsys, "plan", config, "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out


def test_saved_plan_is_applied_and_goes_stale(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    STORES["shop"] = {"door": "red"}
    config = str(write(tmp_path, "  - {name: door, color: blue}\n"))
    saved = str(tmp_path / "plan.json")
    assert cli(monkeypatch, capsys, "plan", config, "--out", saved).code == 0
    STORES["shop"]["door"] = "green"  # someone repaints it by hand after the review
    stale = cli(monkeypatch, capsys, "apply", config, "--auto-approve", "--plan", saved)
    assert stale.code == 1 and "stale plan" in stale.err and "widget door" in stale.err
    assert not [c for c in CALLS if c[0] == "execute"]
    STORES["shop"]["door"] = "red"
    applied = cli(monkeypatch, capsys, "apply", config, "--auto-approve", "--plan", saved)
    assert applied.code == 0 and STORES["shop"] == {"door": "blue"}


def test_its_declarations_drive_validation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dup = write(tmp_path, "  - {name: door, color: blue}\n  - {name: door, color: red}\n", "dup.yaml")
    literal = tmp_path / "literal.yaml"
    literal.write_text("version: 1\nprovider: memory\nstore: other\ntoken: hunter22\n")
    typo = tmp_path / "typo.yaml"
    typo.write_text("version: 1\nprovider: memroy\nstore: x\n")
    result = cli(monkeypatch, capsys, "validate", str(dup), str(literal), str(typo))
    assert result.code == 1
    assert f"{dup}:6:12: duplicate widget name 'door': declared at lines 5 and 6; keep one" in result.err
    assert f"{literal}:4:8: token holds a literal value" in result.err and "${MEMORY_TOKEN}" in result.err
    assert "hunter22" not in result.all
    assert "unknown provider 'memroy'" in result.err and "did you mean 'memory'?" in result.err
    assert "memory" in json.loads(cli(monkeypatch, capsys, "schema").out)["discriminator"]["mapping"]


def test_failures_are_reported_and_a_bug_goes_to_the_crash_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write(tmp_path, "  - {name: door, color: refuse}\n  - {name: hinge, color: black}\n"))
    failed = cli(monkeypatch, capsys, "apply", config, "--auto-approve")
    assert failed.code == 1
    assert "Apply complete: 1 applied, 1 failed, 0 skipped." in failed.out
    assert "failed: widget door" in failed.err
    assert "PUT /widgets/door -> 422: the vendor refuses this colour" in failed.err

    crash = str(write(tmp_path, "  - {name: lid, color: explode}\n", "crash.yaml"))
    for flag in ("-v", "--verbose", None):
        capsys.readouterr()
        code = run(["apply", crash, "--auto-approve", *([flag] if flag else [])])
        err = capsys.readouterr().err
        assert code == 3 and CANARY_SECRET not in err
        assert f"The traceback is in {tmp_path / 'crash.log'}" in err
        assert ("RuntimeError: a bug that quotes the token ***" in err) is (flag is not None)
    text = (tmp_path / "crash.log").read_text()
    assert text.count("RuntimeError: a bug that quotes the token ***") == 3 and CANARY_SECRET not in text


def test_unregistered_it_is_unknown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write(tmp_path, "  - {name: door, color: blue}\n"))
    registry.unregister("memory")
    result = cli(monkeypatch, capsys, "validate", config)
    assert result.code == 1 and "unknown provider 'memory': expected one of abtasty, taplytics" in result.err


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import sys, reconciler.core.changes, reconciler.core.plan, reconciler.core.saved, "
        "reconciler.core.schedule, reconciler.core.state\n"
        "heavy = ('httpx', 'ruamel', 'click', 'starlette', 'uvicorn')\n"
        # httpx._main is reconciler's stub of httpx's command line (see reconciler/__init__.py), not httpx
        "print(sorted({m.split('.')[0] for m in sys.modules if m != 'httpx._main'} & set(heavy)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
