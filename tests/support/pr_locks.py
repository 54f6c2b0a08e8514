"""Pull-request locks on the local GitHub fake (comments, git refs, pulls), over real HTTP: the fake with its
state, the Actions environment of one pull request's plan job, and ``plan --github-comment --lock``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.locks.pr_locks import lock_ref
from reconciler.render import MARKDOWN_MARKER
from tests.support.e2e import CANARY_SECRET, CliRunner, Result, write_config
from tests.support.fake_git import GitState
from tests.support.fake_github import TOKEN, FakeGitHub, serve_github
from tests.support.fake_pulls import PullState, repository_routes

ACCOUNT = "abtasty account 41902"
PLAY = "tests:\n  - id: 381296\n    state: play\n"  # a change: the demo's test 381296 is paused
PAUSE = "tests:\n  - id: 381296\n    state: pause\n"  # no change


class Hub:
    """The fake GitHub with its git database and pull requests."""

    def __init__(self, gh: FakeGitHub, git: GitState, pulls: PullState) -> None:
        self.gh, self.git, self.pulls = gh, git, pulls

    def lock(self) -> dict[str, object]:
        """The account's lock record, {} when there is none."""
        sha = self.git.refs.get(lock_ref(ACCOUNT))
        found: dict[str, object] = json.loads(self.git.commits[sha]["message"]) if sha else {}
        return found

    def comment(self, number: int) -> str:
        ours = [c for c in self.gh.comments.get(number, []) if str(c["body"]).startswith(MARKDOWN_MARKER)]
        assert len(ours) == 1
        return str(ours[0]["body"])

    def clean(self, result: Result) -> Result:
        stored = json.dumps([self.gh.comments, self.git.commits])
        assert TOKEN not in result.all and TOKEN not in stored and CANARY_SECRET not in stored
        return result


@contextmanager
def served_hub() -> Iterator[Hub]:
    git, pulls = GitState(), PullState()
    with serve_github(lambda gh: repository_routes(gh, git, pulls)) as gh:
        yield Hub(gh, git, pulls)


def pr_env(hub: Hub, tmp_path: Path, number: int, head: str) -> dict[str, str]:
    """The Actions environment of pull request ``number``'s plan job, at commit ``head``."""
    hub.pulls.open(number)
    event = tmp_path / f"event-{number}.json"
    event.write_text(json.dumps({"pull_request": {"number": number, "head": {"sha": head}}}))
    return {"GITHUB_API_URL": hub.gh.url, "GITHUB_REPOSITORY": hub.gh.repo, "GITHUB_TOKEN": TOKEN,
            "GITHUB_EVENT_PATH": str(event), "GITHUB_SHA": head, "GITHUB_ACTOR": f"dev{number}",
            "GITHUB_RUN_ID": str(100 + number), "GITHUB_WORKSPACE": str(tmp_path)}  # fmt: skip


def plan(cli: CliRunner, hub: Hub, tmp_path: Path, number: int, head: str, body: str = PLAY) -> Result:
    config = write_config(tmp_path, body, f"pr{number}.yaml")
    return hub.clean(
        cli("plan", str(config), "--github-comment", "--lock", **pr_env(hub, tmp_path, number, head))
    )
