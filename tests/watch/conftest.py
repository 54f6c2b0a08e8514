"""Fixtures of the watch tests: a sandbox with canary credentials (Taplytics key included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import canary_sandbox
from watch_support import TAPLYTICS_CANARY

from reconciler.sandbox.server import SandboxServer


@pytest.fixture
def tap_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """The demo account over real HTTP, every credential a canary."""
    with canary_sandbox(tmp_path, TAPLYTICS_CANARY) as server:
        yield server
