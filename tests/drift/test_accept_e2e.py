"""``drift: accept`` and ``drift: report`` in the drift job, end to end: the CLI against the sandbox and the
local GitHub fake (git database, pulls, issues), both over real HTTP on 127.0.0.1.

The accepted account gets one pull request whose branch changes one line of its file, comments kept; the
next run updates that pull request (the branch moves only when main does); once its file is merged the run
is clean and closes it. A ``report`` account is only in the issue. A file another open pull request holds a
lock on is not touched. A drift ``export --update`` cannot write (a declared user gone from the project)
closes our open pull request, which holds an earlier drift's values."""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.integrations.github import Actions
from reconciler.locks.refs import RefStore, ref_name
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.taplytics.state import state_of
from tests.support.e2e import CANARY_SECRET, HEADER, CliRunner, Result, canary_sandbox, mutations, run_cli
from tests.support.fake_git import GitState
from tests.support.fake_github import TOKEN, FakeGitHub, serve_github
from tests.support.fake_pulls import PullState, repository_routes
from tests.support.watch import TAPLYTICS_CANARY, change_user, sandbox_env, taplytics_config

FILE = "accounts/shop.yaml"
BRANCH = "refs/heads/reconciler/drift/abtasty-41902"
CONFIG = (
    "# The shop's account: reviewed by the growth team.\n"
    + HEADER
    + "drift: {policy}\n"
    + "tests:\n"
    + "  # The checkout test plays while the campaign runs.\n"
    + "  - id: 381296\n"
    + "    state: play   # paused in the UI last week?\n"
)


@dataclass
class Repo:
    gh: FakeGitHub
    git: GitState
    pulls: PullState
    root: Path

    def env(self, sha: str) -> dict[str, str]:
        event = self.root.parent / "event.json"
        event.write_text("{}")  # a scheduled run: no pull request
        return {
            "GITHUB_API_URL": self.gh.url,
            "GITHUB_REPOSITORY": self.gh.repo,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": sha,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_WORKSPACE": str(self.root),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "42",
        }

    def checkout(self, policy: str) -> tuple[Path, str]:
        """The config in the working tree and on main, the same text: main's commit."""
        text = CONFIG.format(policy=policy)
        path = self.root / FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path, self.git.seed({FILE: text, "README.md": "the config repository\n"})


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    git, pulls = GitState(), PullState()
    with serve_github(lambda gh: repository_routes(gh, git, pulls)) as gh:
        yield Repo(gh, git, pulls, tmp_path / "repo")


def clean(result: Result, repo: Repo) -> Result:
    """No token nor canary in the output, nor anywhere the run wrote on GitHub."""
    written = json.dumps([repo.gh.issues, repo.pulls.pulls, repo.git.commits, repo.git.blobs, repo.git.refs])
    assert TOKEN not in result.all and TOKEN not in written and CANARY_SECRET not in written
    assert result.code == 0, result.all
    return result


def drift_run(cli: CliRunner, repo: Repo, config: Path, sha: str) -> Result:
    return clean(cli("plan", str(config), "--github-drift-issue", **repo.env(sha)), repo)


async def lock(repo: Repo, sha: str, pr: int, key: str) -> None:
    """A pull-request lock on the file, as the plan locks write it (one ref, a JSON commit message)."""
    actions = Actions.from_env(repo.env(sha))
    async with actions.client() as client:
        record = {"account": "abtasty account 41902", "path": FILE, "pr": pr, "sha": "0" * 40,
                  "holder": "someone", "since": "2026-12-03T09:00:00+00:00"}  # fmt: skip
        assert await RefStore(client, repo.gh.repo).create(ref_name("locks", key), record)


