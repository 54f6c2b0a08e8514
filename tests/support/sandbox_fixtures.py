"""Fixtures of the sandbox tests: a real sandbox over HTTP on 127.0.0.1 (uvicorn in a thread) and clients
holding a token; tests/sandbox/ and tests/providers/abtasty/ take them in their conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import sandbox_server
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, authed


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SandboxServer]:
    """One demo sandbox per module, for tests that only read."""
    with sandbox_server(seed="demo", client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def reader(shared_server: SandboxServer) -> Iterator[httpx.Client]:
    with authed(shared_server) as client:
        yield client


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    """A fresh demo sandbox for tests that mutate."""
    with sandbox_server(seed="demo", client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as server:
        yield server


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    with authed(server) as client:
        yield client
