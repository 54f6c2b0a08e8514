"""``watch/revision.py``: the config revision the page and the notifications show: git HEAD (with a mark
when the files differ from it), else a digest of the files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from reconciler.watch.revision import revision_of

_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
_ENV |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def _git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(directory), *args], env=_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_git_head_then_uncommitted_then_no_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "accounts").mkdir(parents=True)
    config = repo / "accounts" / "app.yaml"
    config.write_text("version: 1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    head = _git(repo, "rev-parse", "HEAD")
    assert revision_of((str(repo / "accounts"),), ("d1",)) == f"git {head[:12]}"
    assert revision_of((str(config),), ("d1",)) == f"git {head[:12]}"
    config.write_text("version: 1\n# edited\n")
    assert revision_of((str(repo / "accounts"),), ("d2",)) == f"git {head[:12]} (uncommitted changes)"
    plain = tmp_path / "plain"
    plain.mkdir()
    first = revision_of((str(plain),), ("a", "b"))
    assert first.startswith("sha256 ") and len(first) == len("sha256 ") + 12
    assert revision_of((str(plain),), ("b", "a")) == first  # the order of the files does not matter
    assert revision_of((str(plain),), ("a", "c")) != first
