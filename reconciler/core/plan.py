"""A plan: the changes for one account, their counts, fingerprints of what they touch, and the safety
rails a provider found broken (octoDNS's ``raise_if_unsafe`` is the model: the message carries the numbers
and the way out). Pure and vendor-free: built from what a provider returns.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.changes import Action, Change, ChangeKind
from reconciler.core.state import State
from reconciler.errors import UnsafePlanError


@dataclass(frozen=True)
class Violation:
    """One safety rail the plan breaks; ``forceable`` says whether --force may override it."""

    rule: str
    message: str
    forceable: bool


@dataclass(frozen=True)
class Setting:
    """A safety setting the config moves away from its default (``safety min_admins: 1 -> 0``): shown in every
    plan of the account, so the pull request that weakens a rail shows it, and so do all later ones."""

    name: str
    default: Any
    value: Any


@dataclass(frozen=True)
class Note:
    """A line a provider adds to a plan to explain it (``tests[0] select folder=12: 214 tests matched``);
    ``warning`` marks one a reviewer should look at (a selector that matched nothing). Not a change: it never
    counts in the summary nor in the saved-plan comparison."""

    message: str
    warning: bool = False


@dataclass(frozen=True)
class Summary:
    """Counts by Terraform's verbs."""

    add: int = 0
    change: int = 0
    remove: int = 0

    @property
    def total(self) -> int:
        """All changes."""
        return self.add + self.change + self.remove

    @classmethod
    def of(cls, changes: Iterable[Change]) -> Summary:
        """Count ``changes`` by action."""
        counts = Counter(c.action for c in changes)
        return cls(counts[Action.CREATE], counts[Action.UPDATE], counts[Action.DELETE])

    def __add__(self, other: Summary) -> Summary:
        return Summary(self.add + other.add, self.change + other.change, self.remove + other.remove)


@dataclass(frozen=True)
class AccountPlan:
    """The plan of one config file (one account)."""

    path: str
    provider: str
    account: str
    changes: tuple[Change, ...]
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    violations: tuple[Violation, ...] = ()
    config_digest: str = ""
    settings: tuple[Setting, ...] = ()
    notes: tuple[Note, ...] = ()
    # Why the account is degraded beyond its drift (a rebuild owed, a schedule that did not fire): the
    # watch's health. Not part of a plan file: it says how the account is, not what a plan would do.
    health: tuple[str, ...] = field(default=(), compare=False)
    # Who holds the account's pull-request lock (plan --lock): {"pr", "sha", "holder", "since", "ours"}. Not
    # part of what a plan does: a saved plan compares equal whoever held the lock when it was made.
    lock: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def summary(self) -> Summary:
        """Counts of this account's changes."""
        return Summary.of(self.changes)

    def unsafe(self, force: bool) -> list[Violation]:
        """The violations that still stand with (or without) --force."""
        return [v for v in self.violations if not (force and v.forceable)]

    def raise_if_unsafe(self, force: bool) -> None:
        """Refuse the plan when a rail is broken, naming the numbers and the way out."""
        standing = self.unsafe(force)
        if standing:
            raise UnsafePlanError("\n".join(f"{self.path}: {v.message}" for v in standing))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "file": self.path,
            "provider": self.provider,
            "account": self.account,
            "config_digest": self.config_digest,
            "changes": [c.to_dict() for c in self.changes],
            "fingerprints": dict(self.fingerprints),
            "safety": [
                {"rule": v.rule, "message": v.message, "forceable": v.forceable} for v in self.violations
            ],
            "summary": summary_dict(self.summary),
            "settings": [{"name": s.name, "default": s.default, "value": s.value} for s in self.settings],
            # only when there are some: plans of configs without selectors keep their exact bytes
            **({"notes": [vars(n) for n in self.notes]} if self.notes else {}),
            **({"lock": dict(self.lock)} if self.lock is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], kinds: type[ChangeKind] | None = None) -> AccountPlan:
        """The inverse of ``to_dict`` (``kinds``: the provider's, see ``Change.from_dict``)."""
        return cls(
            path=data["file"],
            provider=data["provider"],
            account=str(data["account"]),
            changes=tuple(Change.from_dict(c, kinds) for c in data["changes"]),
            fingerprints=dict(data["fingerprints"]),
            violations=tuple(Violation(**v) for v in data.get("safety", [])),
            config_digest=data.get("config_digest", ""),
            settings=tuple(Setting(**s) for s in data.get("settings", [])),
            notes=tuple(_note(n) for n in data.get("notes", [])),
            lock=data["lock"] if isinstance(data.get("lock"), dict) else None,
        )


def _note(data: Any) -> Note:
    """A note of a plan file (untrusted: a wrong shape is a ``TypeError``, reported as a bad plan file)."""
    if not isinstance(data.get("message"), str) or not isinstance(data.get("warning", False), bool):
        raise TypeError("a note is not {message: string, warning: boolean}")
    return Note(data["message"], data.get("warning", False))


def summary_dict(summary: Summary) -> dict[str, int]:
    """``{"add": .., "change": .., "remove": ..}``."""
    return {"add": summary.add, "change": summary.change, "remove": summary.remove}


def fraction_rule(rule: str, verb: str, count: int, total: int, limit: float, noun: str) -> Violation | None:
    """A forceable rail: refuse when ``count`` of ``total`` is over ``limit`` (a fraction)."""
    if total == 0 or count / total <= limit:
        return None
    message = (
        f"refusing to {verb} {count} of {total} {noun}: {count / total:.2%} is over "
        f"{rule} {limit:.2%}; re-run with --force to allow it for this run"
    )
    return Violation(rule, message, forceable=True)


def build_plan(
    path: str,
    provider: str,
    account: str,
    changes: Iterable[Change],
    existing: State,
    violations: Iterable[Violation] = (),
    config_digest: str = "",
    settings: Iterable[Setting] = (),
    notes: Iterable[Note] = (),
    health: Iterable[str] = (),
) -> AccountPlan:
    """A plan of ``changes`` (already in display order), with a fingerprint of every resource they touch."""
    changes = tuple(changes)
    return AccountPlan(
        path=path,
        provider=provider,
        account=account,
        changes=changes,
        fingerprints={c.resource: existing.fingerprint(c.resource) for c in changes},
        violations=tuple(violations),
        config_digest=config_digest,
        settings=tuple(settings),
        notes=tuple(notes),
        health=tuple(health),
    )


DIGEST_HEX = 64  # the length of a digest: 256 bits in hex


def plans_digest(plans: Iterable[AccountPlan]) -> str:
    """A digest of what the plans would do (each account's file, provider, account and changes): two plans
    with the same digest make the same calls. A PR comment carries it; the merge job compares."""
    body = [
        {
            "file": p.path,
            "provider": p.provider,
            "account": p.account,
            "changes": [c.to_dict() for c in p.changes],
        }
        for p in plans
    ]
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    # All 256 bits: a comment's digest is what apply trusts, so a collision must be out of reach.
    return hashlib.sha256(blob.encode()).hexdigest()
