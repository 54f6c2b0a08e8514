"""Which revision of the config (and of reconciler itself) the watch runs: git HEAD when the files are in a
repository, else a digest of their contents. The status page and the notifications show it, so a drift
report names the commit it was checked against.

``git rev-parse`` is asked rather than ``.git/HEAD`` read by hand: worktrees, ``gitdir:`` files, packed
refs and submodules all resolve the same way for it. Its answer is cached per set of config digests (the
revision only changes when the files do), so a page refreshed every 10 s does not run git every time.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

GIT_TIMEOUT_S = 5.0
SHORT = 12  # characters of a commit or a digest shown


def git_head(directory: Path) -> str | None:
    """The commit checked out in the repository that holds ``directory``; None outside one (or no git)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    head = done.stdout.strip()
    return head if done.returncode == 0 and head else None


class ConfigRevision:
    """``git <commit>`` of the first config path in a repository, else ``sha256 <digest of the files>``."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        self._cached: tuple[tuple[str, ...], str] | None = None

    def of(self, digests: Iterable[str]) -> str:
        """The revision of the configs whose digests are ``digests`` (the loaded files')."""
        key = tuple(sorted(digests))
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self._compute(key))
        return self._cached[1]

    def _compute(self, digests: tuple[str, ...]) -> str:
        for path in self.paths:
            where = Path(path)
            head = git_head(where if where.is_dir() else where.parent)
            if head is not None:
                return f"git {head[:SHORT]}"
        blob = "\n".join(digests).encode()
        return f"sha256 {hashlib.sha256(blob).hexdigest()[:SHORT]}"


def build_commit() -> str:
    """The commit reconciler itself was installed from, when it runs from a checkout; else ``unknown``."""
    head = git_head(Path(__file__).resolve().parents[2])
    return head[:SHORT] if head else "unknown"
