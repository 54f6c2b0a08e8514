"""CLI behaviours outside plan/apply's main paths: apply with nothing to do, usage errors, validate."""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, mutations, write_config


def test_apply_in_sync_says_so_and_changes_nothing(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, "tests:\n  - id: 381296\n    state: pause\n"
    )  # already paused in the demo
    result = cli("apply", str(config), "--auto-approve")
    assert result.code == 0
    assert "No changes. The account matches the configuration." in result.out
    assert mutations(sandbox) == []


def test_usage_error_is_exit_1_not_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("plan", str(write_config(tmp_path, "")), "--format", "yaml")
    assert result.code == 1  # 2 is reserved for plan --detailed-exitcode
    assert "Invalid value for '--format'" in result.err


def test_validate_reads_no_environment_and_makes_no_request(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "  credentials:\n    client_id: ${UNSET_CLIENT_ID}\n")
    result = cli("validate", str(config))
    assert result.code == 0 and "1 file valid" in result.out
    assert sandbox.requests() == []


def test_an_unwritable_output_is_a_user_error_naming_it(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: pause\n")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    for args in (
        ("plan", str(config), "--out"),
        ("export", "--provider", "abtasty", "--account", "41902", "-o"),
    ):
        target = blocker / "out.file"
        result = cli(*args, str(target))
        assert result.code == 1, result.all
        assert f"{target}: cannot write" in result.err
