"""The Flagship client secret and every access token the sandbox issued appear in no output: stdout,
stderr and -v logs of plan and apply (under retried faults and a token refresh), plan files in every
format, the sandbox's request log and state file, and the error of a refused secret. The canary is really
used: the runs authenticate with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.e2e import sandbox_server
from tests.support.flagship import FLAGSHIP_CANARY, flagship_cli, write_flagship

BODY = """panic: off
campaigns:
  - name: Checkout redesign
    state: active
users:
  members:
    - email: canary-user@example.org
      role: VIEWER
flags:
  keys:
    - key: canary-flag
      type: boolean
"""


def test_no_flagship_secret_or_token_in_any_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_flagship(tmp_path, BODY))
    texts: list[str] = []
    state = tmp_path / "server" / "state.json"
    with sandbox_server(state_path=state, flagship_client_secret=FLAGSHIP_CANARY) as server:
        cli = flagship_cli(server, monkeypatch, capsys)

        def run(*args: str, **env: str) -> int:
            result = cli(*args, **env)
            texts.extend([result.out, result.err])
            return result.code

        for fmt in ("text", "json", "markdown"):
            assert run("plan", config, "-v", "--format", fmt, "--out", str(tmp_path / f"plan.{fmt}")) == 0
        server.set_faults(error_rate=0.25, fault_seed=5)
        assert run("apply", config, "-v", "--auto-approve") == 0, texts[-1]
        server.set_faults(reset=True, expire_tokens=True)  # the next run is refused once, then refreshes
        assert run("plan", config, "-v", "--detailed-exitcode") == 0
        assert run("plan", config, "-v", FLAGSHIP_CLIENT_SECRET="wrong-" + FLAGSHIP_CANARY) == 1
        issued = server.issued_tokens()
        log = json.dumps(server.requests())
    assert len(issued) >= 2
    assert any("retrying" in text for text in texts)  # the retry log lines were written, and searched
    token_bodies = [r for r in json.loads(log) if r["path"].endswith("/token")]
    assert token_bodies and all(r["body"]["client_secret"] == "***" for r in token_bodies)
    assert all(r["body"]["scope"] == "*" for r in token_bodies)  # the authorization page's body
    haystack = {f"output #{i}": t for i, t in enumerate(texts)} | {"request log": log}
    haystack |= {str(p): p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    canaries = {"client secret": FLAGSHIP_CANARY} | {f"token {t[:6]}": t for t in issued}
    leaks = [f"{n} in {w}" for n, c in canaries.items() for w, t in haystack.items() if c in t]
    assert leaks == []
    assert len(haystack) > 10
