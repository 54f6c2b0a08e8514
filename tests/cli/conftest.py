"""End-to-end harness: a real sandbox on 127.0.0.1 and the CLI run in-process against it.

``sandbox`` starts a fresh demo account per test (uvicorn in a thread); ``cli`` runs
``reconciler ARGS`` with the environment pointing at it and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.server import SandboxServer, serve_in_thread

CANARY_SECRET = "canary-secret-5f1d2a9e7c"  # grepped for in every output
CLIENT_ID = "e2e-client"


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


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


CliRunner = Callable[..., Result]


@pytest.fixture
def cli(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CliRunner:
    """Run the CLI against ``sandbox``; extra env vars by keyword (``secret=...`` overrides the secret)."""
    monkeypatch.setenv("ABTASTY_API_URL", sandbox.url)
    monkeypatch.setenv("ABTASTY_AUTH_URL", sandbox.token_url)
    monkeypatch.setenv("ABTASTY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ABTASTY_CLIENT_SECRET", CANARY_SECRET)

    def invoke(*args: str, **env: str) -> Result:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        assert CANARY_SECRET not in result.all, "the client secret leaked into the output"
        assert "Traceback" not in result.all
        return result

    return invoke


def write_config(tmp_path: Path, body: str, name: str = "account.yaml") -> Path:
    """A config file for account 41902 with ``body`` appended (tests:, memberships:, ...)."""
    path = tmp_path / name
    path.write_text("version: 1\nprovider: abtasty\naccount:\n  id: 41902\n" + body)
    return path


def mutations(server: SandboxServer) -> list[tuple[str, str]]:
    """(method, path) of every PATCH / POST / DELETE the sandbox received, token requests excluded."""
    return [
        (r["method"], r["path"])
        for r in server.requests()
        if r["method"] in ("PATCH", "POST", "DELETE") and not r["path"].startswith("/oauth")
    ]
