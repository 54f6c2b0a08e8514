"""What a refused export or a wrong auth URL says (issue 31): the account, the variables to check, the URL
with its port; and nothing else on stderr (no RuntimeWarning from a connect left behind)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, server_env, write_config

ONE_TEST = "tests:\n  - id: 381296\n    state: play\n"
EXPORT = ("export", "--provider", "abtasty", "--account", "41902")


def test_export_with_a_wrong_secret_names_the_account_and_the_variables(cli: CliRunner) -> None:
    result = cli(*EXPORT, ABTASTY_CLIENT_SECRET="wrong-secret-value")
    assert result.code == 1, result.all
    assert "refused the credentials" in result.err and "abtasty account 41902" in result.err
    hint = "credentials from ABTASTY_CLIENT_ID, ABTASTY_CLIENT_SECRET: check they are set, and are the ones"
    assert f"{hint} of this account" in result.err and result.err.rstrip().endswith("of this account")
    assert "wrong-secret-value" not in result.all


def test_export_update_with_a_wrong_secret_names_the_file(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, ONE_TEST)
    result = cli("export", "--update", str(config), ABTASTY_CLIENT_SECRET="wrong-secret-value")
    assert result.code == 1, result.all
    assert f"{config}: abtasty account 41902, credentials from ABTASTY_CLIENT_ID" in result.err


def test_the_schema_note_of_an_export_to_stdout_comes_only_after_it(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On stdout the modeline names ./reconciler.schema.json, which the reader creates: a refused export
    (a malformed --account) must not first tell them to create it (issue 31 walk)."""
    monkeypatch.chdir(tmp_path)  # no schema/ in this tree, none beside it
    refused = cli("export", "--provider", "flagship", "--account", "only-an-environment")
    assert refused.code == 1 and "ACCOUNT_ID/ENVIRONMENT_ID" in refused.err
    assert "note:" not in refused.err and "modeline" not in refused.err
    done = cli(*EXPORT)
    assert done.code == 0, done.all
    assert done.out.startswith("# yaml-language-server: $schema=./reconciler.schema.json")
    assert (
        done.err.strip().splitlines()[-1].startswith("note: the modeline points at ./reconciler.schema.json")
    )


def test_a_refused_export_leaves_no_coroutine_behind(sandbox: SandboxServer, tmp_path: Path) -> None:
    """The tests and the members are read at once; the refused token used to end the run with the other
    read's connect never awaited, which Python reports on stderr at exit."""
    env = {**os.environ, **server_env(sandbox), "ABTASTY_CLIENT_SECRET": "wrong-secret-value"}
    for _ in range(3):  # the race it had lost every time; three runs make a lucky pass unlikely
        done = subprocess.run(
            [sys.executable, "-W", "error::RuntimeWarning", "-m", "reconciler", *EXPORT],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, done.stderr
        assert "ABTASTY_CLIENT_SECRET" in done.stderr
        assert "RuntimeWarning" not in done.stderr and "never awaited" not in done.stderr, done.stderr


def test_a_404_from_the_token_url_names_it_with_its_port_and_its_variable(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, ONE_TEST)
    wrong = f"{sandbox.url}/no/such/token"
    for args in (("plan", str(config)), EXPORT):
        result = cli(*args, ABTASTY_AUTH_URL=wrong)
        assert result.code == 1, result.all
        assert f"no token endpoint at {wrong} " in result.err  # the port is often the typo
        assert "the auth URL is wrong" in result.err and "check ABTASTY_AUTH_URL" in result.err
        # The credentials were never judged: no hint about them.
        assert "check they are set" not in result.err and "ABTASTY_CLIENT_SECRET" not in result.err
    plan = cli("plan", str(config), ABTASTY_AUTH_URL=wrong)
    assert f"{config}: abtasty account 41902: check ABTASTY_AUTH_URL (when set" in plan.err
    assert "account.auth_url" in plan.err


def test_a_misspelt_variable_names_the_one_that_is_set(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """``${ABTASTY_SECRET}`` beside a set ABTASTY_CLIENT_SECRET: the fix is a rename, and it says so."""
    config = tmp_path / "shop.yaml"
    config.write_text(
        "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n  credentials:\n"
        "    client_id: ${ABTASTY_CLIENT_ID}\n    client_secret: ${ABTASTY_SECRET}\n" + ONE_TEST
    )
    sandbox.clear_requests()
    result = cli("plan", str(config))
    assert result.code == 1, result.all
    assert (
        f"{config}:7: environment variable ABTASTY_SECRET is not set: export it with the account's "
        "client_secret; ABTASTY_CLIENT_SECRET is set: did you mean ${ABTASTY_CLIENT_SECRET}?"
    ) in result.err
    assert sandbox.client_secret not in result.all and sandbox.requests() == []


def test_unset_credentials_end_by_naming_the_sandbox(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `make demo`, `plan examples/demo.yaml` without --sandbox: the way back is one flag away."""
    monkeypatch.delenv("ABTASTY_CLIENT_SECRET")
    result = cli("plan", str(write_config(tmp_path, ONE_TEST)))
    assert result.code == 1, result.all
    assert "environment variable ABTASTY_CLIENT_SECRET is not set" in result.err
    last = result.err.splitlines()[-1]
    assert last == "(no credentials at hand? --sandbox runs it against the embedded sandbox)"
    assert sandbox.requests() == []


def test_an_empty_credential_is_refused_before_the_vendor_sees_it(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """`export ABTASTY_CLIENT_SECRET=` is set, to nothing: said at the file's line, no token request (it
    was a 400 "Missing parameter(s)" from the token endpoint)."""
    config = write_config(tmp_path, ONE_TEST)
    sandbox.clear_requests()
    result = cli("plan", str(config), ABTASTY_CLIENT_SECRET="")
    assert result.code == 1, result.all
    assert "client_secret is empty: ABTASTY_CLIENT_SECRET is set to nothing" in result.err
    assert str(config) in result.err and sandbox.requests() == []
