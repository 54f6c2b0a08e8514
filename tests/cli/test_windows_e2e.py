"""Sync windows end to end: plan shows the window in force, apply refuses a denied change (exit 1, the
window, its file:line and the way out), --override-window applies with the reason in the output and the
audit log, a window limited to other kinds of change lets this one through, and a bad window is a config
error with its position."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, mutations, write_config

PLAY = "tests:\n  - id: 381296\n    state: play\n"
FREEZE = """sync_windows:
  - name: black-friday
    kind: deny
    schedule: "* * * * *"
    duration: 1h
    timezone: Europe/Paris
"""


def test_apply_refuses_a_change_a_deny_window_holds(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY + FREEZE)
    result = cli("apply", str(config), "--auto-approve")
    assert result.code == 1
    assert f"deny window 'black-friday' ({config}:9)" in result.err
    assert "test:381296" in result.err and "--override-window REASON" in result.err
    assert mutations(sandbox) == []


def test_plan_shows_the_window_and_what_it_holds(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, PLAY + FREEZE)
    result = cli("plan", str(config))
    assert f"{config}: deny window 'black-friday' ({config}:9) in force until " in result.err
    assert "2 change(s) held by a sync window" in result.err


def test_override_window_applies_and_records_the_reason(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY + FREEZE)
    log = tmp_path / "audit.jsonl"
    result = cli(
        "apply", str(config), "--auto-approve", "--audit-log", str(log), "--override-window", "INC-42 hotfix"
    )
    assert result.code == 0, result.all
    assert "overriding sync windows (INC-42 hotfix)" in result.err
    assert mutations(sandbox)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines and all(line["run"]["override_window"] == "INC-42 hotfix" for line in lines)


def test_a_window_for_other_changes_lets_this_one_through(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY + FREEZE + "    changes: [member]\n")
    assert cli("apply", str(config), "--auto-approve").code == 0
    assert mutations(sandbox)


def test_a_bad_window_is_a_config_error_with_its_line(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, PLAY + FREEZE.replace("* * * * *", "61 * * * *"))
    result = cli("plan", str(config))
    assert result.code == 1 and f"{config}:11" in result.err and "cron minute" in result.err
