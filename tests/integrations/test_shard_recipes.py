"""The sharded recipes: the GitHub matrix workflow passes actionlint and feeds the shard list to its matrix
as is; the GitLab pipeline runs the same fan-out with parallel:matrix and hands GitLab the terraform report."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples/ci/.github/workflows/reconciler-sharded.yml"
GITLAB = ROOT / "examples/ci/.gitlab/.gitlab-ci.yml"


def test_the_sharded_workflow_passes_actionlint() -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/actionlint.sh"), str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_fans_out_shards_and_folds_them_back() -> None:
    jobs = YAML(typ="safe").load(WORKFLOW.read_text())["jobs"]
    for name in ("plan", "apply"):
        strategy = jobs[name]["strategy"]
        assert strategy["matrix"]["include"] == "${{ fromJSON(needs.accounts.outputs.shards) }}"
        assert strategy["fail-fast"] is False and 0 < strategy["max-parallel"] <= 256
        assert "matrix." in jobs[name]["concurrency"]["group"]
    assert jobs["plan"]["concurrency"]["cancel-in-progress"] is True
    assert jobs["apply"]["concurrency"]["cancel-in-progress"] is False
    listing = " ".join(s.get("run", "") for s in jobs["accounts"]["steps"])
    assert "--changed-since" in listing and "--shards" in listing and "--format json" in listing
    merge = " ".join(s.get("run", "") for s in jobs["merge"]["steps"])
    assert "show --merge" in merge and "--shards shards.json" in merge and "--github-comment" in merge
    assert jobs["merge"]["if"].startswith("always()")
    apply = " ".join(s.get("run", "") for s in jobs["apply"]["steps"])
    assert "--github-reviewed" in apply


def test_the_gitlab_pipeline_uses_parallel_matrix_a_note_and_a_terraform_report() -> None:
    pipeline = YAML(typ="safe").load(GITLAB.read_text())
    shards = int(pipeline["variables"]["SHARDS"])
    for name in ("plan", "apply"):
        assert pipeline[name]["parallel"]["matrix"] == [{"SHARD": [str(i) for i in range(1, shards + 1)]}]
    merge = pipeline["merge"]
    script = " ".join(merge["script"])
    assert "--gitlab-comment" in script and "--terraform-report plan-report.json" in script
    assert merge["artifacts"]["reports"]["terraform"] == "plan-report.json"
    assert pipeline["plan"]["artifacts"]["when"] == "always"
