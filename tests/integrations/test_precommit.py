"""The reconciler-validate hook as a config repository runs it: ``pre-commit try-repo`` against this checkout
(its hook environment is built from this checkout, so the hook runs this code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds pre-commit's hook environment

ROOT = Path(__file__).resolve().parents[2]
GOOD = "version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n  - id: 381296\n    state: play\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "ABTASTY_CLIENT_SECRET": "canary-hook-secret"}
    return subprocess.run(
        [str(pre_commit), "try-repo", str(ROOT), "reconciler-validate", "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_hook_passes_good_files_and_names_each_problem(tmp_path: Path) -> None:
    repo = tmp_path / "config-repo"
    (repo / "accounts").mkdir(parents=True)
    (repo / "accounts" / "shop.yaml").write_text(GOOD)
    (repo / ".github").mkdir()
    (repo / ".github" / "other.yaml").write_text("not: a reconciler file\n")  # outside accounts/: not checked
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "accounts")
    ok = try_repo(repo, tmp_path / "home")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "reconciler validate" in ok.stdout and "Passed" in ok.stdout

    (repo / "accounts" / "shop.yaml").write_text(GOOD.replace("state: play", "state: plya"))
    git(repo, "add", "-A")
    bad = try_repo(repo, tmp_path / "home")
    assert bad.returncode == 1
    assert "accounts/shop.yaml:7:12: tests[0].state: input should be 'play' or 'pause'" in bad.stdout
    assert "canary-hook-secret" not in bad.stdout + bad.stderr