def test_accept_opens_one_pull_request_updates_it_and_closes_it_once_merged(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    config, main = repo.checkout("accept")
    first = drift_run(cli, repo, config, main)
    [pull] = repo.pulls.pulls.values()
    assert pull["state"] == "open" and pull["head"] == {"ref": BRANCH.removeprefix("refs/heads/")}
    assert (
        pull["base"] == {"ref": "main"}
        and pull["title"] == "reconciler: accept drift in abtasty account 41902"
    )
    proposed = repo.git.file_at(BRANCH, FILE)
    assert proposed is not None and repo.git.file_at(BRANCH, "README.md") == "the config repository\n"
    changed = [
        d for d in difflib.ndiff(config.read_text().splitlines(), proposed.splitlines()) if d[0] in "+-"
    ]
    assert changed == ["-     state: play   # paused in the UI last week?",
                       "+     state: pause  # paused in the UI last week?"]  # fmt: skip
    body = str(pull["body"])
    assert "was set to pause outside the config (the config says play (prod))" in body
    assert f"`{FILE}:10: tests[0] (id 381296): state play -> pause`" in body and "first found " in body
    [issue] = repo.gh.issues.values()
    assert f"#{pull['number']} writes these values into the file (opened)" in str(issue["body"])
    assert f"Drift pull request for {config}: #{pull['number']}" in first.err
    assert mutations(sandbox) == []  # accepted, never reverted

    tip = repo.git.refs[BRANCH]
    asyncio.run(lock(repo, main, pull["number"], "own"))  # its own plan's lock does not hold it back
    again = drift_run(cli, repo, config, main)
    assert list(repo.pulls.pulls) == [pull["number"]] and "(updated)" in again.err
    assert repo.git.refs[BRANCH] == tip  # the same drift on the same main: the branch stays
    assert str(pull["body"]).count("first found") == 1 and "reconciler:drift-since=" in str(pull["body"])
    moved = repo.git.seed({FILE: config.read_text(), "README.md": "moved on\n"})
    drift_run(cli, repo, config, moved)
    assert repo.git.commits[repo.git.refs[BRANCH]]["parents"] == [moved]  # force-updated onto the new main
    assert repo.git.file_at(BRANCH, "README.md") == "moved on\n" and len(repo.pulls.pulls) == 1

    config.write_text(proposed)  # the pull request is merged and checked out
    merged = repo.git.seed({FILE: proposed, "README.md": "moved on\n"})
    done = drift_run(cli, repo, config, merged)
    assert pull["state"] == "closed" and BRANCH not in repo.git.refs
    assert issue["state"] == "closed" and "Drift issue: closed" in done.err
    assert mutations(sandbox) == []


def test_report_is_in_the_issue_only_and_never_reverted(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    config, main = repo.checkout("report")
    drift_run(cli, repo, config, main)
    [issue] = repo.gh.issues.values()
    assert "Policy `drift: report`: reported only" in str(issue["body"])
    assert repo.pulls.pulls == {} and not [r for r in repo.git.refs if "drift" in r]
    assert mutations(sandbox) == []


def test_a_file_another_open_pull_request_locks_is_not_touched(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    config, main = repo.checkout("accept")
    other = repo.pulls.add(repo.gh, "feature/pause-checkout")
    closed = repo.pulls.add(repo.gh, "feature/old", state="closed")

    asyncio.run(lock(repo, main, closed, "stale"))  # a closed pull request's lock left behind holds nothing
    asyncio.run(lock(repo, main, other, "live"))
    result = drift_run(cli, repo, config, main)
    assert set(repo.pulls.pulls) == {other, closed} and BRANCH not in repo.git.refs
    [issue] = repo.gh.issues.values()
    assert f"not accepted now: `{FILE}` is locked by #{other}" in str(issue["body"])
    assert f"locked by #{other}" in result.err and mutations(sandbox) == []


def test_locks_that_cannot_be_read_propose_nothing(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    config, main = repo.checkout("accept")
    repo.git.forbidden = True  # the token may not read the refs: an unknown lock is not taken for none
    drift_run(cli, repo, config, main)
    [issue] = repo.gh.issues.values()
    assert "not accepted: the repository's locks and branches cannot be read (`GET " in str(issue["body"])
    assert "403: Resource not accessible by integration" in str(issue["body"])
    assert repo.pulls.pulls == {} and mutations(sandbox) == []


def test_accept_is_the_same_for_another_provider(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with canary_sandbox(tmp_path, TAPLYTICS_CANARY) as server:
        (repo.root / "accounts").mkdir(parents=True)
        config = taplytics_config(repo.root / "accounts")
        text = config.read_text().replace("name: QA Tester 2", "name: QA Tester Two") + "drift: accept\n"
        config.write_text(text)
        main = repo.git.seed({"accounts/app.yaml": text})
        env = {**sandbox_env(server), **repo.env(main)}
        result = clean(run_cli(monkeypatch, capsys, env, "plan", str(config), "--github-drift-issue"), repo)
        assert TAPLYTICS_CANARY not in result.all
    [pull] = repo.pulls.pulls.values()
    assert pull["head"] == {"ref": "reconciler/drift/taplytics-my-app"}
    proposed = repo.git.file_at("refs/heads/reconciler/drift/taplytics-my-app", "accounts/app.yaml")
    assert proposed == text.replace("name: QA Tester Two", 'name: "QA Tester 2"')  # its exporter quotes


def test_a_pull_request_github_merged_leaves_no_branch(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    config, main = repo.checkout("accept")
    drift_run(cli, repo, config, main)
    [pull] = repo.pulls.pulls.values()
    proposed = repo.git.file_at(BRANCH, FILE)
    assert proposed is not None
    pull.update(state="closed", merged_at="2026-12-03T10:00:00Z")  # merged on GitHub: closed there
    config.write_text(proposed)
    drift_run(cli, repo, config, repo.git.seed({FILE: proposed}))
    assert BRANCH not in repo.git.refs and list(repo.pulls.pulls) == [pull["number"]]
    assert mutations(sandbox) == []


def test_a_branch_of_our_name_that_someone_else_opened_a_pull_request_from_is_never_touched(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    """The branch name is the drift job's, but anyone can push it: while someone else's pull request comes
    from it, or (that pull request closed) its tip is their commit, a drifted run neither rewrites it nor
    opens a second pull request, and an in-sync run does not delete it (which would close theirs)."""
    config, main = repo.checkout("accept")
    theirs = repo.git.seed({FILE: "their own edit\n"}, branch=BRANCH.removeprefix("refs/heads/"))
    number = repo.pulls.add(repo.gh, BRANCH.removeprefix("refs/heads/"))
    drift_run(cli, repo, config, main)
    [issue] = repo.gh.issues.values()
    assert f"not accepted: #{number}, not opened by the drift job, comes from its branch" in str(
        issue["body"]
    )
    assert repo.git.refs[BRANCH] == theirs and list(repo.pulls.pulls) == [number]

    repo.pulls.close(number)  # closed, but the branch still holds their commit
    drift_run(cli, repo, config, main)
    assert "commits the drift job did not make are on its branch" in str(issue["body"])
    assert repo.git.refs[BRANCH] == theirs and list(repo.pulls.pulls) == [number]

    in_sync = config.read_text().replace("state: play   #", "state: pause  #")  # what the account holds
    config.write_text(in_sync)
    drift_run(cli, repo, config, repo.git.seed({FILE: in_sync}))
    assert repo.git.refs[BRANCH] == theirs
    assert mutations(sandbox) == []


def test_our_branch_without_a_pull_request_is_still_ours(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    """A run pushed the branch and then could not open the pull request (a 5xx, a killed job): its tip is our
    commit, so the next drifted run takes it again and the in-sync run deletes it."""
    config, main = repo.checkout("accept")
    drift_run(cli, repo, config, main)
    [pull] = repo.pulls.pulls.values()
    del repo.pulls.pulls[pull["number"]]  # as if it had never been opened
    moved = repo.git.seed({FILE: config.read_text(), "README.md": "moved on\n"})
    drift_run(cli, repo, config, moved)
    assert repo.git.commits[repo.git.refs[BRANCH]]["parents"] == [moved] and len(repo.pulls.pulls) == 1
    [again] = repo.pulls.pulls.values()
    del repo.pulls.pulls[again["number"]]
    in_sync = config.read_text().replace("state: play   #", "state: pause  #")
    config.write_text(in_sync)
    drift_run(cli, repo, config, repo.git.seed({FILE: in_sync}))
    assert BRANCH not in repo.git.refs
    assert mutations(sandbox) == []


def test_our_pull_request_beside_someone_elses_from_the_same_branch_is_not_rewritten(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    """GitHub lets two open pull requests share a head when their bases differ: with someone else's among
    them, the branch is not rewritten under them, and ours is marked out of date."""
    config, main = repo.checkout("accept")
    drift_run(cli, repo, config, main)
    [pull] = repo.pulls.pulls.values()
    tip = repo.git.refs[BRANCH]
    other = repo.pulls.add(repo.gh, BRANCH.removeprefix("refs/heads/"))
    drift_run(cli, repo, config, repo.git.seed({FILE: config.read_text(), "README.md": "moved on\n"}))
    assert repo.git.refs[BRANCH] == tip  # main moved, but the branch is not force-updated under #other
    assert f"`{BRANCH.removeprefix('refs/heads/')} is used by #{other}`" in str(pull["body"])
    assert "**Out of date:**" in str(pull["body"]) and pull["state"] == "open"
    assert mutations(sandbox) == []


def test_an_earlier_pull_request_the_run_cannot_refresh_is_marked_out_of_date(
    cli: CliRunner, sandbox: SandboxServer, repo: Repo
) -> None:
    config, main = repo.checkout("accept")
    drift_run(cli, repo, config, main)
    [pull] = repo.pulls.pulls.values()
    tip = repo.git.refs[BRANCH]
    other = repo.pulls.add(repo.gh, "feature/pause-checkout")
    asyncio.run(lock(repo, main, other, "live"))  # the file is locked now: this run cannot refresh it
    for _ in range(2):  # a second such run replaces the line, never adds one
        drift_run(cli, repo, config, main)
    body = str(pull["body"])
    assert body.startswith(
        "<!-- reconciler:drift-pull -->\n> :warning: **Out of date:** the drift run at "
    ), body
    assert body.count("**Out of date:**") == 1 and f"`{FILE} is locked by #{other}`" in body
    assert "first found " in body  # the rest of the body is kept
    assert repo.git.refs[BRANCH] == tip and pull["state"] == "open"
    [issue] = [i for i in repo.gh.issues.values() if i.get("state") == "open"]
    assert f"#{pull['number']} keeps an earlier run's values, marked out of date" in str(issue["body"])

    repo.pulls.close(other)  # the lock holds nothing now: the next run refreshes the body whole
    drift_run(cli, repo, config, main)
    assert "Out of date" not in str(pull["body"]) and "(updated)" in str(issue["body"])

    elsewhere = {**repo.env(main), "GITHUB_WORKSPACE": str(repo.root / "docs")}  # the file is outside it now
    clean(cli("plan", str(config), "--github-drift-issue", **elsewhere), repo)
    assert "`the file is outside the checkout (GITHUB_WORKSPACE)`" in str(pull["body"])
    assert str(pull["body"]).count("**Out of date:**") == 1 and repo.git.refs[BRANCH] == tip
    assert mutations(sandbox) == []


TAPLYTICS_FILE = "accounts/app.yaml"
TAPLYTICS_BRANCH = "refs/heads/reconciler/drift/taplytics-my-app"
NO_VALUE = (
    "not accepted: `export --update` writes no value for this drift (closed #{number}, which held an earlier "
    "drift); edit by hand: `accounts/app.yaml:{line}: users[2] (qa-003): not in project my-app any more; left "
    "in the file`"
)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def delete_user(server: SandboxServer, user_id: str) -> None:
    """A user deleted in the Taplytics UI: its API deletes none, so the sandbox's state loses it in-process."""

    def delete() -> None:
        section = state_of(server.sandbox)
        del section.users[user_id]
        section.touch_user(user_id)

    server._call(delete)


def test_a_drift_export_cannot_write_closes_our_earlier_pull_request(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our open pull request holds an earlier drift's values; the account then drifts only where
    ``export --update`` writes nothing (a declared user gone from the project): merged, the pull request would
    undo the account, so the run closes it, says so in the drift issue, and writes nothing to the vendor."""
    with canary_sandbox(tmp_path, TAPLYTICS_CANARY) as server:
        (repo.root / "accounts").mkdir(parents=True)
        config = taplytics_config(repo.root / "accounts")
        text = config.read_text().replace("name: QA Tester 2", "name: QA Tester Two") + "drift: accept\n"
        config.write_text(text)
        main = repo.git.seed({TAPLYTICS_FILE: text})
        env = {**sandbox_env(server), **repo.env(main)}

        def drift() -> Result:
            result = clean(
                run_cli(monkeypatch, capsys, env, "plan", str(config), "--github-drift-issue"), repo
            )
            written = json.dumps([repo.gh.issues, repo.pulls.pulls, repo.git.commits, repo.git.blobs])
            assert TAPLYTICS_CANARY not in result.all and TAPLYTICS_CANARY not in written
            return result

        drift()  # the name drifted: export --update writes it back, our pull request opens
        [pull] = repo.pulls.pulls.values()
        head = TAPLYTICS_BRANCH.removeprefix("refs/heads/")
        assert pull["state"] == "open" and pull["head"] == {"ref": head}
        assert repo.git.file_at(TAPLYTICS_BRANCH, TAPLYTICS_FILE) == text.replace(
            "name: QA Tester Two", 'name: "QA Tester 2"'
        )
        [issue] = repo.gh.issues.values()
        assert f"#{pull['number']} writes these values into the file (opened)" in str(issue["body"])
        assert mutations(server) == []

        # Behind the tool's back: qa-002 is renamed as the config says (the first drift is gone) and qa-003,
        # which the config declares, is deleted: the only drift now is a user export --update cannot write.
        change_user(server, "qa-002", name="QA Tester Two")
        delete_user(server, "qa-003")
        server.clear_requests()
        commits, tip = dict(repo.git.commits), repo.git.refs[TAPLYTICS_BRANCH]
        second = drift()
        assert '+ user qa-003 "QA Tester 3"' in second.out
        assert "Plan: 1 to add, 0 to change, 0 to remove." in second.out  # the only drift
        reads = server.requests()
        assert mutations(server) == [] and any(r["path"].startswith("/v2/users") for r in reads), reads
    assert pull["state"] == "closed" and list(repo.pulls.pulls) == [pull["number"]]
    sentence = NO_VALUE.format(number=pull["number"], line=line_of(text, "qa-003"))
    assert sentence in str(issue["body"]) and issue["state"] == "open"
    assert "writes these values" not in str(issue["body"])  # the closed pull request is not offered
    assert f"Drift pull request for {config}: {sentence}." in second.err
    assert repo.git.commits == commits and repo.git.refs[TAPLYTICS_BRANCH] == tip  # nothing new proposed
