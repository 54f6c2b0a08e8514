"""Fixtures of the export tests: a fresh demo sandbox over HTTP and the CLI run in-process against it.

Each vendor's conftest.py (tests/providers/<vendor>/) takes the ones its export tests use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, CliRunner, Result, run_cli, sandbox_server, server_env
from tests.support.export import Aim, Point
from tests.support.taplytics import TAPLYTICS_CANARY, taplytics_env


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A fresh demo account (AB Tasty account 41902) with a state file."""
    with sandbox_server(
        seed="demo", state_path=tmp_path / "state.json", client_id=CLIENT_ID, client_secret=CANARY_SECRET
    ) as server:
        yield server


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """``reconciler ARGS`` in-process; point it at a server with ``point(server)`` first (or pass env)."""

    def invoke(*args: str, **env: str) -> Result:
        return run_cli(monkeypatch, capsys, env, *args)

    return invoke


@pytest.fixture
def point(monkeypatch: pytest.MonkeyPatch) -> Point:
    """``point(server)``: the environment (URLs, canary credentials) of every later CLI run."""

    def to(server: SandboxServer) -> None:
        for key, value in server_env(server).items():
            monkeypatch.setenv(key, value)

    return to


@pytest.fixture
def demo(sandbox: SandboxServer, point: Point) -> SandboxServer:
    """The demo sandbox, with the CLI pointed at it."""
    point(sandbox)
    return sandbox


@pytest.fixture
def tap(cli: CliRunner) -> CliRunner:
    """The CLI, with every output also searched for the Taplytics canary token."""

    def run(*args: str, **env: str) -> Result:
        result = cli(*args, **env)
        assert TAPLYTICS_CANARY not in result.all, "the API token leaked into the output"
        return result

    return run


@pytest.fixture
def aim(monkeypatch: pytest.MonkeyPatch) -> Aim:
    """``aim(server)``: later CLI runs talk Taplytics to ``server``."""

    def to(server: SandboxServer) -> None:
        for key, value in taplytics_env(server).items():
            monkeypatch.setenv(key, value)

    return to
