"""An API URL variable moved without its auth URL variable is refused before any request (issue 31): the
token request, with the client secret, would otherwise still go to the vendor's production token URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import TransportError
from reconciler.providers import registry
from reconciler.providers.trust import check_url_pairs
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, write_config

PAUSE = "tests:\n  - id: 381296\n    state: pause\n"


@pytest.mark.parametrize("api", ["ABTASTY_API_URL", "ABTASTY_API2_URL"])
def test_plan_refuses_an_api_url_without_its_auth_url(
    api: str, cli: CliRunner, sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ABTASTY_API_URL", "ABTASTY_API2_URL", "ABTASTY_AUTH_URL"):
        if name != api:
            monkeypatch.delenv(name)
    result = cli("plan", str(write_config(tmp_path, PAUSE)))
    assert result.code == 1, result.all
    assert f"{api} is set" in result.err
    assert "Set ABTASTY_AUTH_URL too" in result.err and "production token URL" in result.err
    assert sandbox.requests() == []


def test_export_refuses_an_api_url_without_its_auth_url(
    cli: CliRunner, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ABTASTY_AUTH_URL")
    monkeypatch.delenv("ABTASTY_API2_URL")
    result = cli("export", "--provider", "abtasty", "--account", "41902")
    assert result.code == 1 and "but ABTASTY_AUTH_URL is not" in result.err
    assert sandbox.requests() == []


def test_every_declared_pair_is_checked_for_every_provider() -> None:
    for provider in registry.providers():
        for pair in provider.url_pairs:
            with pytest.raises(TransportError, match=f"Set {pair.auth} too"):
                check_url_pairs(provider, {pair.api: "https://staging.example.com"})
            check_url_pairs(
                provider, {pair.api: "https://s.example.com", pair.auth: "https://s.example.com/t"}
            )


def test_abtasty_declares_its_pairs() -> None:
    provider = registry.get("abtasty")
    assert provider is not None
    pairs = {(p.api, p.auth) for p in provider.url_pairs}
    assert ("ABTASTY_API_URL", "ABTASTY_AUTH_URL") in pairs
