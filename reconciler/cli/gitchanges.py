"""Which files under some paths differ from a git commit (``accounts --changed-since REF``).

``git diff --name-status -M REF`` compares the commit with the work tree (committed or not), and finds
renames; files git does not track yet are added too, so a new account file counts before it is committed.
Paths come back relative to the current directory (``--relative``), as the user gave them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.errors import ReconcilerError


@dataclass
class Changes:
    """Changed (added, modified, or renamed to) files, the files deleted, and each rename's old name."""

    changed: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    renamed: dict[str, str] = field(default_factory=dict)  # new name -> old name


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ReconcilerError(f"--changed-since needs git: {err.__class__.__name__}") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise ReconcilerError(f"git {args[0]} failed: {first}")
    return done.stdout


def changes_since(ref: str, paths: Sequence[str]) -> Changes:
    """What differs between ``ref`` and the work tree below ``paths``."""
    if ref.startswith("-"):  # never let a REF be read as an option of git
        raise ReconcilerError(f"--changed-since {ref!r}: a commit, branch or tag, not an option")
    _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    out = Changes()
    fields = _git("diff", "--name-status", "-z", "-M", "--relative", ref, "--", *paths).split("\0")
    i = 0
    while i < len(fields) - 1:
        status = fields[i]
        if status.startswith(("R", "C")):
            old, new = fields[i + 1], fields[i + 2]
            out.changed.add(new)
            if status.startswith("R"):
                out.renamed[new] = old
            i += 3
            continue
        name = fields[i + 1]
        (out.deleted if status == "D" else out.changed).add(name)
        i += 2
    untracked = _git("ls-files", "-z", "--others", "--exclude-standard", "--", *paths)
    out.changed.update(n for n in untracked.split("\0") if n)
    return out


def old_text(ref: str, path: str) -> str | None:
    """The file's text at ``ref`` (``path`` relative to the current directory), or None if unreadable."""
    try:
        return _git("show", f"{ref}:./{path}")
    except ReconcilerError:
        return None


def same_file(a: str, b: str) -> bool:
    """Whether two spellings of a path name one file (``accounts/x.yaml`` and ``./accounts/x.yaml``)."""
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))
