"""AB Tasty changes in drift words: what someone did to the live account, which the change would undo
(``intern@example.com was added as admin outside the config``). ``before`` is the account, ``after`` the
config."""

from __future__ import annotations

from reconciler.core.changes import Change
from reconciler.providers.abtasty.changes import Kind
from reconciler.providers.abtasty.describe import label, schedule_text, state_text


def drift(change: Change) -> str:
    """One drift line; ``via`` (a selector) is said as in the plan."""
    said = _what(change)
    return f"{said} (via {change.via})" if change.via else said


def _what(change: Change) -> str:
    before, after, who = change.before, change.after, label(change)
    member = who.removeprefix("member ")
    match change.kind:
        case Kind.MEMBER_REVOKE:
            return f"{member} was added as {before['role']} outside the config"
        case Kind.MEMBER_ADD:
            return f"{member} ({after['role']}) is in the config but not on the account (removed outside the config?)"
        case Kind.MEMBER_ROLE:
            return f"{member}'s role was set to {before['role']} outside the config (the config says {after['role']})"
        case Kind.TEST_STATE:
            return f"{who} was set to {state_text(before)} outside the config (the config says {state_text(after)})"
        case Kind.TEST_SCHEDULE:
            return (
                f"{who}'s schedule was set to {schedule_text(before)} outside the config "
                f"(the config says {schedule_text(after)})"
            )
    return f"the tag script needs a rebuild ({'owed by an earlier apply' if before.get('owed') else 'after the test changes'})"
