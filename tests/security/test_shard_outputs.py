"""The canary through the shard paths (issue 27): the shard list, a merged plan in every format, its saved
file, the terraform report, the GitHub comment and the GitLab note. The server echoes the canary secret in a
test's name; nothing of it may come out (``run_cli`` greps stdout and stderr, the conftest every file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CliRunner, write_config
from tests.support.fake_github import TOKEN, serve_github
from tests.support.fake_gitlab import TOKEN as GL_TOKEN
from tests.support.fake_gitlab import serve_gitlab


def test_no_shard_output_holds_the_secret(
    cli: CliRunner, echoing: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n", "ab.yaml")
    env = {"ABTASTY_API_URL": echoing.url, "ABTASTY_AUTH_URL": echoing.token_url}
    listed = cli("accounts", "ab.yaml", "--format", "json")
    assert listed.code == 0 and "ABTASTY_CLIENT_SECRET" in listed.out  # the variable's name, not its value
    assert cli("plan", "ab.yaml", "-o", "1.json", **env).code == 0
    for fmt in ("text", "markdown", "json"):
        shown = cli("show", "--merge", "1.json", "missing.json", "--format", fmt, "-o", f"merged-{fmt}.json")
        assert shown.code == 1 and "leak *** end" in shown.out.replace("\\", "")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "ab" * 20}}}))
    with serve_github() as github, serve_gitlab() as gitlab:
        posted = cli(
            "show", "--merge", "1.json", "--github-comment", "--gitlab-comment", "--terraform-report", "r.json",
            GITHUB_API_URL=github.url, GITHUB_REPOSITORY=github.repo, GITHUB_TOKEN=TOKEN,
            GITHUB_EVENT_PATH=str(event), GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
            CI_API_V4_URL=f"{gitlab.url}/api/v4", CI_PROJECT_ID=gitlab.project, CI_MERGE_REQUEST_IID="3",
            GITLAB_TOKEN=GL_TOKEN,
        )  # fmt: skip
        assert posted.code == 0, posted.all
        bodies = json.dumps([github.comments, gitlab.notes])
    assert "leak *** end" in bodies
    for secret in (CANARY_SECRET, TOKEN, GL_TOKEN):
        assert secret not in bodies and secret not in posted.all
