"""Fixtures of the watch tests: a sandbox with canary credentials (Taplytics key included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import canary_sandbox
from tests.support.watch import TAPLYTICS_CANARY


@pytest.fixture
def tap_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """The demo account over real HTTP, every credential a canary."""
    with canary_sandbox(tmp_path, TAPLYTICS_CANARY) as server:
        yield server
