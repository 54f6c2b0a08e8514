"""AB Tasty changes in words, for the text, Markdown and JSON renderers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.changes import Change
from reconciler.core.text import escape_non_ascii
from reconciler.providers.abtasty.changes import Kind


def _state(values: Mapping[str, Any]) -> str:
    state = values.get("state")
    return f"{state} ({values['mode']})" if state == "play" and values.get("mode") else str(state)


def _schedule(values: Mapping[str, Any]) -> str:
    start, stop = values.get("start_at"), values.get("stop_at")
    if start is None and stop is None:
        return "(none)"
    tz = values.get("timezone") or "?"
    return f"{start or '…'} .. {stop or '…'} {tz}"


#: The two value phrases, for the drift words too (``providers.abtasty.drift``).
def state_text(values: Mapping[str, Any]) -> str:
    return _state(values)


def schedule_text(values: Mapping[str, Any]) -> str:
    return _schedule(values)


def label(change: Change) -> str:
    """``test 381296 "Public API Test"``, ``member a@b.c``, ``tag script``."""
    kind = change.resource_type
    if kind == "test":
        return f'test {change.key} "{change.name}"'
    if kind == "member":
        return f"member {escape_non_ascii(change.name)}"  # a lookalike letter shows as \u0430
    return "tag script"


def describe(change: Change) -> str:
    """What happens to the resource, after its label; a selector's change says which selector asked
    (``state play (prod) -> pause (via tests[0] select folder=12)``)."""
    said = _what(change)
    return f"{said} (via {change.via})" if change.via else said


def _what(change: Change) -> str:
    before, after = change.before, change.after
    match change.kind:
        case Kind.TEST_STATE:
            return f"state {_state(before)} -> {_state(after)}"
        case Kind.TEST_SCHEDULE:
            return f"schedule {_schedule(before)} -> {_schedule(after)}"
        case Kind.MEMBER_ADD:
            return f"({after['role']})"
        case Kind.MEMBER_REVOKE:
            return f"({before['role']})"
        case Kind.MEMBER_ROLE:
            return f"role {before['role']} -> {after['role']}"
        case Kind.SCRIPT_UPDATE if before.get("owed"):
            return "rebuild (owed: an earlier apply changed tests and did not rebuild it)"
        case Kind.SCRIPT_UPDATE:
            return "rebuild after the test changes"
    return ""  # pragma: no cover - every Kind is handled above
