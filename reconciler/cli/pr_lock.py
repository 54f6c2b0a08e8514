"""``plan --github-comment --lock``: what a pull request's plan does with the locks (docs/locking.md).

- Each planned account with changes is locked by this pull request (created, or refreshed to the new head);
  one locked by another *open* pull request refuses the plan: the check fails (exit 1) and the comment says
  how to proceed. Accounts without changes are neither locked nor refused.
- A lock whose pull request is closed or merged is stale: taken over (compare-and-swap) when this plan wants
  the account, else deleted. This pull request's own locks on accounts it no longer changes are released.
- The store not answering refuses the plan: a holder we cannot see is never taken for no holder.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import click

from reconciler.core.plan import AccountPlan
from reconciler.encode import markdown as md
from reconciler.encode import terminal
from reconciler.errors import ApiError, ReconcilerError, TransportError
from reconciler.integrations.github import COMMENT_LIMIT, Actions
from reconciler.integrations.words import render_comment
from reconciler.lock import LockedError
from reconciler.locks.github_lease import github_client
from reconciler.locks.pr_locks import PrLock, held_locks, new_lock, parse, pull_open, release, replace, take
from reconciler.locks.refs import RefStore
from reconciler.redaction import redact
from reconciler.render import MARKDOWN_MARKER, account_heading


class LockStoreDownError(ReconcilerError):
    """The lock store did not answer: the plan cannot say who holds its accounts."""


@dataclass
class LockOutcome:
    """What the lock step found: each planned account's lock (ours or another's), the refusals, and the
    stale or outgrown locks it deleted."""

    number: int
    held: dict[str, PrLock] = field(default_factory=dict)
    refused: list[PrLock] = field(default_factory=list)
    released: list[PrLock] = field(default_factory=list)

    def annotate(self, plans: Sequence[AccountPlan]) -> list[AccountPlan]:
        """The plans with each account's lock holder, which every format shows (render.lock_line)."""
        return [self._noted(p) for p in plans]

    def _noted(self, plan: AccountPlan) -> AccountPlan:
        lock = self.held.get(account_heading(plan))
        if lock is None:
            return plan
        shown = {"pr": lock.pr, "sha": lock.sha, "holder": lock.holder, "since": lock.since}
        return dataclasses.replace(plan, lock={**shown, "ours": lock.pr == self.number})

    def raise_if_refused(self) -> None:
        """Fail the check when another open pull request holds an account this plan changes."""
        if self.refused:
            raise LockedError("\n".join(refusal_line(lock) for lock in self.refused))


def lock_pull_request(plans: Sequence[AccountPlan], actions: Actions) -> LockOutcome:
    """Take the locks of the pull request of this Actions run (``--lock``), saying on stderr which stale ones were released."""
    if actions.pull_request is None:
        raise ReconcilerError("--lock needs a pull_request event: the event payload names no pull request")
    outcome = asyncio.run(lock_plans(plans, actions.pull_request, actions.head_sha, os.environ))
    for gone in outcome.released:
        why = "this plan no longer changes it" if gone.pr == outcome.number else "closed or merged"
        # Not a progress line: the job's log must say whose lock went (the account is a record's: encoded).
        click.echo(
            terminal.text(redact(f"Released the lock of #{gone.pr} on {gone.account} ({why}).")), err=True
        )
    return outcome


def refusal_line(lock: PrLock) -> str:
    """``abtasty account 41902 is locked by #3 (plan at a1b2c3d4e5f6): ...`` and the ways on."""
    return (
        f"{lock.account} is locked by {lock.line()}: wait for #{lock.pr} to merge or close, then plan "
        f'again; or a maintainer releases it with `reconciler unlock "{lock.account}"`'
    )


def repo_path(path: str, env: Mapping[str, str]) -> str:
    """``path`` relative to the repository's root (the Actions workspace, else the working directory)."""
    root = os.path.realpath(env.get("GITHUB_WORKSPACE") or os.getcwd())
    full = os.path.realpath(path)
    return os.path.relpath(full, root) if full.startswith(root + os.sep) else path


async def lock_plans(
    plans: Sequence[AccountPlan], number: int, sha: str, env: Mapping[str, str]
) -> LockOutcome:
    """Take, refresh, refuse and sweep the locks of pull request ``number``'s plan of ``sha``."""
    client, repository = github_client(env)
    store = RefStore(client, repository)
    try:
        return await _locked(store, plans, number, sha, env)
    except (ApiError, TransportError) as err:
        raise LockStoreDownError(
            f"the lock store GitHub {repository} cannot be used ({err}): the plan's locks are unknown, so its "
            "check fails rather than plan over another pull request's lock; re-run the job when GitHub answers "
            "(the token needs contents: write for the lock refs and pull-requests: read)"
        ) from None
    finally:
        await client.aclose()


async def _locked(
    store: RefStore, plans: Sequence[AccountPlan], number: int, sha: str, env: Mapping[str, str]
) -> LockOutcome:
    outcome = LockOutcome(number)
    found = {lock.account: lock for lock in await held_locks(store)}
    wanted = {account_heading(p): p for p in plans if p.changes}
    states = _PullStates(store)
    for account, lock in found.items():
        if account in wanted:
            continue
        if lock.pr == number or not await states.is_open(lock.pr):  # outgrown, or stale
            if await release(store, lock):
                outcome.released.append(lock)
        elif account in {account_heading(p) for p in plans}:
            outcome.held[account] = lock
    for account, plan in wanted.items():
        mine = new_lock(account, repo_path(plan.path, env), number, sha, env)
        holder = await _claim(store, mine, found.get(account), states)
        outcome.held[account] = holder
        if holder.pr != number:
            outcome.refused.append(holder)
    return outcome


