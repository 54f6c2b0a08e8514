"""Which config files other open pull requests hold a lock on, read from the lock records of issue 28's
pull-request locks: one ref ``refs/reconciler/locks/<digest>`` per locked account, its commit message one
JSON line ``{"account", "path", "pr", "sha", "holder", "since"}`` (``path``: the config file, relative to
the repository's root).

A stand-in reader behind one function, so the pull-request locks' own reader (reconciler/locks/pr_locks.py)
can replace it in one place. A lock counts only while its pull request is open: a merged or closed one's
lock that was not released yet holds nothing.
"""

from __future__ import annotations

from reconciler.integrations.pulls import Pulls
from reconciler.locks.refs import RefStore

KIND = "locks"


async def files_locked_by_other_prs(pulls: Pulls, own: int | None = None) -> dict[str, int]:
    """``{path: pull request}`` of every file an open pull request other than ``own`` holds a lock on."""
    records = await RefStore(pulls.client, pulls.repository).all(KIND)
    held: dict[str, int] = {}
    for record in records:
        path, pr = record.data.get("path"), record.data.get("pr")
        if not isinstance(path, str) or not isinstance(pr, int) or isinstance(pr, bool) or pr == own:
            continue
        if path not in held and await pulls.is_open(pr):
            held[path] = pr
    return held
