"""A plan: the changes for one account, their counts, fingerprints of what they touch, and the safety
rails (octoDNS's ``raise_if_unsafe`` is the model: the message carries the numbers and the way out).
Pure: built from (config, existing) only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.models import AbTastyConfig, Config
from reconciler.core.changes import Action, Change, Kind
from reconciler.core.diff import diff, test_id
from reconciler.core.state import Existing
from reconciler.errors import UnsafePlanError

MIN_MEMBERS_FOR_DELETE_RAIL = 10
MIN_PLAYING_FOR_PAUSE_RAIL = 10


@dataclass(frozen=True)
class Violation:
    """One safety rail the plan breaks; ``forceable`` says whether --force may override it."""

    rule: str
    message: str
    forceable: bool


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
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccountPlan:
        """The inverse of ``to_dict``."""
        return cls(
            path=data["file"],
            provider=data["provider"],
            account=str(data["account"]),
            changes=tuple(Change.from_dict(c) for c in data["changes"]),
            fingerprints=dict(data["fingerprints"]),
            violations=tuple(Violation(**v) for v in data.get("safety", [])),
            config_digest=data.get("config_digest", ""),
        )


def summary_dict(summary: Summary) -> dict[str, int]:
    """``{"add": .., "change": .., "remove": ..}``."""
    return {"add": summary.add, "change": summary.change, "remove": summary.remove}


def _fraction_rule(rule: str, verb: str, count: int, total: int, limit: float, noun: str) -> Violation | None:
    if total == 0 or count / total <= limit:
        return None
    message = (
        f"refusing to {verb} {count} of {total} {noun}: {count / total:.2%} is over "
        f"{rule} {limit:.2%}; re-run with --force to allow it for this run"
    )
    return Violation(rule, message, forceable=True)


def check_safety(config: AbTastyConfig, existing: Existing, changes: Iterable[Change]) -> list[Violation]:
    """Evaluate the three rails of the account's ``safety`` block against the planned changes."""
    safety = config.account.safety
    changes = list(changes)
    found: list[Violation | None] = []
    if existing.members is not None and len(existing.members) >= MIN_MEMBERS_FOR_DELETE_RAIL:
        revokes = sum(c.kind is Kind.MEMBER_REVOKE for c in changes)
        found.append(
            _fraction_rule(
                "max_delete_fraction",
                "revoke",
                revokes,
                len(existing.members),
                safety.max_delete_fraction,
                "members",
            )
        )
    managed = {test_id(t, existing) for t in config.tests}
    playing = [i for i in managed if existing.tests[i].state == "play"]
    if len(playing) >= MIN_PLAYING_FOR_PAUSE_RAIL:
        pauses = sum(c.kind is Kind.TEST_STATE and c.after["state"] == "pause" for c in changes)
        found.append(
            _fraction_rule(
                "max_pause_fraction",
                "pause",
                pauses,
                len(playing),
                safety.max_pause_fraction,
                "managed playing tests",
            )
        )
    found.append(_admin_rule(existing, changes, safety.min_admins))
    return [v for v in found if v is not None]


def _admin_rule(existing: Existing, changes: list[Change], minimum: int) -> Violation | None:
    if existing.members is None:
        return None
    before = sum(m.role == "admin" for m in existing.members.values())
    after = before + sum(c.admin_delta for c in changes)
    removes_admin = any(c.admin_delta < 0 for c in changes)
    if after >= minimum or not removes_admin:
        return None
    message = (
        f"refusing a plan that leaves {after} admin(s) (now {before}); min_admins is {minimum}. "
        "Keep or add an admin in the config; --force does not override this rail"
    )
    return Violation("min_admins", message, forceable=False)


def account_label(config: Config) -> str:
    """The account a plan is about: the AB Tasty account id, the Taplytics project name."""
    return str(config.account.id) if isinstance(config, AbTastyConfig) else config.project.name


def make_plan(path: str, config: Config, existing: Existing, config_digest: str = "") -> AccountPlan:
    """Diff, fingerprint every touched resource, evaluate the rails.

    Taplytics has no rail: its changes create users or set their fields, never take anything away.
    """
    changes = diff(config, existing)
    fingerprints = {c.resource: existing.fingerprint(c.resource) for c in changes}
    rails = check_safety(config, existing, changes) if isinstance(config, AbTastyConfig) else []
    return AccountPlan(
        path=path,
        provider=config.provider,
        account=account_label(config),
        changes=tuple(changes),
        fingerprints=fingerprints,
        violations=tuple(rails),
        config_digest=config_digest,
    )
