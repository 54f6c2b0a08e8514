"""The GitHub integration end to end: the CLI against the sandbox and a local fake of GitHub's REST API, both
over real HTTP on 127.0.0.1, with the Actions environment a workflow run has."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.render import MARKDOWN_MARKER
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CliRunner, Result, mutations, write_config
from tests.support.fake_github import TOKEN, FakeGitHub, serve_github

PR, HEAD, MERGE = 7, "a1b2c3d4e5f6a7b8c9d0", "f0e1d2c3b4a5968778695a4b"
PLAY = "tests:\n  - id: 381296\n    state: play\n"


@pytest.fixture
def github(tmp_path: Path) -> Iterator[FakeGitHub]:
    with serve_github() as gh:
        yield gh


@pytest.fixture
def actions(github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    """The Actions environment of a pull_request run."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR, "head": {"sha": HEAD}}}))
    return {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.repo,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": MERGE,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "42",
    }


def ours(github: FakeGitHub) -> list[dict[str, object]]:
    return [c for c in github.comments.get(PR, []) if str(c["body"]).startswith(MARKDOWN_MARKER)]


def clean(result: Result, github: FakeGitHub) -> Result:
    bodies = json.dumps([github.comments, github.issues])
    assert TOKEN not in result.all and TOKEN not in bodies and CANARY_SECRET not in bodies
    return result


