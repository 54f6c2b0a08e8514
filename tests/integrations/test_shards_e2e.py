"""Fan-out, then fold: a shard list, one plan per shard against the sandbox, ``show --merge`` posting one
comment (GitHub, GitLab) with one digest per account, and each shard's apply checked against it. Everything
over real HTTP on 127.0.0.1: the sandbox, a fake GitHub, a fake GitLab."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from reconciler.core.merge import read_reviewed
from reconciler.core.plan import plans_digest
from reconciler.core.saved import read_plans
from reconciler.files import read_plan_file
from reconciler.providers import registry
from reconciler.render import MARKDOWN_MARKER
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, HEADER, CliRunner, Result, mutations
from tests.support.fake_github import TOKEN, FakeGitHub, serve_github
from tests.support.fake_gitlab import TOKEN as GL_TOKEN
from tests.support.fake_gitlab import FakeGitLab, serve_gitlab

PR, HEAD, MERGE = 7, "a1b2c3d4e5f6a7b8c9d0", "f0e1d2c3b4a5968778695a4b"
PLAY = "tests:\n  - id: 381296\n    state: play\n"
TAP = "version: 1\nprovider: taplytics\nproject:\n  name: {name}\n  api_token: ${{{var}}}\nusers:\n{users}"
#: GitLab's terraform report (https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportsterraform).
TERRAFORM_REPORT = {
    "type": "object",
    "required": ["create", "update", "delete"],
    "additionalProperties": False,
    "properties": {k: {"type": "integer", "minimum": 0} for k in ("create", "update", "delete")},
}
USER = "  - user_id: {id}\n    email: {id}@example.com\n"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_github() as gh:
        yield gh


@pytest.fixture
def repo(tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three accounts on three credentials: an AB Tasty account and two Taplytics projects."""
    accounts = tmp_path / "accounts"
    accounts.mkdir()
    (accounts / "ab.yaml").write_text(HEADER + PLAY)
    for name in ("a", "b"):
        (accounts / f"tap-{name}.yaml").write_text(
            TAP.format(name=f"app-{name}", var=f"TAP_{name.upper()}", users=USER.format(id=f"qa-{name}"))
        )
    monkeypatch.setenv("TAPLYTICS_API_URL", sandbox.url)
    for var in ("TAP_A", "TAP_B"):
        monkeypatch.setenv(var, sandbox.taplytics_token)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def actions(github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR, "head": {"sha": HEAD}}}))
    return {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.repo,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": MERGE,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def fan_out(cli: CliRunner, skip: int | None = None) -> list[dict[str, object]]:
    """The shard list, and each shard's plan saved as plans/N.json (but shard ``skip``: its job failed)."""
    listed = cli("accounts", "accounts/", "--shards", "3", "--format", "json")
    assert listed.code == 0, listed.all
    Path("shards.json").write_text(listed.out)
    Path("plans").mkdir(exist_ok=True)
    shards = json.loads(listed.out)
    for entry in shards:
        if entry["shard"] != skip:
            files = [str(f) for f in entry["files"]]  # type: ignore[attr-defined]
            planned = cli("plan", *files, "-o", f"plans/{entry['shard']}.json")
            assert planned.code == 0, planned.all
    return shards


def merge(cli: CliRunner, *extra: str, **env: str) -> Result:
    plans = [f"plans/{n}.json" for n in (1, 2, 3)]
    return cli(
        "show", "--merge", *plans, "--shards", "shards.json", "--all-accounts", "accounts/", *extra, **env
    )


def our_comment(github: FakeGitHub) -> str:
    [comment] = [c for c in github.comments.get(PR, []) if str(c["body"]).startswith(MARKDOWN_MARKER)]
    return str(comment["body"])


def test_three_shards_one_failed_the_comment_says_so_and_the_merge_exits_1(
    cli: CliRunner, repo: Path, github: FakeGitHub, actions: dict[str, str]
) -> None:
    shards = fan_out(cli, skip=3)
    assert [e["files"] for e in shards] == [
        ["accounts/ab.yaml"],
        ["accounts/tap-a.yaml"],
        ["accounts/tap-b.yaml"],
    ]
    failed = merge(cli, "--github-comment", "--github-drift-issue", **actions)
    assert failed.code == 1, failed.all
    assert (
        "FAILED shard 3: no plan came back" in failed.out and "accounts/tap-b.yaml not planned" in failed.out
    )
    body = our_comment(github)
    assert (
        "this plan is incomplete" in body and body.count("no plan") == 2 and "`accounts/tap-b.yaml`" in body
    )
    assert "No changes" not in body and '! test 381296 "Public API Test"' in body  # the diff block's row
    assert "**Next:** re-run the failed jobs" in body and "merge to apply" not in body
    assert "a shard failed" in failed.err and github.issues == {}  # the drift issue is left alone
    reviewed = read_reviewed(PR, body)
    assert reviewed is not None and reviewed.accounts is not None and len(reviewed.accounts) == 2
    assert TOKEN not in failed.all and CANARY_SECRET not in json.dumps(github.comments)


def test_each_shard_applies_only_what_the_merged_comment_reviewed(
    cli: CliRunner, repo: Path, sandbox: SandboxServer, github: FakeGitHub, actions: dict[str, str]
) -> None:
    fan_out(cli)
    run = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "77"}
    merged = merge(cli, "--github-comment", "--detailed-exitcode", **actions, **run)
    assert merged.code == 2, merged.all  # changes pending, no shard failed
    assert "Not planned" not in merged.out
    body = our_comment(github)  # the words and blocks of an unsharded plan's comment, with the run's link
    assert "**Next:** merge to apply these 4 change(s) to `abtasty account 41902`, " in body
    assert f"([plan run](https://github.com/{github.repo}/actions/runs/77))" in body
    assert body.count("```diff") == 3 and body.count("<details open>") == 3
    github.commit_pulls[MERGE] = [PR]
    tap_b = repo / "accounts" / "tap-b.yaml"
    tap_b.write_text(tap_b.read_text() + USER.format(id="qa-late"))  # changed after the review
    sandbox.clear_requests()
    refused = cli("apply", "accounts/tap-b.yaml", "--auto-approve", "--github-reviewed", **actions)
    assert (
        refused.code == 1
        and f"accounts/tap-b.yaml is not the one reviewed on pull request #{PR}" in refused.err
    )
    assert mutations(sandbox) == []
    applied = cli("apply", "accounts/ab.yaml", "--auto-approve", "--github-reviewed", **actions)
    assert applied.code == 0, applied.all
    assert ("PATCH", "/api/interface/accounts/41902/tests/381296/play") in mutations(sandbox)
    also = cli("apply", "accounts/tap-a.yaml", "--auto-approve", "--github-reviewed", **actions)
    assert also.code == 0, also.all


