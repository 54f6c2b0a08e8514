"""AB Tasty's safety rails and apply ordering. Pure.

Rails (the account's ``safety`` block): ``max_access_loss_fraction`` of members revoked or demoted (its old
name ``max_delete_fraction`` is still read), ``max_pause_fraction`` of the managed playing tests stopped by
any means (a pause, a move to preprod, a schedule whose stop is past or whose start is ahead, both against
the time the state was fetched: the rails have no clock), both forceable once the population is big enough
for a fraction to mean something, and ``min_admins``, which ``--force`` never overrides.

Ordering: grants before anything that takes access away, a test's schedule before its state, the tag
script after the test changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core.changes import Change, Needs
from reconciler.core.plan import Setting, Violation, fraction_rule
from reconciler.providers.abtasty.changes import TEST_KINDS, Kind, role_rank
from reconciler.providers.abtasty.config import DEFAULT_ACCESS_LOSS_FRACTION, AbTastyConfig, Safety
from reconciler.providers.abtasty.selectors import managed_ids
from reconciler.providers.abtasty.state import Existing, local_to_epoch

MIN_MEMBERS_FOR_DELETE_RAIL = 10
MIN_PLAYING_FOR_PAUSE_RAIL = 10


def grants(change: Change) -> bool:
    """A member add or a role upgrade (applied before anything that takes access away)."""
    if change.kind is Kind.MEMBER_ADD:
        return True
    if change.kind is not Kind.MEMBER_ROLE:
        return False
    before, after = role_rank(change.before["role"]), role_rank(change.after["role"])
    return before is not None and after is not None and after > before  # from an unknown role: not a grant


def takes_away(change: Change) -> bool:
    """A revocation or a role downgrade."""
    return change.kind in (Kind.MEMBER_ROLE, Kind.MEMBER_REVOKE) and not grants(change)


def admin_delta(change: Change) -> int:
    """How a change moves the number of admins (-1, 0, +1)."""
    return int(change.after.get("role") == "admin") - int(change.before.get("role") == "admin")


def stops(change: Change, existing: Existing) -> bool:
    """Whether ``change`` stops a test that plays in production now, whatever the means."""
    if change.resource_type != "test":
        return False
    test = existing.tests.get(int(change.key))
    if test is None or test.state != "play" or test.preprod:
        return False
    after = change.after
    if change.kind is Kind.TEST_STATE:
        return after["state"] == "pause" or after.get("mode") == "preprod"
    if change.kind is Kind.TEST_SCHEDULE and existing.fetched_at:
        timezone, now = after["timezone"], existing.fetched_at
        stop, start = after.get("stop_at"), after.get("start_at")
        return bool(stop and local_to_epoch(stop, timezone) <= now) or bool(
            start and local_to_epoch(start, timezone) > now
        )
    return False


def check_safety(config: AbTastyConfig, existing: Existing, changes: Sequence[Change]) -> list[Violation]:
    """Evaluate the three rails of the account's ``safety`` block against the planned changes."""
    safety = config.account.safety
    found: list[Violation | None] = []
    if existing.members is not None and len(existing.members) >= MIN_MEMBERS_FOR_DELETE_RAIL:
        lost = sum(takes_away(c) for c in changes)  # revocations and demotions alike
        found.append(
            fraction_rule(
                "max_access_loss_fraction",
                "revoke or demote",
                lost,
                len(existing.members),
                safety.access_loss_fraction,
                "members",
            )
        )
    # Tests a selector matched are managed like listed ones: a freeze by folder counts against the rail.
    managed = managed_ids(config, existing)
    managed_playing = sum(
        existing.tests[i].state == "play" and not existing.tests[i].preprod for i in managed
    )
    # The account's playing tests, not the config's: a no-op entry (a selector that plays what plays) must
    # not turn a freeze of 12 of 12 into 12 of 50. The count is never below what the config itself sees.
    playing = max(existing.playing or 0, managed_playing)
    stopped = {c.key for c in changes if stops(c, existing)}  # a test paused and rescheduled is one
    if playing >= MIN_PLAYING_FOR_PAUSE_RAIL:
        found.append(
            fraction_rule(
                "max_pause_fraction",
                "stop",
                len(stopped),
                playing,
                safety.max_pause_fraction,
                "playing tests of the account (paused, moved to preprod or scheduled out)",
            )
        )
    found.append(_pause_count_rule(len(stopped), safety.max_pause_count))
    found.append(_admin_rule(existing, changes, safety.min_admins))
    return [v for v in found if v is not None]