def test_first_plan_creates_the_comment_the_next_updates_it_others_untouched(
    cli: CliRunner, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    for i in range(150):  # two pages of other people's comments; ours must be found on the second
        github.add_comment(PR, f"comment {i} mentioning {MARKDOWN_MARKER[5:]}")
    others = json.dumps(github.comments[PR])
    config = write_config(tmp_path, PLAY)
    first = clean(cli("plan", str(config), "--github-comment", **actions), github)
    assert first.code == 0, first.all
    [comment] = ours(github)
    assert "~ test 381296" not in str(comment["body"])  # Markdown, not the text plan
    assert "\n! test 381296" in str(comment["body"]) and f"for commit `{HEAD[:12]}`" in str(comment["body"])
    assert "<!-- reconciler:digest=" in str(comment["body"])
    config.write_text(config.read_text() + "  - id: 381321\n    state: play\n    mode: preprod\n")
    second = clean(cli("plan", str(config), "--github-comment", **actions), github)
    assert second.code == 0, second.all
    [updated] = ours(github)
    assert updated["id"] == comment["id"] and "381321" in str(updated["body"])
    assert json.dumps(github.comments[PR][:150]) == others
    assert [m[0] for m in github.mutations()] == ["POST", "PATCH"]
    assert "| `~` | `test 381296" in Path(actions["GITHUB_STEP_SUMMARY"]).read_text()


def test_a_failed_plan_updates_the_comment_and_exits_1(
    cli: CliRunner, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    assert cli("plan", str(config), "--github-comment", **actions).code == 0
    config.write_text(config.read_text() + "  - id: 999999\n    state: play\n")
    failed = clean(cli("plan", str(config), "--github-comment", **actions), github)
    assert failed.code == 1
    [comment] = ours(github)
    assert "### reconciler plan failed" in str(comment["body"])
    assert "test 999999 does not exist in account 41902" in str(comment["body"])


def test_a_broken_rail_fails_the_check_and_says_how_to_proceed(
    cli: CliRunner, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, "memberships:\n  prune: true\n  members:\n    - {email: remi@abtasty.com, role: admin}\n"
    )
    result = clean(cli("plan", str(config), "--github-comment", **actions), github)
    assert result.code == 1
    assert "max_access_loss_fraction" in result.err and "--force" in result.err
    [comment] = ours(github)
    assert "max_access_loss_fraction" in str(comment["body"]) and "apply will refuse this plan" in str(
        comment["body"]
    )
    forced = cli("plan", str(config), "--force", **actions)
    assert forced.code == 0


def test_merge_applies_only_the_reviewed_plan(
    cli: CliRunner, sandbox: SandboxServer, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    assert cli("plan", str(config), "--github-comment", **actions).code == 0
    github.commit_pulls[MERGE] = [PR]
    config.write_text(config.read_text() + "  - id: 381321\n    state: play\n")  # main moved after the review
    sandbox.clear_requests()
    moved = clean(cli("apply", str(config), "--auto-approve", "--github-reviewed", **actions), github)
    assert moved.code == 1 and f"not the one reviewed on pull request #{PR}" in moved.err
    assert mutations(sandbox) == []
    config.write_text(config.read_text().replace("  - id: 381321\n    state: play\n", ""))
    applied = clean(cli("apply", str(config), "--auto-approve", "--github-reviewed", **actions), github)
    assert applied.code == 0, applied.all
    assert ("PATCH", "/api/interface/accounts/41902/tests/381296/play") in mutations(sandbox)


def test_merge_without_a_reviewed_plan_is_refused(
    cli: CliRunner, sandbox: SandboxServer, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    result = clean(cli("apply", str(config), "--auto-approve", "--github-reviewed", **actions), github)
    assert result.code == 1 and "is the merge of no pull request" in result.err
    github.commit_pulls[MERGE] = [PR]
    result = clean(cli("apply", str(config), "--auto-approve", "--github-reviewed", **actions), github)
    assert result.code == 1 and f"pull request #{PR} has no plan comment" in result.err
    assert mutations(sandbox) == []


def test_drift_issue_opens_updates_and_closes(
    cli: CliRunner, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    github.issues[1] = {
        "number": 1,
        "title": "a pull request",
        "body": "x",
        "state": "open",
        "pull_request": {},
    }
    opened = clean(cli("plan", str(config), "--github-drift-issue", "--detailed-exitcode", **actions), github)
    assert opened.code == 2 and "Drift issue: opened #2." in opened.err
    assert (
        github.issues[2]["title"] == "reconciler: drift in 1 account(s)"
        and "381296" in github.issues[2]["body"]
    )
    again = clean(cli("plan", str(config), "--github-drift-issue", **actions), github)
    assert "Drift issue: updated #2." in again.err and len(github.issues) == 2
    assert cli("apply", str(config), "--auto-approve").code == 0
    closed = clean(cli("plan", str(config), "--github-drift-issue", "--detailed-exitcode", **actions), github)
    assert closed.code == 0 and "Drift issue: closed #2." in closed.err
    assert github.issues[2]["state"] == "closed" and github.issues[1]["state"] == "open"
    quiet = cli("plan", str(config), "--github-drift-issue", **actions)
    assert "Drift issue: in sync." in quiet.err


def test_outside_actions_it_names_the_missing_variable(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("plan", str(write_config(tmp_path, PLAY)), "--github-comment")
    assert result.code == 1
    assert (
        "environment variables GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN and GITHUB_EVENT_PATH are not set"
        in result.err
    )


def test_only_the_bots_comment_on_the_merged_pull_request_is_the_review(
    cli: CliRunner, sandbox: SandboxServer, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    assert cli("plan", str(config), "--github-comment", **actions).code == 0
    config.write_text(config.read_text() + "  - id: 381321\n    state: play\n")  # main moves after the review
    other = tmp_path / "event8.json"
    other.write_text(json.dumps({"pull_request": {"number": 8, "head": {"sha": HEAD}}}))
    assert (
        cli("plan", str(config), "--github-comment", **{**actions, "GITHUB_EVENT_PATH": str(other)}).code == 0
    )
    [moved_plan] = github.comments[8]
    github.add_comment(
        PR, str(moved_plan["body"]), "a-passer-by"
    )  # a stranger pastes the moved plan's comment
    github.open_pulls[MERGE] = [8]  # and an open pull request holds the commit
    github.commit_pulls[MERGE] = [PR]
    sandbox.clear_requests()
    refused = clean(cli("apply", str(config), "--auto-approve", "--github-reviewed", **actions), github)
    assert refused.code == 1 and f"not the one reviewed on pull request #{PR}" in refused.err
    assert mutations(sandbox) == []
    github.commit_pulls[MERGE] = []
    only_open = clean(cli("apply", str(config), "--auto-approve", "--github-reviewed", **actions), github)
    assert only_open.code == 1 and "is the merge of no pull request" in only_open.err


def test_a_strangers_drift_issue_is_not_adopted(
    cli: CliRunner, github: FakeGitHub, actions: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    github.issues[1] = {
        "number": 1,
        "title": "x",
        "body": "<!-- reconciler:drift -->",
        "state": "open",
        "user": {"login": "someone"},
    }
    opened = clean(cli("plan", str(config), "--github-drift-issue", **actions), github)
    assert "Drift issue: opened #2." in opened.err and github.issues[1]["body"] == "<!-- reconciler:drift -->"
