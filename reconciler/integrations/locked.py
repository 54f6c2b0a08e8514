"""Which config files other open pull requests hold a lock on, for the drift job's ``drift: accept`` pull
requests: the pull-request locks' own records (``reconciler.locks.pr_locks``), one per locked account.
A lock counts only while its pull request is open: a merged or closed one's lock not yet swept holds
nothing.
"""

from __future__ import annotations

from reconciler.integrations.pulls import Pulls
from reconciler.locks.pr_locks import held_locks, pull_open
from reconciler.locks.refs import RefStore


async def files_locked_by_other_prs(pulls: Pulls, own: int | None = None) -> dict[str, int]:
    """``{path: pull request}`` of every file an open pull request other than ``own`` holds a lock on."""
    store = RefStore(pulls.client, pulls.repository)
    held: dict[str, int] = {}
    for lock in await held_locks(store):
        if lock.pr != own and lock.path not in held and await pull_open(store, lock.pr):
            held[lock.path] = lock.pr
    return held
