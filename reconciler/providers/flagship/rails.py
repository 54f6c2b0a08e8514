"""Flagship's safety rails and apply ordering. Pure.

Rails (the account's ``safety`` block), as AB Tasty's memberships: ``max_access_loss_fraction`` of users
revoked or demoted (forceable, once there are 10 users), ``min_admins`` (never forceable). Panic mode: turning
it on stops every campaign of the environment for every visitor, so a plan that does is refused unless
``--force`` is given. Ordering: grants before anything that takes access away.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core.changes import Change, Needs
from reconciler.core.plan import Setting, Violation, fraction_rule
from reconciler.providers.flagship.changes import Kind, is_admin, role_rank
from reconciler.providers.flagship.config import FlagshipConfig, Safety
from reconciler.providers.flagship.state import Existing

MIN_USERS_FOR_ACCESS_RAIL = 10


def grants(change: Change) -> bool:
    """A user add or a role upgrade (applied before anything that takes access away)."""
    if change.kind is Kind.USER_ADD:
        return True
    if change.kind is not Kind.USER_ROLE:
        return False
    before, after = role_rank(change.before["role"]), role_rank(change.after["role"])
    return before is not None and after is not None and after > before


def takes_away(change: Change) -> bool:
    """A revocation, or a role change that is not an upgrade (same rank in the other list included)."""
    return change.kind in (Kind.USER_ROLE, Kind.USER_REVOKE) and not grants(change)


def admin_delta(change: Change) -> int:
    """How a change moves the number of admins (-1, 0, +1)."""
    if change.resource_type != "user":
        return 0
    return int(is_admin(change.after.get("role"))) - int(is_admin(change.before.get("role")))


def check_safety(config: FlagshipConfig, existing: Existing, changes: Sequence[Change]) -> list[Violation]:
    safety = config.account.safety
    found: list[Violation | None] = [_panic_rule(changes)]
    if existing.users is not None:
        if len(existing.users) >= MIN_USERS_FOR_ACCESS_RAIL:
            lost = sum(takes_away(c) for c in changes)
            found.append(
                fraction_rule(
                    "max_access_loss_fraction",
                    "revoke or demote",
                    lost,
                    len(existing.users),
                    safety.max_access_loss_fraction,
                    "users",
                )
            )
        found.append(_admin_rule(existing, changes, safety.min_admins))
    return [v for v in found if v is not None]


def _panic_rule(changes: Sequence[Change]) -> Violation | None:
    if not any(c.kind is Kind.PANIC_SET and c.after.get("panic") == "on" for c in changes):
        return None
    message = (
        "refusing to turn panic mode on: every campaign of the environment stops serving its variations. "
        "If that is meant, run again with --force"
    )
    return Violation("panic_on", message, forceable=True)


def _admin_rule(existing: Existing, changes: Sequence[Change], minimum: int) -> Violation | None:
    assert existing.users is not None
    before = sum(is_admin(u.role) for u in existing.users.values())
    after = before + sum(admin_delta(c) for c in changes)
    if after >= minimum or not any(admin_delta(c) < 0 for c in changes):
        return None
    message = (
        f"refusing a plan that leaves {after} admin(s) (now {before}); min_admins is {minimum}. "
        "Keep or add an admin in the config; --force does not override this rail"
    )
    return Violation("min_admins", message, forceable=False)


def settings(config: FlagshipConfig) -> list[Setting]:
    """The safety settings the config moves from their defaults."""
    safety, defaults = config.account.safety, Safety()
    pairs = (
        ("max_access_loss_fraction", defaults.max_access_loss_fraction, safety.max_access_loss_fraction),
        ("min_admins", defaults.min_admins, safety.min_admins),
    )
    return [Setting(f"safety {name}", default, value) for name, default, value in pairs if value != default]


def needs(changes: Sequence[Change]) -> list[Needs]:
    """Take-aways wait for every grant, and require those that grant admin when they take an admin away
    (the admin count never dips below what the plan ends with)."""
    granting = tuple(i for i, c in enumerate(changes) if grants(c))
    admin_grants = tuple(i for i in granting if admin_delta(changes[i]) > 0)
    return [
        Needs(waits=granting, requires=admin_grants if admin_delta(c) < 0 else ())
        if takes_away(c)
        else Needs()
        for c in changes
    ]
