"""What every end-to-end test shares: the canary credentials, the in-process CLI run, config files, and
the sandbox's request log. Importable from any test directory (pytest's ``pythonpath = ["tests"]``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import run
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.server import SandboxServer, serve_in_thread
from tests.support import forkserver

CANARY_SECRET = "canary-secret-5f1d2a9e7c"  # grepped for in every output
CLIENT_ID = "e2e-client"
HEADER = "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n"


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


CliRunner = Callable[..., Result]


def server_env(server: SandboxServer) -> dict[str, str]:
    """The environment that points the CLI at ``server`` with the canary credentials."""
    return {
        "ABTASTY_API_URL": server.url,
        "ABTASTY_API2_URL": server.api2_url,
        "ABTASTY_AUTH_URL": server.token_url,
        "ABTASTY_CLIENT_ID": CLIENT_ID,
        "ABTASTY_CLIENT_SECRET": CANARY_SECRET,
    }


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], *args: str
) -> Result:
    """``reconciler ARGS`` in-process with ``env`` set; no output may hold the secret or a traceback."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = run(list(args))
    captured = capsys.readouterr()
    result = Result(code, captured.out, captured.err)
    assert CANARY_SECRET not in result.all, "the client secret leaked into the output"
    assert "Traceback" not in result.all
    return result


def write_config(tmp_path: Path, body: str, name: str = "account.yaml") -> Path:
    """A config file for account 41902 with ``body`` appended (tests:, memberships:, ...)."""
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


def mutations(server: SandboxServer) -> list[tuple[str, str]]:
    """(method, path) of every PATCH / POST / DELETE the sandbox received, token requests excluded."""
    return [
        (r["method"], r["path"])
        for r in server.requests()
        if r["method"] in ("PATCH", "POST", "DELETE") and not r["path"].startswith("/oauth")
    ]


ROLES = ("admin", "user", "creator", "viewer")


def big_change_config(tmp_path: Path, state: dict[str, Any], n_tests: int, n_adds: int, n_roles: int) -> Path:
    """Flip the state of the first ``n_tests`` tests, add ``n_adds`` members, change ``n_roles`` roles
    (members 10.., never the two admins 0 and 1). Pausing many is allowed by the config's safety block."""
    tests = sorted(state["tests"].values(), key=lambda t: t["id"])[:n_tests]
    lines = ["  safety:\n    max_pause_fraction: 1.0\n", "tests:\n"]
    for test in tests:
        want = "pause" if test["state"] == "play" else "play"
        lines.append(f"  - id: {test['id']}\n    state: {want}\n")
    lines.append("memberships:\n  prune: false\n  members:\n")
    members = sorted(state["members"].values(), key=lambda m: m["id"])[10 : 10 + n_roles]
    for member in members:
        role = next(r for r in ROLES[1:] if r != member["role"])
        lines.append(f"    - email: {member['email']}\n      role: {role}\n")
    for k in range(n_adds):
        lines.append(f"    - email: new{k}@example.org\n      role: {ROLES[1 + k % 3]}\n")
    return write_config(tmp_path, "".join(lines))


def assert_no_duplicate_member(server: SandboxServer) -> None:
    emails = [m["email"].lower() for m in server.state()["members"].values()]
    duplicates = sorted(e for e in set(emails) if emails.count(e) > 1)
    assert not duplicates, f"duplicate members: {duplicates}"


_stopping: list[threading.Thread] = []


def stop_later(stop: Callable[[], object]) -> None:
    """Run ``stop`` (a test server's shutdown) in a background thread; ``join_stopped_servers`` waits for it.
    uvicorn takes 0.1-0.2 s to stop (its 0.1 s tick, then a 0.1 s grace for open connections), which a few
    hundred tests paid in turn; a server on a port of its own, with state of its own, is nothing a later
    test sees, so the test need not wait for it."""
    stopper = threading.Thread(target=stop, daemon=True)
    stopper.start()
    _stopping.append(stopper)


def join_stopped_servers(timeout: float = 15.0) -> None:
    """Wait for every server ``stop_later`` left stopping."""
    while _stopping:
        _stopping.pop().join(timeout)


@contextmanager
def sandbox_server(**options: Any) -> Iterator[SandboxServer]:
    """``serve_in_thread(**options)`` for a test that is done with the server when its block ends: the server
    then winds down in the background (``stop_later``). Tests of stopping itself (persistence, a restart on
    the same state file) use ``serve_in_thread``."""
    serving = serve_in_thread(**options)
    server = serving.__enter__()
    try:
        yield server
    finally:
        stop_later(lambda: serving.__exit__(None, None, None))


@contextmanager
def canary_sandbox(tmp_path: Path, taplytics_token: str) -> Iterator[SandboxServer]:
    """The demo account over real HTTP with a state file, every credential a canary (the AB Tasty ones and
    ``taplytics_token``), stopped in the background."""
    with sandbox_server(
        seed="demo",
        state_path=tmp_path / "state.json",
        client_id=CLIENT_ID,
        client_secret=CANARY_SECRET,
        taplytics_token=taplytics_token,
    ) as server:
        yield server


def generated(
    tmp_path: Path, seed: str, dialects: str | None = None, page_cap: int = 100, **faults: Any
) -> Iterator[SandboxServer]:
    """A sandbox with the canary credentials, a state file in ``tmp_path``, ``dialects`` and ``faults`` (a
    generator, so a fixture can ``yield from`` it and a test can ``for server in`` it)."""
    with sandbox_server(
        seed=seed,
        state_path=tmp_path / "state.json",
        faults=Faults(**faults),
        client_id=CLIENT_ID,
        client_secret=CANARY_SECRET,
        dialects=dialects,
        page_cap=page_cap,
    ) as server:
        yield server


def apply_then_kill(
    server: SandboxServer,
    config: Path,
    after_s: float,
    cwd: Path,
    parallelism: int = 2,
    until: Callable[[], bool] | None = None,
) -> None:
    """``reconciler apply`` in its own process against ``server``, killed with SIGKILL after ``after_s``, or
    as soon as ``until()`` is true when given (``after_s`` then bounds the wait)."""
    args = ["apply", str(config), "--auto-approve", "--parallelism", str(parallelism)]
    env = {**os.environ, **server_env(server)}
    proc: forkserver.Forked | subprocess.Popen[bytes]
    if forkserver.enabled():  # a process of its own all the same, without Python's start-up again
        proc = forkserver.Forked(args, env, cwd, quiet=True)
    else:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        if until is None:
            time.sleep(after_s)
        else:
            deadline = time.monotonic() + after_s
            while not until() and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    # Requests the process had sent may still be in the sandbox (a latency fault delays them): they land
    # before the rerun reads the account, as they would before an operator's rerun (it raced them otherwise).
    server.wait_idle()