def settings(config: AbTastyConfig) -> list[Setting]:
    """The ``safety`` values that differ from the defaults, under their current names."""
    safety, defaults = config.account.safety, Safety()
    pairs = (
        ("max_access_loss_fraction", DEFAULT_ACCESS_LOSS_FRACTION, safety.access_loss_fraction),
        ("max_pause_fraction", defaults.max_pause_fraction, safety.max_pause_fraction),
        ("min_admins", defaults.min_admins, safety.min_admins),
        ("max_pause_count", defaults.max_pause_count, safety.max_pause_count),
    )
    return [Setting(f"safety {name}", default, value) for name, default, value in pairs if value != default]


def _pause_count_rule(stopped: int, cap: int | None) -> Violation | None:
    """The absolute cap: however many tests play, stopping more than ``max_pause_count`` needs --force."""
    if cap is None or stopped <= cap:
        return None
    message = (
        f"refusing to stop {stopped} playing tests: max_pause_count is {cap}. Split the change, raise "
        "safety.max_pause_count, or run again with --force"
    )
    return Violation("max_pause_count", message, forceable=True)


def _admin_rule(existing: Existing, changes: Sequence[Change], minimum: int) -> Violation | None:
    if existing.members is None:
        return None
    before = sum(m.role == "admin" for m in existing.members.values())
    after = before + sum(admin_delta(c) for c in changes)
    removes_admin = any(admin_delta(c) < 0 for c in changes)
    if after >= minimum or not removes_admin:
        return None
    message = (
        f"refusing a plan that leaves {after} admin(s) (now {before}); min_admins is {minimum}. "
        "Keep or add an admin in the config; --force does not override this rail"
    )
    return Violation("min_admins", message, forceable=False)


def needs(changes: Sequence[Change]) -> list[Needs]:
    """For each change: what it waits for, what it requires.

    - a test's state waits for, and requires, that test's schedule;
    - downgrades and revocations wait for every add and upgrade, and require those that grant admin
      when they take an admin away (so the admin count never dips below what the plan ends with);
    - the script update comes last (it waits for every other change, as the plan lists it) and runs if at
      least one test change succeeded, or if an earlier apply left it owed.
    """
    granting = tuple(i for i, c in enumerate(changes) if grants(c))
    admin_grants = tuple(i for i in granting if admin_delta(changes[i]) > 0)
    tests = tuple(i for i, c in enumerate(changes) if c.kind in TEST_KINDS)
    others = tuple(range(len(changes)))
    schedules: dict[str, tuple[int, ...]] = {}  # by test: indexed once, not searched per state change
    for j in tests:
        if changes[j].kind is Kind.TEST_SCHEDULE:
            schedules[changes[j].key] = (*schedules.get(changes[j].key, ()), j)
    out: list[Needs] = []
    for i, change in enumerate(changes):
        if change.kind is Kind.TEST_STATE:
            schedule = schedules.get(change.key, ())
            out.append(Needs(waits=schedule, requires=schedule))
        elif takes_away(change):
            out.append(Needs(waits=granting, requires=admin_grants if admin_delta(change) < 0 else ()))
        elif change.kind is Kind.SCRIPT_UPDATE and change.before.get("owed"):
            # Owed by an earlier apply: rebuild even if no test change applies.
            out.append(Needs(waits=others[:i] + others[i + 1 :]))
        elif change.kind is Kind.SCRIPT_UPDATE:
            waits = others[:i] + others[i + 1 :]
            out.append(Needs(waits=waits, any_of=tests, any_reason="no test change succeeded"))
        else:
            out.append(Needs())
    return out
