"""Releasing pull-request locks: ``reconciler unlock ACCOUNT`` and ``--pr N`` (a maintainer's way out), and
the merge job's apply, which releases the merged pull request's locks; all on the local GitHub fake."""

from __future__ import annotations

from pathlib import Path

from tests.support.e2e import CliRunner, write_config
from tests.support.fake_github import TOKEN
from tests.support.pr_locks import ACCOUNT, PLAY, Hub, plan, pr_env


def _repo(hub: Hub) -> dict[str, str]:
    return {"GITHUB_API_URL": hub.gh.url, "GITHUB_REPOSITORY": hub.gh.repo, "GITHUB_TOKEN": TOKEN}


def test_unlock_an_account_then_a_pull_request(cli: CliRunner, hub: Hub, tmp_path: Path) -> None:
    assert plan(cli, hub, tmp_path, 7, "a" * 40).code == 0
    assert plan(cli, hub, tmp_path, 8, "b" * 40).code == 1
    missing = hub.clean(cli("unlock", "taplytics project shop", **_repo(hub)))
    assert missing.code == 1 and "no lock on 'taplytics project shop'; locks held: " in missing.err
    assert f"{ACCOUNT} by #7" in missing.err
    released = hub.clean(cli("unlock", ACCOUNT, **_repo(hub)))
    assert released.code == 0, released.all
    assert f"Released the lock of #7 on {ACCOUNT} (pr7.yaml, plan at aaaaaaaaaaaa)." in released.out
    assert hub.lock() == {}
    assert plan(cli, hub, tmp_path, 8, "b" * 40).code == 0  # the waiting pull request goes first now
    assert plan(cli, hub, tmp_path, 7, "a" * 40).code == 1  # and #7, still open, waits in turn
    by_pr = hub.clean(cli("unlock", "--pr", "8", **_repo(hub)))
    assert by_pr.code == 0 and hub.lock() == {} and "Released the lock of #8" in by_pr.out
    assert cli("unlock", "--pr", "8", **_repo(hub)).out == "Pull request #8 holds no lock.\n"


def test_unlock_by_the_last_word_and_usage(cli: CliRunner, hub: Hub, tmp_path: Path) -> None:
    assert plan(cli, hub, tmp_path, 7, "a" * 40).code == 0
    assert cli("unlock", **_repo(hub)).code == 1
    assert cli("unlock", "41902", "--pr", "7", **_repo(hub)).code == 1
    assert cli("unlock", "41902", **_repo(hub)).code == 0 and hub.lock() == {}


def test_the_merge_jobs_apply_releases_the_merged_pull_requests_locks(
    cli: CliRunner, hub: Hub, tmp_path: Path
) -> None:
    assert plan(cli, hub, tmp_path, 7, "a" * 40).code == 0 and hub.lock()
    hub.pulls.merge(7)
    hub.gh.commit_pulls["m" * 40] = [7]
    env = {**pr_env(hub, tmp_path, 99, "m" * 40), "GITHUB_SHA": "m" * 40}
    env["GITHUB_EVENT_PATH"] = str(tmp_path / "push.json")
    (tmp_path / "push.json").write_text("{}")
    config = write_config(tmp_path, PLAY, "pr7.yaml")
    applied = hub.clean(cli("apply", str(config), "--auto-approve", "--github-reviewed", **env))
    assert applied.code == 0, applied.all
    assert hub.lock() == {} and f"Released the lock of merged #7 on {ACCOUNT}." in applied.err
