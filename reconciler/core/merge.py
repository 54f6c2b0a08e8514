"""Shard plans folded into one (``show --merge``). Pure and vendor-free.

Each matrix job saves the plan of its shard; the fold makes one plan of them, with one digest per account,
and keeps what did not come back: a shard whose plan file is missing or unreadable, or whose plan lacks one
of the shard's files, is a failure, shown as such and never as "no changes" (an absent plan must not read as
an account in sync). The exit code is the worst shard's.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.core.plan import AccountPlan, plans_digest

EXIT_OK, EXIT_FAILED, EXIT_CHANGES = 0, 1, 2


@dataclass(frozen=True)
class Failure:
    """What could not be planned: a shard (or a plan file) and the account files it leaves unplanned."""

    name: str
    reason: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Merged:
    """The folded plan: every account planned, the failures, and the scope of a change-scoped run."""

    plans: tuple[AccountPlan, ...]
    failures: tuple[Failure, ...] = ()
    not_planned: tuple[str, ...] = ()  # account files of the repository this change does not touch
    deleted: tuple[str, ...] = ()  # account files the change removes: no longer managed

    def exit_code(self, force: bool = False, detailed: bool = False) -> int:
        """1 when a shard failed or a rail refuses; else 2 for pending changes under ``detailed``; else 0."""
        if self.failures or any(p.unsafe(force) for p in self.plans):
            return EXIT_FAILED
        return EXIT_CHANGES if detailed and any(p.changes for p in self.plans) else EXIT_OK

    def account_digests(self) -> list[str]:
        """One digest per account plan (its file, provider, account and changes), in file order."""
        return [plans_digest([p]) for p in self.plans]


#: One input of the fold: a plan file's name, and its account plans or the reason it could not be read.
Loaded = tuple[str, "list[AccountPlan] | str"]


def merge(
    loaded: Sequence[Loaded],
    expected: Sequence[Mapping[str, Any]] = (),
    everything: Sequence[str] = (),
) -> Merged:
    """Fold the plan files; ``expected`` is the shard list (``accounts --format json``) the matrix ran, so a
    shard that never reported is a failure; ``everything`` lists every account file of the repository,
    so the ones outside the plan are named as not planned."""
    plans: dict[str, AccountPlan] = {}
    failures: list[Failure] = []
    for name, found in loaded:
        if isinstance(found, str):
            failures.append(Failure(name, found))
            continue
        for plan in found:
            other = plans.get(_norm(plan.path))
            if other is not None and plans_digest([other]) != plans_digest([plan]):
                failures.append(Failure(name, "planned twice, differently", (plan.path,)))
            plans[_norm(plan.path)] = plan
    failures += _missing(expected, plans)
    twice = {_norm(f) for failure in failures for f in failure.files}
    kept = tuple(p for path, p in sorted(plans.items()) if path not in twice)
    deleted = sorted({d for entry in expected for d in _list(entry.get("deleted"))})
    scoped = set(plans) | twice | {_norm(d) for d in deleted}
    rest = sorted({f for f in everything if _norm(f) not in scoped})
    return Merged(kept, tuple(failures), tuple(rest), tuple(deleted))


def _norm(path: str) -> str:
    """One spelling per file: ``./accounts/a.yaml`` and ``accounts/a.yaml`` are the same account."""
    return posixpath.normpath(path)


def _list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _missing(expected: Sequence[Mapping[str, Any]], plans: Mapping[str, AccountPlan]) -> list[Failure]:
    """Each shard of the list whose files are not all in a plan."""
    out = []
    for entry in expected:
        files = _list(entry.get("files"))
        lost = tuple(f for f in files if _norm(f) not in plans)
        if lost:
            what = "no plan came back (the job failed, or its plan file is missing)"
            if len(lost) < len(files):
                what = "its plan lacks some of its accounts"
            out.append(Failure(f"shard {entry.get('shard', '?')}", what, lost))
    return out


# The last line of a merged plan comment: the digest of all its accounts (what `apply --github-reviewed` of
# an unsharded run compares) and one digest per account (what each shard's apply checks its accounts by).
_TAG = re.compile(
    r"<!-- reconciler:digest=([0-9a-f]{8,64}) commit=([0-9a-f]*)(?: accounts=([0-9a-f,]*))? -->"
)


@dataclass(frozen=True)
class Reviewed:
    """What a plan comment showed: its pull request, the digest of the whole, and per account (if any)."""

    number: int
    digest: str
    accounts: frozenset[str] | None = None
    commit: str = ""  # the head commit the plan was made at, as the comment says


def digests_tag(merged: Merged, commit: str) -> str:
    """The hidden last line of a merged comment."""
    whole = plans_digest(merged.plans)
    return f"<!-- reconciler:digest={whole} commit={commit} accounts={','.join(merged.account_digests())} -->"


def read_reviewed(number: int, body: str) -> Reviewed | None:
    """The digests a plan comment carries on its last line (written after everything else, so a look-alike
    line higher up, in a test's name or a server's message, is never read); None without one."""
    lines = body.rstrip().splitlines()
    found = _TAG.fullmatch(lines[-1].strip()) if lines else None
    if found is None:
        return None
    accounts = frozenset(d for d in found.group(3).split(",") if d) if found.group(3) is not None else None
    return Reviewed(number, found.group(1), accounts, found.group(2))


def check_accounts(reviewed: Reviewed) -> Callable[[list[AccountPlan]], str | None]:
    """A check of fresh plans against a reviewed comment: each account with changes must be one reviewed,
    changes and all (an account without changes makes no call: nothing to review). Returns the refusal."""

    def check(plans: list[AccountPlan]) -> str | None:
        if reviewed.accounts is None:
            now = plans_digest(plans)
            return None if now == reviewed.digest else f"the plan to apply ({now}) is not the one reviewed"
        unseen = [p.path for p in plans if p.changes and plans_digest([p]) not in reviewed.accounts]
        if not unseen:
            return None
        return f"the plan of {', '.join(unseen)} is not the one reviewed"

    return check
