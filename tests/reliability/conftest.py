"""Helpers for the fault and crash tests of apply: a generated-seed sandbox and an in-process CLI against it.

(The helpers every end-to-end test shares live in tests/support/e2e.py.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import Result, run_cli, server_env

Cli = Callable[..., Result]


@pytest.fixture
def cli_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[SandboxServer], Cli]:
    """``cli_for(server)("plan", ...)``: run the CLI in-process against ``server``."""

    def bind(server: SandboxServer) -> Cli:
        def invoke(*args: str) -> Result:
            return run_cli(monkeypatch, capsys, server_env(server), *args)

        return invoke

    return bind