async def _claim(store: RefStore, mine: PrLock, seen: PrLock | None, states: _PullStates) -> PrLock:
    """Hold ``mine``'s account: create its lock, refresh our own, or take over a stale one; the lock of
    whoever holds it when none of that is possible."""
    for _ in range(3):  # each turn lost to a concurrent writer re-reads; three are plenty
        if seen is None:
            seen = await take(store, mine)
            if seen is None:
                return mine
            continue
        if seen.pr == mine.pr:
            kept = dataclasses.replace(mine, since=seen.since)  # a refresh keeps when it was first taken
            if await replace(store, seen, kept):
                return kept
        elif await states.is_open(seen.pr):
            return seen
        elif await replace(store, seen, mine):  # stale: taken over by compare-and-swap
            return mine
        seen = await _reread(store, mine.ref)
    return seen or mine


async def _reread(store: RefStore, ref: str) -> PrLock | None:
    found = await store.read(ref)
    return parse(found) if found is not None else None


class _PullStates:
    """Whether each holder's pull request is open, asked once per number in a run."""

    def __init__(self, store: RefStore) -> None:
        self.store = store
        self.known: dict[int, bool] = {}

    async def is_open(self, number: int) -> bool:
        if number not in self.known:
            self.known[number] = await pull_open(self.store, number)
        return self.known[number]


def locked_comment(plans: Sequence[AccountPlan], outcome: LockOutcome, head_sha: str) -> str:
    """The comment of a plan refused for a lock: who holds what, how to proceed, then the plan for reading.
    It carries no digest, so the merge job cannot apply it: only a plan made while the lock is ours can."""
    lines = [
        MARKDOWN_MARKER,
        "### :lock: reconciler: plan refused, an account is locked by another pull request",
        "",
    ]
    for lock in outcome.refused:
        lines.append(
            f"- {md.code(lock.account)} ({md.code(lock.path)}) is locked by #{lock.pr} (plan at "
            f"{md.code(lock.sha[:12])}), held by {md.code(lock.holder)} since {md.code(lock.since)}"
        )
    holders = " and ".join(sorted({f"#{lock.pr}" for lock in outcome.refused}))
    unlock = md.code(f'reconciler unlock "{outcome.refused[0].account}"')
    lines += [
        "",
        f"**To proceed:** wait for {holders} to merge or close, then push again or re-run this plan's job. If "
        f"the lock is no longer needed, a maintainer releases it with {unlock} (or {md.code(f'reconciler unlock --pr {outcome.refused[0].pr}')}). "
        "Until then this pull request has no reviewed plan, and the apply job refuses its merge.",
        "",
    ]
    footer = f"\n<sub>no digest: refused for commit `{head_sha[:12]}`</sub>\n"
    head = "\n".join(lines) + "\n"
    body = render_comment(plans, refused=False, run_url="", limit=COMMENT_LIMIT - len(head) - len(footer) - 100,
                          elsewhere="The whole plan is in this run's job summary.")  # fmt: skip
    # The plan's own "Next: merge to apply..." would contradict the refusal above it.
    lines = body.split("\n")[1:]
    kept = [
        line
        for i, line in enumerate(lines)
        if not (line.startswith("**Next:**") or lines[i - 1].startswith("**Next:**"))
    ]
    return redact(head + "\n".join(kept) + footer)


async def release_locks(
    env: Mapping[str, str], account: str | None = None, pr: int | None = None
) -> list[PrLock]:
    """Delete the locks on ``account`` (its key, or the unique key ending in it) or of pull request ``pr``;
    the locks released. An account no lock names is an error listing what is held."""
    client, repository = github_client(env)
    store = RefStore(client, repository)
    try:
        locks = await held_locks(store)
        chosen = [lock for lock in locks if lock.pr == pr] if pr is not None else _named(locks, account or "")
        return [lock for lock in chosen if await release(store, lock)]
    finally:
        await client.aclose()


def _named(locks: Sequence[PrLock], account: str) -> list[PrLock]:
    exact = [lock for lock in locks if lock.account == account]
    near = exact or [lock for lock in locks if lock.account.endswith(" " + account)]
    if len(near) == 1:
        return near
    held = ", ".join(f"{lock.account} by #{lock.pr}" for lock in locks) or "none"
    if near:
        raise ReconcilerError(f"{account!r} names several locked accounts ({held}): give the whole key")
    raise ReconcilerError(f"no lock on {account!r}; locks held: {held}")


def release_merged(number: int, env: Mapping[str, str]) -> None:
    """After the merge job's apply: release merged pull request ``number``'s locks. A failure is a warning
    only: the lock of a merged pull request is stale, and the next plan of anyone deletes it."""
    try:
        released = asyncio.run(release_locks(env, pr=number))
    except ReconcilerError as err:
        click.echo(
            terminal.text(f"Warning: the locks of #{number} were not released ({redact(str(err))}); the next "
            "plan finds them stale and deletes them."), err=True)  # fmt: skip
        return
    for lock in released:
        click.echo(
            terminal.text(redact(f"Released the lock of merged #{number} on {lock.account}.")), err=True
        )
