"""The reconciler-validate hook as a config repository runs it: a ``.pre-commit-config.yaml`` naming this
checkout, and ``pre-commit run`` (its hook environment is built from this checkout, so the hook runs this code).

``pre-commit try-repo`` would do the same in one command, but it keeps its hook environment in a temporary
store of its own, so each call builds it again (about 10 s of install each); a config file and a shared
``PRE_COMMIT_HOME`` build it once for both runs, as a real config repository's cache does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds pre-commit's hook environment

ROOT = Path(__file__).resolve().parents[2]
GOOD = "version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n  - id: 381296\n    state: play\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def shadow_of_this_checkout(shadow: Path) -> str:
    """A clone of this checkout with its uncommitted changes to tracked files committed (what try-repo does):
    the commit to name as the hook's ``rev``."""
    git(shadow.parent, "clone", "-q", "--no-checkout", str(ROOT), str(shadow))
    git(shadow, "checkout", "-q", git(ROOT, "rev-parse", "HEAD").strip())
    diff = subprocess.run(
        ["git", "-C", str(ROOT), "diff", "HEAD", "--binary"], capture_output=True, check=True
    )
    if diff.stdout:
        subprocess.run(["git", "-C", str(shadow), "apply", "--binary"], input=diff.stdout, check=True)
        git(shadow, "commit", "-qam", "uncommitted changes")
    return git(shadow, "rev-parse", "HEAD").strip()


def run_hooks(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    # Not UV_OFFLINE: with a fresh uv cache (CI's) the hook environment's `uv venv --seed` needs pip, which
    # `make` never installs, so an offline run fails there; the package index is reachable wherever make is.
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "ABTASTY_CLIENT_SECRET": "canary-hook-secret",
    }
    return subprocess.run(
        [str(pre_commit), "run", "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_hook_passes_good_files_and_names_each_problem(tmp_path: Path) -> None:
    rev = shadow_of_this_checkout(tmp_path / "reconciler")
    repo = tmp_path / "config-repo"
    (repo / "accounts").mkdir(parents=True)
    (repo / "accounts" / "shop.yaml").write_text(GOOD)
    (repo / ".github").mkdir()
    (repo / ".github" / "other.yaml").write_text("not: a reconciler file\n")  # outside accounts/: not checked
    (repo / ".pre-commit-config.yaml").write_text(  # outside accounts/ too
        f"repos:\n  - repo: {tmp_path / 'reconciler'}\n    rev: {rev}\n    hooks:\n      - id: reconciler-validate\n"
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "accounts")
    ok = run_hooks(repo, tmp_path / "home")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "reconciler validate" in ok.stdout and "Passed" in ok.stdout

    (repo / "accounts" / "shop.yaml").write_text(GOOD.replace("state: play", "state: plya"))
    git(repo, "add", "-A")
    bad = run_hooks(repo, tmp_path / "home")
    assert bad.returncode == 1
    assert "accounts/shop.yaml:7:12: tests[0].state: input should be 'play' or 'pause'" in bad.stdout
    assert "canary-hook-secret" not in bad.stdout + bad.stderr
