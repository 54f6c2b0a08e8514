"""Which revision of the config (and of reconciler itself) the watch runs: git HEAD when the files are in a
repository, else a digest of their contents. The status page and the notifications show it, so a drift
report names the commit it was checked against.

``git rev-parse`` is asked rather than ``.git/HEAD`` read by hand: worktrees, ``gitdir:`` files, packed
refs and submodules all resolve the same way for it. Its answer is cached per set of config digests (the
revision only changes when the files do), so a page refreshed every 10 s does not run git every time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
from pathlib import Path

from reconciler.gitdir import git_argv

GIT_TIMEOUT_S = 5.0
SHORT = 12  # characters of a commit or a digest shown


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            git_argv(directory, *args),  # safe.directory: a checkout owned by a git-sync sidecar
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_head(directory: Path) -> str | None:
    """The commit checked out in the repository that holds ``directory``; None outside one (or no git)."""
    return _git(directory, "rev-parse", "--verify", "--quiet", "HEAD") or None


@functools.lru_cache(maxsize=16)
def revision_of(paths: tuple[str, ...], digests: tuple[str, ...]) -> str:
    """``git <commit>`` of the first of ``paths`` in a repository (``(uncommitted changes)`` after it when
    its files differ from the commit), else ``sha256 <digest of the files' digests>``. Cached by the files'
    digests: the page and the notifications ask on every render and delivery. A commit that leaves the
    config files as they were keeps the commit shown, which holds the same files."""
    for path in paths:
        where = Path(path)
        directory, spec = (where, ".") if where.is_dir() else (where.parent, where.name)
        head = git_head(directory)
        if head is not None:
            changed = _git(directory, "status", "--porcelain", "--untracked-files=no", "--", spec)
            return f"git {head[:SHORT]}" + (" (uncommitted changes)" if changed else "")
    blob = "\n".join(sorted(digests)).encode()
    return f"sha256 {hashlib.sha256(blob).hexdigest()[:SHORT]}"


def build_commit() -> str:
    """The commit reconciler itself was installed from, when it runs from a checkout; else ``unknown``."""
    head = git_head(Path(__file__).resolve().parents[2])
    return head[:SHORT] if head else "unknown"
