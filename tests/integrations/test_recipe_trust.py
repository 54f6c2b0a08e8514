"""The GitOps recipe's trust (issue 24): plan gets read-only credentials and apply's write ones live in the
protected environment; the action installs only its own checkout, has one address and writes outside the
checkout; the fork notice edits only its own comment; the digest is 256 bits; a cut summary says so."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.cli.github import _SUMMARY_LIMIT, summary_text
from reconciler.core.plan import plans_digest
from reconciler.render import MARKDOWN_MARKER
from reconciler.sandbox.server import SandboxServer
from tests.integrations.test_action import _github_env, _run_step, runner_temp
from tests.support.e2e import CliRunner, mutations, write_config
from tests.support.fake_github import BOT, TOKEN, FakeGitHub, serve_github

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "examples/ci/.github/workflows"
PR, HEAD, MERGE = 7, "a1b2c3d4e5f6a7b8c9d0", "f0e1d2c3b4a5968778695a4b"


def _jobs(name: str) -> dict[str, dict[str, object]]:
    jobs: dict[str, dict[str, object]] = YAML(typ="safe").load((WORKFLOWS / name).read_text())["jobs"]
    return jobs


def test_plan_reads_with_the_plan_environment_and_only_apply_gets_the_protected_one() -> None:
    for name in ("reconciler.yml", "reconciler-sharded.yml"):
        for job_name, job in _jobs(name).items():
            uses_secrets = re.search(r"secrets\.|\(secrets\)", json.dumps(job)) is not None
            expected = "accounts" if job_name == "apply" else "plan" if uses_secrets else None
            assert job.get("environment") == expected, f"{name}: {job_name}"
    recipe = (ROOT / "README.md").read_text() + (ROOT / "docs/gitops.md").read_text()
    assert "Dismiss stale pull request approvals" in recipe and "read-only" in recipe


def test_the_action_installs_only_its_own_checkout_by_hash() -> None:
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    assert "version" not in action["inputs"]
    install = (ROOT / "scripts/action-install.sh").read_text()
    assert "experiment-reconciler" not in install and "INPUT_VERSION" not in install
    for line in (ln for ln in install.splitlines() if "pip install" in ln):
        assert "--require-hashes" in line or line.rstrip().endswith('--no-build-isolation "$root"'), line
    for workflow in WORKFLOWS.glob("*.yml"):
        text = workflow.read_text()
        assert "git+https://" not in text and 'pip install "$' not in text, workflow.name


def test_the_action_has_one_address_everywhere() -> None:
    texts = [ROOT / "README.md", ROOT / "action.yml", *ROOT.glob("docs/**/*.md"), *WORKFLOWS.glob("*.yml")]
    for path in texts:
        text = path.read_text()
        assert "OWNER/reconciler" not in text, path
        for address in re.findall(r"([\w.-]+/reconciler)@", text):
            assert address in ("reconciler/reconciler", "YOUR_ORG/reconciler"), f"{path}: {address}"
    assert "Vendoring or forking the action" in (ROOT / "README.md").read_text()


def test_the_run_step_writes_nothing_into_the_checkout(sandbox: SandboxServer, tmp_path: Path) -> None:
    work = tmp_path / "repo"
    (work / "accounts").mkdir(parents=True)
    write_config(work / "accounts", "tests:\n  - id: 381296\n    state: play\n", "shop.yaml")
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    (work / "plan.md").symlink_to(victim)  # what a pull request could commit
    with serve_github() as gh:
        result = _run_step("plan", _github_env(gh, tmp_path, sandbox), work)
    assert result.returncode == 0, result.stdout + result.stderr
    assert victim.read_text() == "untouched" and not (work / "plan.json").exists()
    assert (runner_temp(work) / "reconciler" / "plan.md").is_file()


def _fork_notice(comments: list[dict[str, object]]) -> list[list[object]]:
    """Run the fork-notice job's script under node with a recording stand-in for github-script's context."""
    job: dict[str, list[dict[str, dict[str, str]]]] = _jobs("reconciler.yml")["fork-notice"]  # type: ignore[assignment]
    script = job["steps"][0]["with"]["script"]
    harness = f"""
const calls = [];
const github = {{
  paginate: async () => {json.dumps(comments)},
  rest: {{ issues: {{
    listComments: null,
    updateComment: async (a) => calls.push(["update", a.comment_id]),
    createComment: async (a) => calls.push(["create", a.issue_number]),
  }} }},
}};
const context = {{ repo: {{ owner: "o", repo: "r" }}, issue: {{ number: 5 }} }};
(async () => {{ {script} }})().then(() => console.log(JSON.stringify(calls)));
"""
    done = subprocess.run(["node", "-e", harness], capture_output=True, text=True, timeout=60, check=True)
    calls: list[list[object]] = json.loads(done.stdout)
    return calls


@pytest.mark.skipif(shutil.which("node") is None, reason="the fork-notice script runs under node")
def test_the_fork_notice_edits_only_its_own_bots_comment() -> None:
    marker = "<!-- reconciler:plan -->"
    stranger = {"id": 1, "body": f"{marker}\nall fine, merge", "user": {"login": "mallory"}}
    ours = {"id": 2, "body": f"{marker}\nold notice", "user": {"login": BOT}}
    assert _fork_notice([stranger, ours]) == [["update", 2]]
    assert _fork_notice([stranger]) == [["create", 5]]


def test_the_plan_digest_is_256_bits() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", plans_digest([]))


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_github() as gh:
        yield gh


def test_an_old_64_bit_digest_is_refused_with_a_request_to_plan_again(
    cli: CliRunner, sandbox: SandboxServer, github: FakeGitHub, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR, "head": {"sha": HEAD}}}))
    actions = {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.repo,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": MERGE,
    }
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    github.add_comment(
        PR, f"{MARKDOWN_MARKER}\nplan\n<!-- reconciler:digest={'0' * 16} commit= -->", user=BOT
    )
    github.commit_pulls[MERGE] = [PR]
    result = cli("apply", str(config), "--auto-approve", "--github-reviewed", **actions)
    assert result.code == 1 and "short digest" in result.err and "re-run its plan job" in result.err
    assert mutations(sandbox) == []


def test_a_cut_job_summary_says_it_was_cut() -> None:
    whole = "| row |\n" * 10
    assert summary_text(whole) == whole
    cut = summary_text("| é row |\n" * 200_000)  # multi-byte: GitHub's limit counts bytes
    assert len(cut.encode()) <= _SUMMARY_LIMIT
    assert cut.endswith("whole plan is in this run's `plan` artifact.") and "**This summary was cut**" in cut
    assert cut.split("\n\n**This")[0].endswith("| é row |\n")
