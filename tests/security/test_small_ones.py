"""Issue 13.8, the small ones: each is exit 1 with its place named, and sends nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, write_config

PAUSE = "tests:\n  - id: 381296\n    state: pause\n"


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules"])
def test_machine_dependent_timezones_are_refused(cli: CliRunner, tmp_path: Path, zone: str) -> None:
    body = (
        f"tests:\n  - id: 1\n    schedule:\n      start_at: '2026-01-01T00:00:00'\n      timezone: {zone}\n"
    )
    result = cli("validate", str(write_config(tmp_path, body)))
    assert result.code == 1 and ":9:17:" in result.err and "depends on the machine" in result.err


@pytest.mark.parametrize("user_id", [".", "..", "a/b", "../admin", "a\\\\b"])
def test_a_user_id_that_is_not_one_path_segment_is_refused(
    cli: CliRunner, tmp_path: Path, user_id: str
) -> None:
    config = tmp_path / "t.yaml"
    config.write_text(
        f'version: 1\nprovider: taplytics\nproject:\n  name: p\nusers:\n  - user_id: "{user_id}"\n    name: U\n'
    )
    result = cli("plan", str(config), TAPLYTICS_API_TOKEN="tok-12345")
    assert result.code == 1 and f"{config}:6:14:" in result.err and "URL path" in result.err


def test_plan_out_refuses_to_overwrite_an_input_config(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PAUSE)
    before = config.read_text()
    result = cli("plan", str(config), "--out", str(config))
    assert result.code == 1 and "is an input config of this run" in result.err
    assert config.read_text() == before and sandbox.requests() == []
    via_dir = cli("plan", str(tmp_path), "--out", str(tmp_path / "." / config.name))
    assert via_dir.code == 1 and config.read_text() == before


def test_plan_out_does_not_create_directories(cli: CliRunner, sandbox: SandboxServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, PAUSE)
    target = tmp_path / "no" / "such" / "plan.json"
    result = cli("plan", str(config), "--out", str(target))
    assert result.code == 1 and "does not exist" in result.err
    assert not (tmp_path / "no").exists() and sandbox.requests() == []


def test_validate_names_the_directories_it_skips(cli: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "accounts"
    for hidden in (".github", ".drafts"):
        (root / hidden).mkdir(parents=True)
        (root / hidden / "ci.yaml").write_text("not: a config\n")
    write_config(root, "")
    os.symlink(root / ".drafts", root / "linked")
    result = cli("validate", str(root))
    assert result.code == 0, result.all
    assert f"skipped {root / '.drafts'}: hidden directory, not searched" in result.err
    assert ".github" not in result.err  # a known tool's directory: skipped without a line on every run
    assert f"skipped {root / 'linked'}: symbolic link to a directory, not followed" in result.err


def test_validate_reports_an_unreadable_directory(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "accounts"
    (root / "locked").mkdir(parents=True)
    write_config(root, "")
    real = os.scandir
    locked = str(root / "locked")

    def scandir(path: str) -> object:  # root reads any directory: refuse it the way the kernel would
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = cli("validate", str(root))
    assert result.code == 1 and f"{locked}:1:1: cannot read directory: Permission denied" in result.err


@pytest.mark.parametrize("url", ["https://xn--zz.example.com", "https://xn--.com"])
def test_an_idna_invalid_url_is_exit_1(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path, url: str
) -> None:
    config = write_config(tmp_path, f"  api_url: {url}\n" + PAUSE)
    result = cli("plan", str(config), "--allow-host", url.removeprefix("https://"))
    assert result.code == 1 and f"{config}:5:12:" in result.err and "not a valid URL" in result.err
    from_env = cli("plan", str(write_config(tmp_path, PAUSE)), ABTASTY_API_URL=url)
    assert from_env.code == 1 and "invalid URL" in from_env.err and sandbox.requests() == []


def test_sandbox_serve_on_a_non_loopback_host_needs_a_flag(cli: CliRunner) -> None:
    result = cli("sandbox", "serve", "--host", "0.0.0.0", "--port", "0")
    assert result.code == 1 and "--allow-non-loopback" in result.err and "no authentication" in result.err
