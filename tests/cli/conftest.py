"""End-to-end harness: a real sandbox on 127.0.0.1 and the CLI run in-process against it.

``sandbox`` starts a fresh demo account per test (uvicorn in a thread); ``cli`` runs
``reconciler ARGS`` with the environment pointing at it and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import CANARY_SECRET, CLIENT_ID, CliRunner, Result, run_cli, server_env

from reconciler.sandbox.faults import Faults
from reconciler.sandbox.server import SandboxServer, serve_in_thread


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A fresh demo account with a state file, over real HTTP."""
    with serve_in_thread(
        seed="demo",
        state_path=tmp_path / "state.json",
        faults=Faults(),
        client_id=CLIENT_ID,
        client_secret=CANARY_SECRET,
    ) as server:
        yield server


@pytest.fixture
def cli(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CliRunner:
    """Run the CLI against ``sandbox``; extra env vars by keyword (``ABTASTY_CLIENT_SECRET=...``)."""
    for key, value in server_env(sandbox).items():  # once: a test may delenv one before it runs the CLI
        monkeypatch.setenv(key, value)

    def invoke(*args: str, **env: str) -> Result:
        return run_cli(monkeypatch, capsys, env, *args)

    return invoke
