"""apply --audit-log: one JSON line per change attempted, with the run's context, field by field; appended
(never rewritten), and no secret in it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CliRunner, write_config

# 381296 plays; 381316's stop in 2019 is before its start, so the API refuses the schedule (failed) and its
# play is skipped; the member is added; the tag script is rebuilt (one test change succeeded).
CONFIG = """  safety:
    max_pause_fraction: 1.0
tests:
  - id: 381296
    state: play
  - id: 381316
    state: play
    schedule:
      stop_at: "2019-11-01T00:00:00"
      timezone: Europe/Paris
memberships:
  prune: false
  members:
    - email: new.person@example.com
      role: user
"""


def test_each_change_attempted_is_one_line_with_its_outcome_and_the_run(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    repo = tmp_path / "config-repo"
    repo.mkdir()
    config = write_config(repo, CONFIG)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    log = tmp_path / "audit.jsonl"
    log.write_text('{"an": "earlier line"}\n')
    result = cli("apply", str(config), "--auto-approve", "--audit-log", str(log), GITHUB_ACTIONS="false")
    assert result.code == 1 and "Apply complete: 3 applied, 1 failed, 1 skipped." in result.out
    text = log.read_text()
    assert CANARY_SECRET not in text
    first, *lines = [json.loads(line) for line in text.splitlines()]
    assert first == {"an": "earlier line"}  # appended, never rewritten
    by = {(line["kind"], line["resource"]): line for line in lines}
    assert sorted(by) == [
        ("member_add", "member:new.person@example.com"),
        ("script_update", "script:41902"),
        ("test_schedule", "test:381316"),
        ("test_state", "test:381296"),
        ("test_state", "test:381316"),
    ]
    play = by["test_state", "test:381296"]
    assert (play["provider"], play["account"], play["file"]) == ("abtasty", "41902", str(config))
    assert (play["before"], play["after"]) == (
        {"state": "pause", "mode": None},
        {"state": "play", "mode": "prod"},
    )
    assert (play["outcome"], play["error"], play["action"], play["name"]) == (
        "applied",
        None,
        "update",
        "Public API Test",
    )
    failed = by["test_schedule", "test:381316"]
    assert failed["outcome"] == "failed" and "stop_at" in failed["error"]
    skipped = by["test_state", "test:381316"]
    assert (
        skipped["outcome"] == "skipped" and "depends on failed test_schedule test:381316" in skipped["error"]
    )
    assert by["member_add", "member:new.person@example.com"]["after"] == {"role": "user"}
    run = play["run"]
    assert run["config"] == {"commit": commit, "dirty": False} and run["ci"] is None and run["user"]
    for line in lines:
        assert line["run"] == run and line["format"] == 1
        assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None  # an instant, with its offset


def test_an_unwritable_audit_log_stops_the_run_before_any_change(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    sandbox.clear_requests()
    result = cli(
        "apply",
        str(config),
        "--auto-approve",
        "--audit-log",
        str(tmp_path / "no" / "such" / "dir" / "a.jsonl"),
    )
    assert result.code == 1 and "--audit-log" in result.err and "nothing was applied" in result.err
    assert [
        r for r in sandbox.requests() if r["method"] != "GET" and not r["path"].startswith("/oauth")
    ] == []


def test_in_ci_each_line_names_the_run(cli: CliRunner, sandbox: SandboxServer, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    log = tmp_path / "audit.jsonl"
    ci = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/experiments",
        "GITHUB_RUN_ID": "77",
        "GITHUB_SHA": "abc123",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
    }
    assert cli("apply", str(config), "--auto-approve", "--audit-log", str(log), **ci).code == 0
    run = json.loads(log.read_text().splitlines()[0])["run"]
    assert run["ci"] == {
        "repository": "acme/experiments",
        "commit": "abc123",
        "actor": "octocat",
        "event": "pull_request",
        "pull_request": 12,
        "run_url": "https://github.com/acme/experiments/actions/runs/77",
    }
