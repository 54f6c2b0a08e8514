"""Help texts a new user reads first name what exists today (issue 31)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from reconciler import __version__, build_info
from reconciler.cli import run

ROOT = Path(__file__).resolve().parents[2]


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert run([*args, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # click wraps: compare the words


def test_apply_force_names_the_rails_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys, "apply")
    assert "max_delete_fraction" not in text
    assert "max_access_loss_fraction, max_pause_fraction; never min_admins" in text


def test_plan_help_lists_the_api2_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert "ABTASTY_API2_URL" in _help(capsys, "plan")


def test_version_names_the_commit(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    expected = build_info.describe(ROOT)  # this checkout is installed editable: git knows the commit
    assert expected is not None and out == f"reconciler, version {__version__} (commit {expected})"


def test_a_built_package_reads_its_commit_file_and_else_says_unknown(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "reconciler"
    package.mkdir(parents=True)
    assert build_info.commit(package) == "unknown"  # no file, no checkout around it: no guess
    (package / build_info.COMMIT_FILE).write_text("0123abcd4567\n")
    assert build_info.commit(package) == "0123abcd4567"


def test_the_tracker_is_the_one_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Issues"] == build_info.TRACKER


def test_show_help_gives_the_merge_exit_codes_and_variables(capsys: pytest.CaptureFixture[str]) -> None:
    """``show --merge`` exits like plan (1 a failed shard or a rail, 2 pending with --detailed-exitcode) and
    posts with the CI's variables: its help said only "1 not a plan file" (issue 31 walk)."""
    text = _help(capsys, "show")
    assert (
        "with --merge, 1 a shard failed or a rail refuses, 2 changes pending (--detailed-exitcode only)"
        in text
    )
    assert "GITHUB_TOKEN" in text and "GITLAB_TOKEN" in text


def test_a_misspelt_command_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    """As keys, roles and test names do (issue 31 walk: "No such command 'aply'." and nothing more)."""
    assert run(["aply", "accounts/"]) == 1
    assert "No such command 'aply'; did you mean 'apply'?" in capsys.readouterr().err
    assert run(["zzz"]) == 1
    assert "No such command 'zzz'; one of: accounts, apply, export," in capsys.readouterr().err


def test_a_misspelt_export_provider_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["export", "--provider", "abtsty", "--account", "41902"]) == 1
    assert "'abtsty' has no exporter; did you mean 'abtasty'?" in capsys.readouterr().err
