"""What every security case checks besides tests/conftest.py's harness (a real sandbox on 127.0.0.1, the CLI
in-process): the canary secret absent from every output file.

Lock files and crash logs go to the test's own directory, so these cases neither read nor leave state in
the home directory (nor meet another run's lock).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.seed import initial_state
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, sandbox_server

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
def echoing(tmp_path: Path) -> Iterator[SandboxServer]:
    """A sandbox whose test 381296 is named after the canary secret (a server echoing what it was sent), its
    state kept under ``SERVER_DIR``, which the file check above leaves out."""
    state = initial_state("demo")
    state["tests"]["381296"]["name"] = f"leak {CANARY_SECRET} end"
    path = tmp_path / SERVER_DIR / "state.json"
    path.parent.mkdir()
    path.write_text(json.dumps(state))
    with sandbox_server(
        seed="demo", state_path=path, client_id=CLIENT_ID, client_secret=CANARY_SECRET
    ) as server:
        yield server
