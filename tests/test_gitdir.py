"""A config checkout owned by another user (the container recipe, a git-sync sidecar) still gives its commit
to the status page's revision and to the audit log's ``config.commit``: git's "dubious ownership" refusal is
lifted for that repository alone.

As root the repository is really chowned to 65534 (nobody). As any other user it cannot be, so git's own
test switch ``GIT_TEST_ASSUME_DIFFERENT_OWNER`` makes it treat every repository as another user's: the
same refusal, the same code path in git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reconciler.audit import config_commit
from reconciler.gitdir import top_level
from reconciler.watch.revision import revision_of

_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
_ENV |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def _foreign_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A committed repository with accounts/app.yaml, owned by someone else; its HEAD."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)  # no safe.directory from the machine's config
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "repo"
    (repo / "accounts").mkdir(parents=True)
    (repo / "accounts" / "app.yaml").write_text("version: 1\n")
    env = {**os.environ, **_ENV}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    if os.geteuid() == 0:
        for folder, dirs, files in os.walk(repo):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.lchown(name, 65534, 65534)
    else:
        monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    refused = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert refused.returncode != 0 and "dubious ownership" in refused.stderr, "the condition is set up"
    return repo, head


def test_the_page_revision_reads_a_repository_owned_by_another_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, head = _foreign_repo(tmp_path, monkeypatch)
    assert revision_of((str(repo / "accounts"),), ("foreign-owner",)) == f"git {head[:12]}"


def test_the_audit_log_commit_reads_a_repository_owned_by_another_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, head = _foreign_repo(tmp_path, monkeypatch)
    assert config_commit([str(repo / "accounts" / "app.yaml")]) == {"commit": head, "dirty": False}


def test_only_the_repository_holding_the_files_is_trusted(tmp_path: Path) -> None:
    (tmp_path / "repo" / "accounts" / "eu").mkdir(parents=True)
    (tmp_path / "repo" / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    assert top_level(tmp_path / "repo" / "accounts" / "eu") == (tmp_path / "repo").resolve()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert top_level(plain) == plain.resolve()  # outside a repository: nothing above it is trusted
