"""The end-to-end harness of tests/cli (a real sandbox on 127.0.0.1, the CLI in-process), re-declared for the
hostile cases, plus what every security case checks: the canary secret absent from every output file.

Lock files and crash logs go to the test's own directory, so these cases neither read nor leave state in
the home directory (nor meet another run's lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import CANARY_SECRET, CliRunner, Result, generated, run_cli, server_env

from reconciler.sandbox.server import SandboxServer

SERVER_DIR = "server"  # a hostile server's own files (its state may hold the canary on purpose)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Locks and crash logs under ``tmp_path/cache``; after the test, no file under ``tmp_path`` (plan
    files, crash logs, lock files, configs) may hold the canary secret."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("RECONCILER_LOCK_DIR", raising=False)
    monkeypatch.delenv("RECONCILER_CRASH_LOG", raising=False)
    monkeypatch.delenv("RECONCILER_ALLOW_HOSTS", raising=False)
    yield cache
    for path in tmp_path.rglob("*"):
        if path.is_file() and SERVER_DIR not in path.relative_to(tmp_path).parts:
            assert CANARY_SECRET not in path.read_text(errors="replace"), f"the canary leaked into {path}"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A fresh demo account with a state file, over real HTTP."""
    yield from generated(tmp_path, "demo")


@pytest.fixture
def cli(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CliRunner:
    """Run the CLI against ``sandbox``; extra env vars by keyword (``ABTASTY_CLIENT_SECRET=...``)."""
    for key, value in server_env(sandbox).items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str, **env: str) -> Result:
        return run_cli(monkeypatch, capsys, env, *args)

    return invoke
