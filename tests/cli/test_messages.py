"""Messages that name the fix: each one asserted end to end against the sandbox (or a closed port)."""

from __future__ import annotations

import socket
import time

import pytest

from reconciler.errors import EnvironmentVariableError
from tests.support.e2e import write_config

ONE_TEST = "tests:\n  - id: 381296\n    state: play\n"


def test_wrong_secret_names_the_file_the_account_and_the_variables(cli, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    result = cli("plan", str(config), ABTASTY_CLIENT_SECRET="wrong-secret-value")
    assert result.code == 1
    assert str(config) in result.err and "abtasty account 41902" in result.err
    assert "ABTASTY_CLIENT_ID, ABTASTY_CLIENT_SECRET" in result.err
    assert "wrong-secret-value" not in result.all


def test_a_404_from_the_token_endpoint_says_the_auth_url_is_wrong(cli, sandbox, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    result = cli("plan", str(config), ABTASTY_AUTH_URL=f"{sandbox.url}/no/such/token")
    assert result.code == 1
    assert "the auth URL is wrong" in result.err and "refused the credentials" not in result.err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_not_retried_and_names_the_host(cli, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    url = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    result = cli("plan", str(config), ABTASTY_API_URL=url, ABTASTY_AUTH_URL=f"{url}/oauth/token")
    assert result.code == 1
    assert "127.0.0.1" in result.err and "connection refused" in result.err
    assert "after 1 attempt" in result.err
    assert time.monotonic() - started < 10  # generous: it was ~20 s of retries


def test_a_host_that_does_not_resolve_is_not_retried_and_is_named(cli, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    url = "https://no-such-host.invalid"
    result = cli("plan", str(config), ABTASTY_API_URL=url, ABTASTY_AUTH_URL=f"{url}/oauth/token")
    assert result.code == 1
    assert "no-such-host.invalid" in result.err and "after 1 attempt" in result.err


def test_every_unset_variable_in_one_run(cli, monkeypatch, tmp_path):
    first = write_config(tmp_path, ONE_TEST, name="a.yaml")
    second = tmp_path / "b.yaml"
    second.write_text(
        "version: 1\nprovider: taplytics\nproject:\n  name: app\n  api_token: ${MY_TAP_TOKEN}\n"
        "users:\n  - user_id: u1\n    name: U\n"
    )
    monkeypatch.delenv("ABTASTY_CLIENT_ID")
    monkeypatch.delenv("ABTASTY_CLIENT_SECRET")
    result = cli("plan", str(first), str(second))
    assert result.code == 1
    for name in ("ABTASTY_CLIENT_ID", "ABTASTY_CLIENT_SECRET", "MY_TAP_TOKEN"):
        assert f"environment variable {name} is not set" in result.err, name


def test_a_config_that_manages_nothing_says_so(cli, tmp_path):
    config = write_config(tmp_path, "")
    result = cli("plan", str(config))
    assert result.code == 0
    assert "manages nothing" in result.out and "matches the configuration" not in result.out


def test_unset_variables_are_named_in_grammatical_english():
    fix = "export them"
    assert str(EnvironmentVariableError.unset(["A"], fix)) == "environment variable A is not set: export them"
    assert str(EnvironmentVariableError.unset(["A", "B"], fix)) == (
        "environment variables A and B are not set: export them"
    )
    assert str(EnvironmentVariableError.unset(["A", "B", "C"], fix)) == (
        "environment variables A, B and C are not set: export them"
    )


def test_unset_refuses_a_bare_string_or_nothing():
    with pytest.raises(ValueError):
        EnvironmentVariableError.unset("GITLAB_TOKEN", "x")
    with pytest.raises(ValueError):
        EnvironmentVariableError.unset([], "x")
