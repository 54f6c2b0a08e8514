"""Helpers for the fault and crash tests of apply: a generated-seed sandbox and an in-process CLI against it.

(The small helpers of tests/cli/conftest.py are repeated here: test directories are not packages, so
one directory's conftest cannot be imported from another.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.sandbox.server import SandboxServer

CANARY_SECRET = "canary-secret-5f1d2a9e7c"
CLIENT_ID = "reliability-client"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


def server_env(server: SandboxServer) -> dict[str, str]:
    """The environment that points the CLI at ``server``."""
    return {
        "ABTASTY_API_URL": server.url,
        "ABTASTY_AUTH_URL": server.token_url,
        "ABTASTY_CLIENT_ID": CLIENT_ID,
        "ABTASTY_CLIENT_SECRET": CANARY_SECRET,
    }


Cli = Callable[..., Result]


@pytest.fixture
def cli_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[SandboxServer], Cli]:
    """``cli_for(server)("plan", ...)``: run the CLI in-process against ``server``."""

    def bind(server: SandboxServer) -> Cli:
        def invoke(*args: str) -> Result:
            for key, value in server_env(server).items():
                monkeypatch.setenv(key, value)
            capsys.readouterr()
            code = run(list(args))
            captured = capsys.readouterr()
            result = Result(code, captured.out, captured.err)
            assert CANARY_SECRET not in result.all
            assert "Traceback" not in result.all
            return result

        return invoke

    return bind


def write_config(tmp_path: Path, body: str, name: str = "account.yaml") -> Path:
    path = tmp_path / name
    path.write_text("version: 1\nprovider: abtasty\naccount:\n  id: 41902\n" + body)
    return path


def mutations(server: SandboxServer) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"])
        for r in server.requests()
        if r["method"] in ("PATCH", "POST", "DELETE") and not r["path"].startswith("/oauth")
    ]


ROLES = ("admin", "user", "creator", "viewer")


def big_change_config(tmp_path: Path, state: dict, n_tests: int, n_adds: int, n_roles: int) -> Path:
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
