"""The drift issue, opened over real HTTP on the fake GitHub: labelled, with the run link (issue 31)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.integrations.words import render_drift
from reconciler.providers.taplytics.changes import Kind
from tests.support.e2e import CliRunner, write_config
from tests.support.fake_github import TOKEN, FakeGitHub, serve_github


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_github() as gh:
        yield gh


def _actions(github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({}))  # a scheduled run: no pull request
    return {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.repo,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": "f0e1d2c3b4a5968778695a4b",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "42",
    }


@pytest.mark.parametrize(
    ("variable", "label"), [({}, "drift"), ({"RECONCILER_DRIFT_LABEL": "ab-drift"}, "ab-drift")]
)
def test_the_drift_issue_has_a_label_the_run_link_and_the_ways_out(
    variable: dict[str, str], label: str, cli: CliRunner, github: FakeGitHub, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    result = cli("plan", str(config), "--github-drift-issue", **_actions(github, tmp_path), **variable)
    assert "Drift issue: opened #1." in result.err, result.all
    issue = github.issues[1]
    assert issue["labels"] == [{"name": label}]
    body = str(issue["body"])
    assert f"Found by [this run](https://github.com/{github.repo}/actions/runs/42)" in body
    assert "was set to pause outside the config (the config says play (prod))" in body
    assert f"`reconciler export --update {config}`" in body and "**To revert**" in body


def test_the_ways_out_quote_a_file_name_for_the_shell() -> None:
    # A config file is named by whoever opened its pull request: the commands the issue gives must paste as
    # one argument each, a blank or a `$(...)` in the name included.

    change = Change(Kind.USER_UPDATE, "user:u1", "u1", {"name": "a"}, {"name": "b"})
    plan = AccountPlan("accounts/my app $(id).yaml", "taplytics", "my-app", (change,))
    body = render_drift([plan], marker="<!-- m -->", commit="0" * 40, run_url="", limit=60000)
    assert "`reconciler export --update 'accounts/my app $(id).yaml'`" in body
    assert "`reconciler apply 'accounts/my app $(id).yaml'`" in body
