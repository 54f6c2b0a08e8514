"""The third round of AB Tasty readings (issue 25): each a dialect, played by a small hook here so the
routes keep one line per reading. The document lines that make each fair are in docs/providers/abtasty.md.
"""

from __future__ import annotations

import weakref
from typing import Any

from reconciler.sandbox.store import Record

ACCOUNT_DEFAULT_TZ = "Europe/Paris"  # the sandbox account's default zone (render.DEFAULT_TZ)

DIALECTS = {
    "roles-any-case": "AB Tasty answers roles capitalised (Admin, Viewer): the lower-case list is the parameter's format",
    "tz-not-stored": "AB Tasty keeps no schedule timezone: every test answers the account default zone",
    "children-unlisted": "AB Tasty test list leaves out child tests (tunnel_parent != 0) unless filter[parent][] asks",
    "preprod-paused": "AB Tasty play in preprod leaves state pause with preprod true (preprod is not live)",
    "token-form-only": "AB Tasty token endpoint takes a form body only (RFC 6749): a JSON body is a 400",
    "numeric-strings": "AB Tasty ids and counts (id, pages, total, limit) printed as numeric strings",
    "member-user-path": "AB Tasty membership PATCH / DELETE keyed by the user's id, named by each item's _links.self",
    "post-503-committed": "AB Tasty first membership POST is committed, then answered 503 (a router timeout)",
    "pages-rounded-down": "AB Tasty HAL pages rounded down (total and _links.next right)",
    "minutes-only": "AB Tasty schedules stored to the minute: seconds are dropped",
}


def zone_of(test: Record, default: str, dialects: frozenset[str]) -> str:
    """The zone a test answers: its own, or the account default with ``tz-not-stored``."""
    return default if "tz-not-stored" in dialects else str(test.get("tz", default))


def test_out(body: dict[str, Any], dialects: frozenset[str]) -> dict[str, Any]:
    """A rendered test as the dialects print it."""
    if "numeric-strings" in dialects:
        body["id"] = str(body["id"])
    if "tz-not-stored" in dialects:
        body["start_stop_timezone"] = ACCOUNT_DEFAULT_TZ
    return body


def listed(tests: list[Record], asks_parent: bool, dialects: frozenset[str]) -> list[Record]:
    """The tests a list shows: child tests only when the request filters by parent (``children-unlisted``)."""
    if "children-unlisted" not in dialects or asks_parent:
        return tests
    return [t for t in tests if not t.get("parent")]


def counts(pages: int, total: int, limit: int, dialects: frozenset[str]) -> dict[str, Any]:
    """A HAL page's ``pages`` / ``total`` as the dialects print them (``hal-no-count`` prints none)."""
    if "hal-no-count" in dialects:
        return {}
    if "pages-rounded-down" in dialects:
        pages = max(1, total // limit)
    shown: dict[str, Any] = {"pages": pages, "total": total}
    return {k: str(v) for k, v in shown.items()} if "numeric-strings" in dialects else shown


def limit_out(limit: int, dialects: frozenset[str]) -> Any:
    return str(limit) if "numeric-strings" in dialects else limit


def member_out(
    body: dict[str, Any], member: Record, account_path: str, dialects: frozenset[str]
) -> dict[str, Any]:
    """A rendered membership as the dialects print it."""
    if "roles-any-case" in dialects:
        body["role"] = str(body["role"]).capitalize()
    if "member-user-path" in dialects:
        body["_links"]["self"] = {"href": f"{account_path}/membership/{member['user_id']}"}
    if "numeric-strings" in dialects:
        body["id"] = str(body["id"])
    return body


def member_key(members: dict[int, Record], raw: Any, dialects: frozenset[str]) -> Record | None:
    """The membership a path names: by membership id, or by the user's id with ``member-user-path``."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    if "member-user-path" in dialects:
        return next((m for m in members.values() if m["user_id"] == number), None)
    return members.get(number)


def play_state(mode: str, dialects: frozenset[str]) -> str:
    """The state a play leaves: ``pause`` for a preprod play with ``preprod-paused``."""
    return "pause" if mode == "preprod" and "preprod-paused" in dialects else "play"


def to_minute(epoch: int, dialects: frozenset[str]) -> int:
    return epoch - epoch % 60 if "minutes-only" in dialects else epoch


_FAILED_ONCE: weakref.WeakSet[object] = weakref.WeakSet()  # the stores that played the committed 503


def answer_503_once(store: object, dialects: frozenset[str]) -> bool:
    """Whether this committed POST is answered 503 (the first one of a store, with ``post-503-committed``)."""
    if "post-503-committed" not in dialects or store in _FAILED_ONCE:
        return False
    _FAILED_ONCE.add(store)
    return True
