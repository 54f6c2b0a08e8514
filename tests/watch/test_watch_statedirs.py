"""An unwritable lock or state directory is a clear exit 1 naming its variable, for ``apply`` and for
``watch --self-heal``, before any change (issue 26; it used to be exit 3 in the middle of an apply)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, mutations

VARIABLES = ("RECONCILER_STATE_DIR", "RECONCILER_LOCK_DIR")


def _flipped_test(tmp_path: Path, server: SandboxServer) -> Path:
    """A config that changes one test's state: its apply owes a tag-script rebuild (the state dir)."""
    test = min(server.state()["tests"].values(), key=lambda t: t["id"])
    state = "pause" if test["state"] == "play" else "play"
    path = tmp_path / "shop.yaml"
    path.write_text(
        f"version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n  - id: {test['id']}\n    state: {state}\n"
    )
    return path


def _nowhere(tmp_path: Path) -> str:
    """A directory no one can create, root included: its parent is a file."""
    (tmp_path / "a-file").write_text("")
    return str(tmp_path / "a-file" / "dir")


@pytest.mark.parametrize("variable", VARIABLES)
def test_apply_names_the_variable_and_changes_nothing(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path, variable: str
) -> None:
    config = _flipped_test(tmp_path, sandbox)
    sandbox.clear_requests()
    result = cli("apply", str(config), "--auto-approve", **{variable: _nowhere(tmp_path)})
    assert result.code == 1, result.all
    assert f"set {variable} to a writable directory" in result.err
    assert mutations(sandbox) == []


@pytest.mark.parametrize("variable", VARIABLES)
def test_watch_self_heal_names_the_variable_before_it_starts(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path, variable: str
) -> None:
    config = _flipped_test(tmp_path, sandbox)
    sandbox.clear_requests()
    result = cli(
        "watch", str(config), "--self-heal", "--listen", "127.0.0.1:0", **{variable: _nowhere(tmp_path)}
    )
    assert result.code == 1, result.all
    assert f"set {variable} to a writable directory" in result.err
    assert sandbox.requests() == []


def test_a_missing_but_creatable_directory_is_fine(tmp_path: Path) -> None:
    from reconciler.statedirs import require_local_state

    require_local_state(
        {"RECONCILER_STATE_DIR": str(tmp_path / "new" / "state"), "RECONCILER_LOCK_DIR": str(tmp_path / "l")}
    )
    assert not (tmp_path / "new").exists(), "the probe leaves nothing behind"
