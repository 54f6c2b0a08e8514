"""What the Flagship tests share: a config file of the sandbox's demo environment, the CLI aimed at a sandbox
with a canary secret (searched for in every output), and the provider's share of the request log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.flagship.state import ACCOUNT_ID, ENVIRONMENT_ID
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import Result, run_cli

FLAGSHIP_CANARY = "canary-flagship-secret-5d1e9a2c7b"
HEADER = f"""version: 1
provider: flagship
account:
  id: {ACCOUNT_ID}
  environment: {ENVIRONMENT_ID}
"""
ENV_PATH = f"/v1/accounts/{ACCOUNT_ID}/account_environments/{ENVIRONMENT_ID}"


def write_flagship(tmp_path: Path, body: str, name: str = "flagship.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def flagship_cli(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Result]:
    """``reconciler ARGS`` in-process against ``server`` (started with ``flagship_client_secret`` the
    canary); the secret and every access token issued may appear in no output."""
    env = {k: v for k, v in server.environment().items() if k.startswith("FLAGSHIP_")}

    def invoke(*args: str, **extra: str) -> Result:
        result = run_cli(monkeypatch, capsys, {**env, **extra}, *args)
        assert FLAGSHIP_CANARY not in result.all, "the Flagship client secret leaked into the output"
        assert not any(t in result.all for t in server.issued_tokens()), "an access token leaked"
        return result

    return invoke


def section(server: SandboxServer) -> dict[str, Any]:
    """The sandbox's Flagship state, as a JSON document."""
    state: dict[str, Any] = server.state()["flagship"]
    return state


def api_requests(server: SandboxServer) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["path"].startswith(("/v1/", "/flagship-auth/"))]
