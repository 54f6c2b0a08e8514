"""Issue 13.2: ``${VAR}`` only in the credentials, every output redacted, text cut only after redaction.

Each case runs the CLI against the sandbox over real HTTP (``run_cli`` fails the test if the canary client
secret appears on stdout or stderr; the conftest greps every file the test left).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.http.errormap import server_message
from reconciler.redaction import redact, register_secret
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, CliRunner, write_config


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("memberships:\n  members:\n    - email: x.${ABTASTY_CLIENT_SECRET}@example.com\n      role: admin\n", "7:14"),
        ("tests:\n  - name: ${ABTASTY_CLIENT_SECRET}\n", "6:11"),
        ("tests:\n  - id: 381296\n    schedule:\n      start_at: '2026-01-01T00:00:00'\n      timezone: ${ABTASTY_CLIENT_SECRET}\n", "9:17"),
        ("  api_url: https://api.abtasty.com/${ABTASTY_CLIENT_SECRET}\n", "5:12"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_variable_outside_the_credentials_is_refused_before_any_request(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path, body: str, where: str, fmt: str
) -> None:
    config = write_config(tmp_path, body)
    out = tmp_path / "plan.json"
    result = cli("plan", str(config), "--format", fmt, "--out", str(out))
    assert result.code == 1
    assert f"{config}:{where}:" in result.err and "only allowed in the credentials" in result.err
    assert sandbox.requests() == [] and not out.exists()


def test_validate_refuses_it_too_without_any_environment(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, "tests:\n  - name: ${ABTASTY_CLIENT_SECRET}\n")
    result = cli("validate", str(config))
    assert result.code == 1 and f"{config}:6:11: tests[0].name:" in result.err


def test_credentials_still_take_variables(cli: CliRunner, sandbox: SandboxServer, tmp_path: Path) -> None:
    body = "  credentials:\n    client_id: ${MY_ID}\n    client_secret: ${MY_SECRET}\n"
    config = write_config(tmp_path, body + "tests:\n  - id: 381296\n    state: pause\n")
    result = cli("plan", str(config), MY_ID=CLIENT_ID, MY_SECRET=CANARY_SECRET)
    assert result.code == 0, result.all
    assert "No changes" in result.out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_secret_echoed_by_the_server_is_masked_in_every_plan_and_plan_file(
    cli: CliRunner, echoing: SandboxServer, tmp_path: Path, fmt: str
) -> None:
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    out = tmp_path / "plan.json"
    env = {"ABTASTY_API_URL": echoing.url, "ABTASTY_AUTH_URL": echoing.token_url}
    result = cli("plan", str(config), "--format", fmt, "--out", str(out), **env)
    assert result.code == 0, result.all
    assert "leak *** end" in result.out or "leak *** end" in result.out.replace("\\", "")
    assert CANARY_SECRET not in out.read_text()  # also checked for every file by the conftest


def test_server_text_is_redacted_before_it_is_cut_and_folded() -> None:
    # A token with a newline, placed where the old 197-character cut split it: its head used to leak, and
    # folding the newline first made the text unrecognisable to the redactor.
    token = "tok-" + "A" * 30 + "\n" + "tail-" + "B" * 30
    register_secret(token)
    for body in ("x" * 180 + token, "error: " + token + " trailing"):
        request = httpx.Request("GET", "https://api.abtasty.com/x")
        for response in (
            httpx.Response(500, text=body, request=request),
            httpx.Response(500, json={"message": body}, request=request),
        ):
            shown = server_message(response)
            assert "AAAAA" not in shown and "BBBBB" not in shown and "tail-" not in shown


def test_escaped_and_folded_spellings_of_a_secret_are_masked() -> None:
    secret = 'pa"ss\nword-with-newline'
    register_secret(secret)
    for text in (json.dumps({"s": secret}), repr(secret), " ".join(secret.split())):
        assert "word-with-newline" not in redact(text)
