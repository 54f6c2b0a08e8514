"""Secrets never leak: a canary client secret, a canary Taplytics API token and every access token the
sandbox issued are searched for in everything the suite produces: stdout, stderr and -v logs of every
command (successes, retries under faults, failures, auth errors), plan files in all formats, exported
configs, the sandbox's request log and its state file. Zero hits.

The canaries are really used: the runs below authenticate with them, so a leak would have something to show.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, HEADER, Result, canary_sandbox, run_cli, server_env

pytestmark = pytest.mark.slow  # whole runs of every command

TAPLYTICS_CANARY = "canary-api-token-77c2e0b9a4"
CREDENTIALS = (
    "  credentials:\n    client_id: ${ABTASTY_CLIENT_ID}\n    client_secret: ${ABTASTY_CLIENT_SECRET}\n"
)
ABTASTY_BODY = """tests:
  - id: 381296
    state: play
  - id: 365111
    state: pause
memberships:
  prune: false
  members:
    - email: canary-member@example.org
      role: viewer
"""
TAPLYTICS = """version: 1
provider: taplytics
project:
  name: canary-app
  api_token: ${TAPLYTICS_API_TOKEN}
users:
  - user_id: qa-001
    name: QA One renamed
  - user_id: canary-new
    email: canary-new@example.org
    custom_data:
      cohort: qa
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SandboxServer]:
    with canary_sandbox(tmp_path, TAPLYTICS_CANARY) as running:
        yield running


class Transcript:
    """Runs commands and keeps every output they produce."""

    def __init__(
        self, server: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ):
        self.env = {
            **server_env(server),
            "TAPLYTICS_API_URL": server.url,
            "TAPLYTICS_API_TOKEN": TAPLYTICS_CANARY,
        }
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.texts: list[str] = []

    def __call__(self, *args: str, **env: str) -> Result:
        result = run_cli(self.monkeypatch, self.capsys, {**self.env, **env}, *args)
        self.texts += [result.out, result.err]
        return result


def test_no_secret_in_any_output_log_plan_or_file(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = Transcript(server, monkeypatch, capsys)
    abtasty = tmp_path / "abtasty.yaml"
    abtasty.write_text(HEADER + CREDENTIALS + ABTASTY_BODY)
    taplytics = tmp_path / "taplytics.yaml"
    taplytics.write_text(TAPLYTICS)
    both = (str(abtasty), str(taplytics))

    assert run("validate", *both).code == 0
    for fmt in ("text", "json", "markdown"):
        assert run("plan", *both, "-v", "--format", fmt, "--out", str(tmp_path / f"plan.{fmt}")).code == 0
    # Retries under every fault, logged with -v; then a change that fails for good.
    server.set_faults(error_rate=0.3, throttle_rate=0.1, drop_rate=0.1, fault_seed=3)
    server.set_faults(
        forced=[{"method": "POST", "path": "/v2/users/canary-new", "status": 402, "message": "quota"}]
    )
    failed = run("apply", *both, "-v", "--auto-approve")
    assert failed.code == 1 and "quota" in failed.all
    assert "retrying" in failed.err  # the retry log lines were written, and searched below
    server.set_faults(reset=True, expire_tokens=True)  # the next run refreshes its token on a 401
    assert run("apply", *both, "-v", "--auto-approve").code == 0
    assert run("plan", *both, "--detailed-exitcode", "--format", "json").code == 0
    # Wrong credentials: the error must not echo what was sent.
    assert run("plan", str(abtasty), "-v", ABTASTY_CLIENT_SECRET="wrong-" + CANARY_SECRET).code == 1
    assert run("plan", str(taplytics), "-v", TAPLYTICS_API_TOKEN="wrong-" + TAPLYTICS_CANARY).code == 1
    exported = tmp_path / "exported.yaml"
    assert run("export", "--provider", "abtasty", "--account", "41902", "-o", str(exported), "-v").code == 0

    issued = server.issued_tokens()
    assert len(issued) >= 2, "the runs should have been issued (and refreshed) access tokens"
    haystack = {f"output #{i}": text for i, text in enumerate(run.texts)}
    haystack["request log"] = json.dumps(server.requests())
    haystack |= {str(p): p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    canaries = {"client secret": CANARY_SECRET, "API token": TAPLYTICS_CANARY}
    canaries |= {f"access token {t[:6]}…": t for t in issued}
    leaks = [
        f"{name} in {where}"
        for name, canary in canaries.items()
        for where, text in haystack.items()
        if canary in text
    ]
    assert leaks == []
    assert len(haystack) > 20  # the search really covered the outputs, plan files, export, log and state


@pytest.mark.parametrize(
    "bad", ["\r", "\n", " ", "é", "\x07"], ids=["cr", "lf", "space", "non-ascii", "bell"]
)
def test_an_api_token_that_cannot_be_a_header_is_refused_without_echoing_it(
    bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "taplytics.yaml"
    config.write_text(TAPLYTICS)
    token = TAPLYTICS_CANARY + bad
    env = {"TAPLYTICS_API_URL": "http://127.0.0.1:9", "TAPLYTICS_API_TOKEN": token}
    result = run_cli(monkeypatch, capsys, env, "plan", str(config))
    assert result.code == 1
    assert f"{config}:5:" in result.err and "TAPLYTICS_API_TOKEN" in result.err
    assert TAPLYTICS_CANARY not in result.all and repr(token)[1:-1] not in result.all
