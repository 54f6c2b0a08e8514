"""Fixtures of the watch tests: a sandbox with canary credentials (Taplytics key included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import CANARY_SECRET, CLIENT_ID, sandbox_server
from watch_support import TAPLYTICS_CANARY

from reconciler.sandbox.server import SandboxServer


@pytest.fixture
def tap_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """The demo account over real HTTP, every credential a canary."""
    with sandbox_server(
        seed="demo",
        state_path=tmp_path / "state.json",
        client_id=CLIENT_ID,
        client_secret=CANARY_SECRET,
        taplytics_token=TAPLYTICS_CANARY,
    ) as server:
        yield server
