"""The AB Tasty diff: desired (config) against existing (fetched) -> typed changes. Pure: no I/O, no clock.

Only what the config declares is compared: a test without ``state`` keeps its state, a schedule without
``stop_at`` keeps its stop, members are only revoked with ``prune: true``. Tests a selector matched are
compared on the fields it sets (``selectors.resolve``), and their changes name it (``Change.via``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.core.changes import Change, display_order
from reconciler.errors import ResolveError
from reconciler.providers.abtasty import selectors
from reconciler.providers.abtasty.changes import TEST_KINDS, Kind
from reconciler.providers.abtasty.config import AbTastyConfig, Schedule, Test
from reconciler.providers.abtasty.state import Existing, ExistingTest, epoch_to_local, local_to_epoch
from reconciler.providers.abtasty.when import same_zone


def test_id(entry: Test, existing: Existing) -> int:
    """The id a config entry refers to (names were resolved at fetch time)."""
    if entry.id is not None:
        return entry.id
    assert entry.name is not None
    return existing.names[entry.name]


def _schedule_change(test: ExistingTest, want: Schedule, via: str = "") -> Change | None:
    tz = want.timezone
    desired: dict[str, Any] = {"timezone": tz}
    current: dict[str, Any] = {"timezone": test.timezone or None}
    same, instants = True, []
    for key, epoch in (("start_at", test.start), ("stop_at", test.stop)):
        local = getattr(want, key)
        if local is None:
            continue  # not managed: whatever the account has stays
        desired[key] = local
        current[key] = epoch_to_local(epoch, test.timezone)
        instants.append(local_to_epoch(local, tz))
        same = same and epoch == instants[-1]
    # Same instants: nothing to do, whatever zone the server answers (one that does not store the timezone
    # answers its account default, AB:101). With no instant declared, the timezone alone is compared
    # (an alias the server renamed reads the same).
    if same and (instants or same_zone(test.timezone, tz, instants)):
        return None
    return Change(Kind.TEST_SCHEDULE, f"test:{test.id}", test.name, current, desired, via)


def _state_change(test: ExistingTest, want: tuple[str, str | None] | None, via: str) -> Change | None:
    if want is None:
        return None
    state, mode = want
    if test.state == state and test.mode == mode:
        return None
    return Change(
        Kind.TEST_STATE,
        f"test:{test.id}",
        test.name,
        {"state": test.state, "mode": test.mode},
        {"state": state, "mode": mode},
        via,
    )


def _via(config: AbTastyConfig, indices: list[int]) -> str:
    """``tests[0] select folder=12`` (several agreeing selectors joined by `` & ``); empty for an own entry."""
    return " & ".join(selectors.name_of(config, i) for i in indices)


def _test_changes(config: AbTastyConfig, existing: Existing) -> Iterator[Change]:
    wants, conflicts = selectors.resolve(config, existing)
    if conflicts:  # fetch refuses them first, with the YAML lines; a diff never picks a winner
        first = conflicts[0]
        raise ResolveError(
            f"tests[{first.first}] and tests[{first.second}] disagree on the {first.what} of test {first.test}"
        )
    for ident, want in wants.items():
        test = existing.tests[ident]
        schedule = want.schedule
        if schedule and (change := _schedule_change(test, schedule, _via(config, want.schedule_via))):
            yield change
        if change := _state_change(test, want.state, _via(config, want.state_via)):
            yield change


def _member_changes(config: AbTastyConfig, existing: Existing) -> Iterator[Change]:
    if config.memberships is None or existing.members is None:
        return
    wanted = {m.email.lower(): m for m in config.memberships.members}
    for email, member in wanted.items():
        have = existing.members.get(email)
        if have is None:
            yield Change(Kind.MEMBER_ADD, f"member:{email}", member.email, {}, {"role": member.role})
        elif have.role != member.role:
            yield Change(
                Kind.MEMBER_ROLE,
                f"member:{email}",
                have.email,
                {"role": have.role, "id": have.id},
                {"role": member.role},
            )
    if config.memberships.prune:
        for email, have in existing.members.items():
            if email not in wanted:
                yield Change(
                    Kind.MEMBER_REVOKE, f"member:{email}", have.email, {"role": have.role, "id": have.id}
                )


def diff(config: AbTastyConfig, existing: Existing) -> list[Change]:
    """Every change that would converge the account, in display order; the script update last."""
    changes = display_order([*_test_changes(config, existing), *_member_changes(config, existing)])
    if not config.script.update_after_apply:
        return changes
    if existing.script_owed:  # an earlier apply changed tests and never rebuilt: rebuild, whatever else
        changes.append(
            Change(Kind.SCRIPT_UPDATE, f"script:{existing.account_id}", "tag script", {"owed": True})
        )
    elif any(c.kind in TEST_KINDS for c in changes):
        changes.append(Change(Kind.SCRIPT_UPDATE, f"script:{existing.account_id}", "tag script"))
    return changes
