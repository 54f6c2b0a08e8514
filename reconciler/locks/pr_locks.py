"""Pull-request locks (``plan --github-comment --lock``): a plan of pull request #N holds each account it
changes until #N merges or closes, so two open pull requests never plan one account against the same state.

One git ref per locked account, ``refs/reconciler/locks/<digest of the account key>`` (reconciler/locks/refs.py:
created only if absent, replaced only by compare-and-swap); its commit message is one JSON line::

    {"account": "abtasty account 41902", "path": "accounts/shop.yaml", "pr": 7, "sha": "<head planned>",
     "holder": "octocat on runner-3 (run 99)", "since": "2026-12-03T09:30:00+00:00"}

This module is the store's both sides without any policy: read every lock (``held_locks``, which the drift
job reads too), take or refresh one, release one, and ask GitHub whether a holder's pull request is still
open. What a plan does with them is reconciler/cli/pr_lock.py's.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import NotFoundError, ServerError
from reconciler.locks.refs import Record, RefStore, ref_name

KIND = "locks"
_SHA = re.compile(r"[0-9a-f]{7,64}")
_TEXT_LIMIT = 300  # a record is untrusted (anyone who may push refs may write one): its texts are bounded


@dataclass(frozen=True)
class PrLock:
    """One account's lock as read (or about to be written)."""

    account: str  # the account key as plans show it: "abtasty account 41902"
    path: str  # the config file, relative to the repository's root
    pr: int
    sha: str  # the head commit the holder's last plan was made for
    holder: str  # who planned, and where
    since: str  # when the lock was first taken, ISO-8601 UTC
    ref: str = ""
    commit: str = ""  # the record's own commit: a replace is a compare-and-swap on it

    def record(self) -> dict[str, Any]:
        """The JSON line the ref's commit carries."""
        return {"account": self.account, "path": self.path, "pr": self.pr, "sha": self.sha,
                "holder": self.holder, "since": self.since}  # fmt: skip

    def line(self) -> str:
        """``#7 (plan at a1b2c3d4e5f6)``: the words every refusal and plan quotes."""
        return f"#{self.pr} (plan at {self.sha[:12]})"


def lock_ref(account: str) -> str:
    """The ref of ``account``'s lock."""
    return ref_name(KIND, account)


def parse(record: Record) -> PrLock | None:
    """The lock a ref holds, or None when its record is not one (not ours, or damaged)."""
    data = record.data
    pr, account = data.get("pr"), data.get("account")
    if not isinstance(pr, int) or isinstance(pr, bool) or not isinstance(account, str) or not account:
        return None
    sha = data.get("sha")
    return PrLock(
        account=account[:_TEXT_LIMIT],
        path=_text(data, "path"),
        pr=pr,
        sha=sha if isinstance(sha, str) and _SHA.fullmatch(sha) else "?",
        holder=_text(data, "holder"),
        since=_text(data, "since"),
        ref=record.ref,
        commit=record.sha,
    )


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value[:_TEXT_LIMIT] if isinstance(value, str) else "?"


async def held_locks(store: RefStore) -> list[PrLock]:
    """Every pull-request lock of the repository (records that are not locks are left out)."""
    return [lock for record in await store.all(KIND) if (lock := parse(record)) is not None]


def new_lock(account: str, path: str, pr: int, sha: str, env: Mapping[str, str]) -> PrLock:
    """The lock this run would write: the holder is the Actions actor (else the user), the host and the run."""
    who = env.get("GITHUB_ACTOR") or env.get("USER") or "someone"
    holder = f"{who} on {socket.gethostname()}"
    if env.get("GITHUB_RUN_ID"):
        holder += f" (run {env['GITHUB_RUN_ID']})"
    since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return PrLock(account, path, pr, sha, holder, since, ref=lock_ref(account))


async def take(store: RefStore, lock: PrLock) -> PrLock | None:
    """Create ``lock``'s ref; None when it is ours now, else the lock found there (someone holds it)."""
    if await store.create(lock.ref, lock.record()):
        return None
    found = await store.read(lock.ref)
    if found is None:  # released between our create and our read: try once more
        return None if await store.create(lock.ref, lock.record()) else await _read(store, lock.ref)
    return parse(found) or PrLock(
        lock.account, "?", 0, "?", "an unreadable record", "?", found.ref, found.sha
    )


async def replace(store: RefStore, seen: PrLock, lock: PrLock) -> bool:
    """Point the ref at ``lock`` if it still holds ``seen`` (a refresh, or taking over a stale lock)."""
    return await store.replace(Record(seen.ref, seen.commit, seen.record()), lock.record())


async def _read(store: RefStore, ref: str) -> PrLock | None:
    found = await store.read(ref)
    return parse(found) if found is not None else None


async def release(store: RefStore, seen: PrLock) -> bool:
    """Delete ``seen``'s ref if it still holds ``seen``. GitHub has no conditional delete: the ref is read
    again first, which narrows (but cannot close) the window in which a lock taken meanwhile is deleted."""
    found = await store.read(seen.ref)
    if found is None or found.sha != seen.commit:
        return False
    await store.delete(seen.ref)
    return True


async def pull_open(store: RefStore, number: int) -> bool:
    """Whether pull request ``number`` is open (``GET pulls/{n}``); one that does not exist is not."""
    try:
        answer = await store.client.request("GET", f"{store.repo}/pulls/{number}")
    except NotFoundError:
        return False
    data = answer.json()
    state = data.get("state") if isinstance(data, dict) else None
    if state not in ("open", "closed"):
        raise ServerError(
            "GET", "github", 200, "malformed answer: a pull request's 'state' is not open/closed"
        )
    return state == "open" and not data.get("merged")
