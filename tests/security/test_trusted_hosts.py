"""Issue 13.3: credentials go only to the vendor's documented hosts, loopback, or hosts the operator allowed
outside the config. The refusal comes before any DNS lookup or connection."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from reconciler.providers import registry
from reconciler.providers.trust import url_paths
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, write_config

PAUSE = "tests:\n  - id: 381296\n    state: pause\n"


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every name resolved during the test (none may be: the check comes first)."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def spy(host: object, *args: object, **kwargs: object) -> object:
        looked_up.append(str(host))
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return looked_up


@pytest.mark.parametrize(
    ("line", "where", "host"),
    [
        ("  auth_url: https://evil.example/oauth/v2/token\n", "5", "evil.example"),
        ("  api_url: https://api.abtasty.com.evil.example\n", "5", "api.abtasty.com.evil.example"),
        ("  api_url: https://api.\u0430btasty.com\n", "5", "api.\u0430btasty.com"),  # a Cyrillic a
        ("  api2_url: https://evil.example\n", "5", "evil.example"),  # membership and script went there
    ],
)
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve"), ("validate",)])
def test_a_config_pointing_credentials_elsewhere_exits_1_before_any_lookup(
    cli: CliRunner,
    sandbox: SandboxServer,
    tmp_path: Path,
    no_dns: list[str],
    line: str,
    where: str,
    host: str,
    command: tuple[str, ...],
) -> None:
    config = write_config(tmp_path, line + PAUSE)
    result = cli(*command, str(config))
    assert result.code == 1, result.all
    assert f"{config}:{where}:" in result.err and "not a documented abtasty host" in result.err
    assert "--allow-host" in result.err and "RECONCILER_ALLOW_HOSTS" in result.err
    assert sandbox.requests() == [] and no_dns == []


def test_a_taplytics_config_is_held_to_its_own_host(
    cli: CliRunner, tmp_path: Path, no_dns: list[str]
) -> None:
    config = tmp_path / "t.yaml"
    config.write_text(
        "version: 1\nprovider: taplytics\nproject:\n  name: p\n  api_url: https://api.abtasty.com\n"
        "users:\n  - user_id: u1\n    name: U\n"
    )
    result = cli("plan", str(config), TAPLYTICS_API_TOKEN="tok-12345")
    assert result.code == 1 and f"{config}:5: project.api_url points at 'api.abtasty.com'" in result.err
    assert no_dns == []


def test_the_operator_can_allow_a_host_by_flag_or_environment(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    # The sandbox answers on 127.0.0.1; "localhost.example" is not loopback for the check, so it needs the
    # allowance, and the env URL (operator-controlled) is what the requests use.
    config = write_config(tmp_path, "  api_url: https://mirror.example.com\n" + PAUSE)
    refused = cli("plan", str(config))
    assert refused.code == 1 and "mirror.example.com" in refused.err
    assert cli("plan", str(config), "--allow-host", "mirror.example.com").code == 0
    assert cli("plan", str(config), RECONCILER_ALLOW_HOSTS="other.example, MIRROR.example.com.").code == 0


def test_the_documented_hosts_need_no_allowance(cli: CliRunner, tmp_path: Path) -> None:
    for url in ("https://api.abtasty.com", "https://API.abtasty.com."):
        config = write_config(tmp_path, f"  api_url: {url}\n" + PAUSE)
        result = cli("plan", str(config))
        assert result.code == 0, (url, result.all)


@pytest.mark.parametrize(("url", "host"), [("http://127.0.0.1:9", "127.0.0.1"), ("http://[::1]:9", "::1")])
def test_a_loopback_url_in_a_config_needs_the_operators_allowance(
    cli: CliRunner, tmp_path: Path, no_dns: list[str], url: str, host: str
) -> None:
    # A pull request pointing api_url at a listener on the CI runner would receive the real credentials
    # (issue 24, item 12): loopback is trusted only under --sandbox (which ignores the config's URLs) or when
    # the operator allows it like any other host.
    config = write_config(tmp_path, f"  api_url: {url}\n" + PAUSE)
    refused = cli("plan", str(config))
    assert refused.code == 1 and f"points at '{host}'" in refused.err and no_dns == []
    assert cli("plan", str(config), "--allow-host", host).code == 0


def test_export_update_checks_the_config_too(cli: CliRunner, sandbox: SandboxServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, "  auth_url: https://evil.example/token\n" + PAUSE)
    result = cli("export", "--update", str(config))
    assert result.code == 1 and "not a documented abtasty host" in result.err
    assert sandbox.requests() == []


def _named_urls(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every field whose name says it is a URL, found by name: independent of how trust finds them."""
    out: set[tuple[str, ...]] = set()
    for name, info in model.model_fields.items():
        if name.endswith("_url"):
            out.add((*prefix, name))
        for arg in (info.annotation, *get_args(info.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out |= _named_urls(arg, (*prefix, name))
    return out


@pytest.mark.parametrize("name", registry.names())
def test_every_url_field_of_every_provider_is_checked(name: str) -> None:
    provider = registry.get(name)
    assert provider is not None
    checked = set(url_paths(provider.config_model))
    assert _named_urls(provider.config_model) <= checked and checked


def test_a_link_to_another_host_is_refused_by_the_client() -> None:
    import asyncio

    import httpx

    from reconciler.errors import TransportError
    from reconciler.http import ApiClient

    async def go() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
        async with ApiClient(
            "https://api.abtasty.com", None, transport=transport, origins=("https://api2.abtasty.com",)
        ) as client:
            await client.request("GET", "https://api2.abtasty.com/x")  # a configured origin
            await client.request("GET", "https://api.abtasty.com:443/y")  # the base, its default port
            with pytest.raises(TransportError, match="not one of this account's configured hosts"):
                await client.request("GET", "https://evil.example/next-page")

    asyncio.run(go())


def test_a_url_inside_a_list_is_checked_item_by_item_and_an_unreadable_one_fails_closed() -> None:
    """A URL field of a list's items (none of today's providers has one: a future one must not slip by)."""
    from types import SimpleNamespace

    from reconciler.config.models import StrictModel, Url
    from reconciler.providers.trust import untrusted_urls

    class Hook(StrictModel):
        url: Url | None = None

    class Config(StrictModel):
        hooks: list[Hook] = []

    assert url_paths(Config) == (("hooks", "url"),)
    config = SimpleNamespace(
        hooks=[
            SimpleNamespace(url="https://api.example.com/x"),
            SimpleNamespace(url=None),
            SimpleNamespace(url="https://evil.example/y"),
            SimpleNamespace(url=42),
        ]
    )
    provider = SimpleNamespace(trusted_hosts=("api.example.com",), config_model=Config)
    found = untrusted_urls(SimpleNamespace(config=config), provider, frozenset())  # type: ignore[arg-type]
    assert found == [(("hooks", 2, "url"), "evil.example"), (("hooks", 3, "url"), "")]
