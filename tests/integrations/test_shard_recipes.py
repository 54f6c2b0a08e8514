"""The sharded recipes: the GitHub matrix workflow feeds the shard list to its matrix as is (actionlint checks
it with the other workflows, in test_action.py); the GitLab pipeline runs the same fan-out with
parallel:matrix and hands GitLab the terraform report."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples/ci/.github/workflows/reconciler-sharded.yml"
GITLAB = ROOT / "examples/ci/.gitlab/.gitlab-ci.yml"


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
    apply = [line for line in pipeline["apply"]["script"] if isinstance(line, str)]
    assert any("--gitlab-reviewed" in line for line in apply)  # only what the note reviewed
    assert pipeline["plan"]["artifacts"]["when"] == "always"


# -- .reconciler/ (an owed tag-script rebuild, one file an account) survives the sharded runners ---------------


def _fold_script(text: str) -> str:
    """The python the recipe's fold step runs (between <<'PY' and PY)."""
    start = text.index("<<'PY'\n") + len("<<'PY'\n")
    block = text[start : text.index("PY\n", start)]
    indent = len(block) - len(block.lstrip(" "))
    return "\n".join(line[indent:] for line in block.splitlines())


def _run_fold(script: str, tmp_path: Path, shards_dir: str) -> dict[str, str]:
    base = tmp_path / ".reconciler" / "pending"
    base.mkdir(parents=True)
    (base / "a.rebuild").write_text("owed")
    (base / "b.rebuild").write_text("owed")
    for shard, files in {
        "1": {"b.rebuild": "owed"},
        "2": {"a.rebuild": "owed", "b.rebuild": "owed", "c.rebuild": "new"},
    }.items():
        folder = tmp_path / shards_dir.format(shard=shard) / "pending"
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text)
        (folder.parent / "shard").write_text(shard)
    subprocess.run(["python3", "-c", script], cwd=tmp_path, check=True, timeout=60)
    root = tmp_path / ".reconciler"
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_the_sharded_workflow_keeps_reconciler_state_between_runs(tmp_path: Path) -> None:
    text = WORKFLOW.read_text()
    jobs = YAML(typ="safe").load(text)["jobs"]
    for name, job in jobs.items():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("path") != ".reconciler", (
                    f"{name}: the state dir is not the tool's"
                )
    for name in ("plan", "apply"):
        steps = jobs[name]["steps"]
        restore = next(i for i, s in enumerate(steps) if "actions/cache/restore@" in str(s.get("uses")))
        assert steps[restore]["with"]["path"] == ".reconciler", name
        assert restore < next(i for i, s in enumerate(steps) if "reconciler " in str(s.get("run", ""))), name
        assert not any("actions/cache/save@" in str(s.get("uses")) for s in steps), name
    upload = [s for s in jobs["apply"]["steps"] if "upload-artifact@" in str(s.get("uses"))]
    assert upload and upload[0]["if"] == "always()" and upload[0]["with"]["path"] == ".reconciler/"
    state = jobs["state"]
    assert state["needs"] == ["accounts", "apply"] and state["if"].startswith("always()")
    assert any(
        "actions/cache/save@5a3ec84eff668545956fd18022155c47e93e2684" in str(s.get("uses"))
        for s in state["steps"]
    )
    # Shard 1 rebuilt account a (its marker gone), shard 2 owes one for c: both survive the fold.
    folded = _run_fold(_fold_script(text), tmp_path, "shard-state/state-{shard}")
    assert folded == {"pending/b.rebuild": "owed", "pending/c.rebuild": "new"}


def test_the_gitlab_pipeline_keeps_reconciler_state_between_runs(tmp_path: Path) -> None:
    text = GITLAB.read_text()
    pipeline = YAML(typ="safe").load(text)
    for name in ("plan", "apply"):
        cache = pipeline[name]["cache"]
        assert cache["paths"] == [".reconciler/"] and cache["policy"] == "pull", name
    assert pipeline["state"]["cache"]["policy"] == "pull-push"
    assert pipeline["state"]["cache"]["key"] == pipeline["apply"]["cache"]["key"]
    assert pipeline["apply"]["artifacts"]["when"] == "always"
    assert any("state/$SHARD" in line for line in pipeline["apply"]["after_script"])
    folded = _run_fold(_fold_script(text), tmp_path, "state/{shard}")
    assert folded == {"pending/b.rebuild": "owed", "pending/c.rebuild": "new"}
