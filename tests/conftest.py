"""Fixtures every test directory shares: a real sandbox on 127.0.0.1 and the CLI run in-process against it.

``sandbox`` starts a fresh demo account per test (uvicorn in a thread); ``cli`` runs
``reconciler ARGS`` with the environment pointing at it and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, Result, generated, join_stopped_servers, run_cli, server_env
from tests.support.properties import examples
from tests.support.shared_tls import share_default_tls_context

# The property tests that name no count of their own draw a share of Hypothesis's default 100
# (tests/support/properties.py). Loaded here, before any test module builds its settings, so every
# worker runs the same counts.
settings.register_profile("reconciler", max_examples=examples(100))
settings.load_profile("reconciler")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (several seconds each, mostly waiting: a watch interval, retry back-off, a hook
    environment being built) are collected first, everything else keeps its order.

    `make unit` runs pytest-xdist with --dist loadgroup, which hands out each (ungrouped) test on its own, in
    collection order, a couple at a time per worker: so the slow ones start side by side at the beginning and
    overlap the short tests. (--dist load sends each worker a run of consecutive tests instead: one worker got
    all of these in a row, and the suite waited for it.)
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable, the same in every worker


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything alive once the suite is collected (pytest, Hypothesis, the sandbox, every test module) is
    frozen: moved where no collection looks, so each of the thousands of full passes a worker makes walks
    only what the tests since made. RECONCILER_TEST_GC_FREEZE=0 leaves the collector as Python sets it."""
    if os.environ.get("RECONCILER_TEST_GC_FREEZE") != "0":
        gc.collect()
        gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _servers_stopped() -> Iterator[None]:
    """The sandboxes ``tests.support.e2e.sandbox_server`` stops in the background are all stopped by the end."""
    yield
    join_stopped_servers()


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context() -> Iterator[None]:
    """httpx's default TLS context built once, not for each test client (tests.support.shared_tls)."""
    with pytest.MonkeyPatch.context() as patch:
        share_default_tls_context(patch)
        yield


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A fresh demo account with a state file, over real HTTP."""
    yield from generated(tmp_path, "demo")


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


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own ``RECONCILER_STATE_DIR``: a tag-script rebuild one test leaves owed (a marker file)
    must not show up in another test's plan; its own lock directory and crash log too."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("RECONCILER_STATE_DIR", str(path))
    # Locks and crash logs too: a test run writes nothing under the user's home.
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(path / "locks"))
    monkeypatch.setenv("RECONCILER_CRASH_LOG", str(path / "crash.log"))
    return path