def test_a_change_scoped_plan_names_the_accounts_it_did_not_plan(
    cli: CliRunner, repo: Path, tmp_path: Path
) -> None:
    planned = cli("plan", "accounts/ab.yaml", "-o", "ab.json")
    assert planned.code == 0
    shown = cli("show", "--merge", "ab.json", "--all-accounts", "accounts/", "--format", "markdown")
    assert shown.code == 0
    assert "Planned: 1 account(s) this change touches. Not planned: 2 account(s)" in shown.out
    saved = json.loads(Path("ab.json").read_text())
    report = tmp_path / "report.json"
    cli("show", "--merge", "ab.json", "--terraform-report", str(report))
    counts = saved["summary"]
    assert counts["change"] > 0 and saved["accounts"][0]["file"] == "accounts/ab.yaml"
    expected = {"create": counts["add"], "update": counts["change"], "delete": counts["remove"]}
    assert json.loads(report.read_text()) == expected


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    with serve_gitlab() as gl:
        yield gl


def test_the_gitlab_note_is_created_then_updated_in_place(
    cli: CliRunner, repo: Path, gitlab: FakeGitLab, tmp_path: Path
) -> None:
    for i in range(30):  # two pages of other notes, one a look-alike by someone else
        gitlab.add_note(11, f"{MARKDOWN_MARKER} not ours {i}" if i == 3 else f"note {i}")
    gitlab.add_note(11, "merged", system=True)
    env = {
        "CI_API_V4_URL": f"{gitlab.url}/api/v4",
        "CI_PROJECT_ID": gitlab.project,
        "CI_MERGE_REQUEST_IID": "11",
        "CI_COMMIT_SHA": HEAD,
        "CI_PIPELINE_URL": "https://gitlab.example/group/config/-/pipelines/77",
        "GITLAB_TOKEN": GL_TOKEN,
    }
    fan_out(cli)
    first = merge(cli, "--gitlab-comment", "--terraform-report", "report.json", **env)
    assert first.code == 0, first.all
    assert "Plan note created on merge request !11" in first.err
    ours = [n for n in gitlab.notes[11] if n["author"]["username"] != "someone" and not n["system"]]
    assert len(ours) == 1
    body = ours[0]["body"]
    # The pull request comment's layout: what merging does next in GitLab's recipe, the pipeline, a diff
    # block per account.
    assert (
        "**Next:** merge, then run the default branch's manual `apply` job, to apply these 4 change(s) to "
        "`abtasty account 41902`, `taplytics project app-a` and `taplytics project app-b`; it will refuse if "
        "the accounts move before then (plan again to see what moved)."
    ) in body
    assert "([plan run](https://gitlab.example/group/config/-/pipelines/77))" in body
    assert '```diff\n! test 381296 "Public API Test": state pause -> play (prod)\n' in body
    assert body.count("<details open>") == 3 and "| | Resource | Change |" not in body
    report = json.loads(Path("report.json").read_text())
    jsonschema.validate(report, TERRAFORM_REPORT)  # what GitLab's merge-request widget reads
    assert report == {"create": 2, "update": 2, "delete": 0}
    (repo / "accounts" / "ab.yaml").write_text(HEADER + "tests: []\n")
    fan_out(cli)
    second = merge(cli, "--gitlab-comment", **env)
    assert second.code == 0 and "Plan note updated" in second.err
    assert [m[0] for m in gitlab.mutations()] == ["POST", "PUT"]
    assert "test 381296" not in gitlab.notes[11][-1]["body"]
    assert GL_TOKEN not in first.all + second.all and GL_TOKEN not in json.dumps(gitlab.notes)
    missing = cli("show", "--merge", "plans/1.json", "--gitlab-comment", GITLAB_TOKEN="", CI_API_V4_URL="")
    assert missing.code == 1 and "GITLAB_TOKEN" in missing.err and "CI_API_V4_URL" in missing.err


