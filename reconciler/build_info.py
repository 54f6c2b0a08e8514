"""Which commit this reconciler was built from, for ``--version`` (the Action is pinned by commit).

A wheel carries it in ``reconciler/COMMIT``, written at build time by ``setup.py``; a checkout installed
editable (``make``) asks git, once, when ``--version`` is given; anything else says the commit is unknown
rather than guess. Read only by ``--version`` and the crash message: nothing here runs at start-up.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
COMMIT_FILE = "COMMIT"
# The tracker a crash points at: pyproject's [project.urls] Issues, kept here so a crash needs no metadata.
TRACKER = "https://github.com/reconciler/reconciler/issues"
_SHAPE = re.compile(r"[0-9A-Za-z._+/-]{1,100}")


def describe(root: Path) -> str | None:
    """``git describe --always --dirty`` of the checkout at ``root``, or None (no git, not a checkout)."""
    if not (root / ".git").exists():  # a file in a worktree, a directory in a clone
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and text else None


def commit(package: Path = PACKAGE) -> str:
    """The commit: the build's file first, then the checkout the package sits in, else "unknown"."""
    try:
        written = (package / COMMIT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        written = ""
    found = written or describe(package.parent) or ""
    # A file or tag name is printed to a terminal: only the characters a commit or tag describe gives.
    return found if _SHAPE.fullmatch(found) else "unknown"


def version_line(version: str) -> str:
    """What ``--version`` prints."""
    return f"reconciler, version {version} (commit {commit()})"
