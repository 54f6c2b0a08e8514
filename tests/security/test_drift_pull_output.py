"""The canary through the ``drift: accept`` pull request (issue 28): the server echoes the canary secret in a
test's name; the pull request's title, body, branch, commit and file, and the drift issue, hold none of it."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, HEADER, CliRunner
from tests.support.fake_git import GitState
from tests.support.fake_github import TOKEN, serve_github
from tests.support.fake_pulls import PullState, repository_routes


def test_no_drift_pull_request_holds_the_secret(
    cli: CliRunner, echoing: SandboxServer, tmp_path: Path
) -> None:
    text = HEADER + "drift: accept\ntests:\n  - id: 381296\n    state: play\n"
    root = tmp_path / "repo"
    root.mkdir()
    (root / "shop.yaml").write_text(text)
    (tmp_path / "event.json").write_text("{}")
    git, pulls = GitState(), PullState()
    main = git.seed({"shop.yaml": text})
    with serve_github(lambda gh: repository_routes(gh, git, pulls)) as gh:
        result = cli(
            "plan", str(root / "shop.yaml"), "--github-drift-issue",
            ABTASTY_API_URL=echoing.url, ABTASTY_AUTH_URL=echoing.token_url,
            GITHUB_API_URL=gh.url, GITHUB_REPOSITORY=gh.repo, GITHUB_TOKEN=TOKEN,
            GITHUB_EVENT_PATH=str(tmp_path / "event.json"), GITHUB_SHA=main, GITHUB_WORKSPACE=str(root),
        )  # fmt: skip
        assert result.code == 0, result.all
        [pull] = pulls.pulls.values()
        written = json.dumps([gh.issues, pulls.pulls, git.commits, git.blobs, sorted(git.refs)])
    assert "leak *** end" in str(pull["body"])
    for secret in (CANARY_SECRET, TOKEN):
        assert secret not in written and secret not in result.all