def merge_request(
    iid: int, head: str, merged: str | None, branch: str = "main", **fields: object
) -> dict[str, object]:
    """A merge request as GitLab's commits/:sha/merge_requests lists it."""
    return {"iid": iid, "state": "merged", "merged_at": "2026-12-04T10:00:00Z", "target_branch": branch,
            "target_project_id": 42, "sha": head, "merge_commit_sha": merged, "squash_commit_sha": None,
            **fields}  # fmt: skip


def test_each_gitlab_shard_applies_only_what_the_merged_note_reviewed(
    cli: CliRunner, repo: Path, sandbox: SandboxServer, gitlab: FakeGitLab
) -> None:
    """``apply --gitlab-reviewed`` in the default branch's pipeline: the merge request that made the pushed
    commit is found (a merely related one, one still open or one into another branch does not count), our
    plan note's digests read, and an account whose fresh plan is not the one reviewed is refused before any
    call to it."""
    review = {
        "CI_API_V4_URL": f"{gitlab.url}/api/v4",
        "CI_PROJECT_ID": gitlab.project,
        "GITLAB_TOKEN": GL_TOKEN,
    }
    fan_out(cli)
    noted = merge(cli, "--gitlab-comment", CI_MERGE_REQUEST_IID="11", CI_COMMIT_SHA=HEAD, **review)
    assert noted.code == 0, noted.all
    [note] = [n for n in gitlab.notes[11] if str(n["body"]).startswith(MARKDOWN_MARKER)]
    assert "; it will refuse if the accounts move before then" in note["body"]
    tap_b = repo / "accounts" / "tap-b.yaml"
    tap_b.write_text(tap_b.read_text() + USER.format(id="qa-late"))  # changed after the review
    late = cli("plan", "accounts/tap-b.yaml", "-o", "late.json")
    assert late.code == 0, late.all
    fresh = plans_digest(read_plans(read_plan_file("late.json"), registry.kinds_of))
    # Someone else's note whose tag would let the late change through, and the bot's note on another merge
    # request: neither is read.
    forged = f"<!-- reconciler:digest={fresh} commit={HEAD} accounts={fresh} -->"
    gitlab.add_note(11, f"{MARKDOWN_MARKER}\n{forged}")
    gitlab.add_note(12, str(note["body"]), user=note["author"]["username"])
    gitlab.commit_merge_requests[MERGE] = [
        {**merge_request(9, MERGE, None), "state": "opened", "merged_at": None},  # open: not merged
        merge_request(12, HEAD, MERGE, branch="feature"),  # merged into another branch, listed first
        merge_request(10, "1" * 40, "2" * 40),  # related, but its merge made another commit
        merge_request(11, HEAD, MERGE),
    ]
    pipeline = {**review, "CI_COMMIT_SHA": MERGE, "CI_COMMIT_BRANCH": "main"}
    sandbox.clear_requests()
    refused = cli("apply", "accounts/tap-b.yaml", "--auto-approve", "--gitlab-reviewed", **pipeline)
    assert (
        refused.code == 1
        and "accounts/tap-b.yaml is not the one reviewed on merge request !11" in refused.err
    )
    assert "run `reconciler apply` by hand without --gitlab-reviewed" in refused.err
    assert mutations(sandbox) == []
    applied = cli("apply", "accounts/ab.yaml", "--auto-approve", "--gitlab-reviewed", **pipeline)
    assert applied.code == 0, applied.all
    assert ("PATCH", "/api/interface/accounts/41902/tests/381296/play") in mutations(sandbox)
    done = mutations(sandbox)

    # Two merge requests that both made the commit (a second one opened at the same head, fast-forwarded):
    # which was reviewed cannot be told, so nothing is applied.
    gitlab.commit_merge_requests[MERGE].append(merge_request(13, MERGE, None))
    gitlab.commit_merge_requests[MERGE][-1]["merge_commit_sha"] = MERGE
    twice = cli("apply", "accounts/tap-a.yaml", "--auto-approve", "--gitlab-reviewed", **pipeline)
    assert twice.code == 1 and "the merge of several merge requests into main (!11, !13)" in twice.err
    # A fast-forward merge (no merge nor squash commit): its head is the pushed commit. The note was made at an
    # older head: the last push's merge job did not write it.
    gitlab.commit_merge_requests[MERGE] = [merge_request(11, MERGE, None)]
    stale = cli("apply", "accounts/tap-a.yaml", "--auto-approve", "--gitlab-reviewed", **pipeline)
    assert stale.code == 1 and f"made at commit {HEAD[:12]}, not at its last head {MERGE[:12]}" in stale.err

    alone = cli(
        "apply",
        "accounts/tap-a.yaml",
        "--auto-approve",
        "--gitlab-reviewed",
        **{**pipeline, "CI_COMMIT_SHA": "3" * 40},
    )
    assert alone.code == 1 and f"commit {'3' * 12} is the merge of no merge request into main" in alone.err
    unset = cli(
        "apply",
        "accounts/tap-a.yaml",
        "--auto-approve",
        "--gitlab-reviewed",
        **{**pipeline, "CI_COMMIT_BRANCH": ""},
    )
    assert (
        unset.code == 1
        and "environment variable CI_COMMIT_BRANCH is not set: --gitlab-reviewed runs" in unset.err
    )
    both = cli(
        "apply", "accounts/tap-a.yaml", "--auto-approve", "--gitlab-reviewed", "--github-reviewed", **pipeline
    )
    assert both.code != 0 and "--github-reviewed or --gitlab-reviewed" in both.err
    assert mutations(sandbox) == done  # every refusal came before any call
    every = (noted, refused, applied, twice, stale, alone, unset, both)
    assert all(GL_TOKEN not in r.all for r in every)
