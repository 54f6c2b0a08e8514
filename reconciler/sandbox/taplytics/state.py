"""Taplytics' section of the sandbox state: the users and the plan's user limit.

Layout (within the state document, ``reconciler.sandbox.store``)::

    "taplytics": {"users_limit": null},
    "taplytics_users": {"qa-001": {"user_id": "qa-001", "n": 1, "email": ..., "custom_data": {...}}}

Users are keyed by their (string) ``user_id`` and ordered by ``n``, their creation ordinal (the API lists
users by creation time). ``email`` / ``name`` are omitted when null and ``custom_data`` when empty. A state
file written before Taplytics existed has neither key: it loads with no users. The id counter
``taplytics_user`` lives in the document's shared ``next_ids``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.store import Fragments, Record, Store
from reconciler.sandbox.taplytics.demo_data import demo_users
from reconciler.sandbox.vendor import Seed

NAME = "taplytics"
_COHORTS = ("qa", "beta", "control")


def _check_users(data: Mapping[str, Any]) -> dict[str, Record]:
    """The users, in creation order; absent means none (state files older than Taplytics)."""
    raw = data.get("taplytics_users", {})
    if not isinstance(raw, dict):
        raise ValueError("'taplytics_users' must be an object")
    for uid, rec in raw.items():
        if not isinstance(rec, dict) or rec.get("user_id") != uid:
            raise ValueError(f"taplytics_users[{uid}] must be an object holding user_id {uid!r}")
        if not isinstance(rec.get("n"), int):
            raise ValueError(f"taplytics_users[{uid}].n is missing or not an int")
        if not isinstance(rec.get("custom_data", {}), dict):
            raise ValueError(f"taplytics_users[{uid}].custom_data must be an object")
    return dict(sorted(raw.items(), key=lambda item: int(item[1]["n"])))


def _users_limit(data: Mapping[str, Any]) -> int | None:
    limit = (data.get("taplytics") or {}).get("users_limit")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError("'taplytics.users_limit' must be null or an integer >= 0")
    return limit


class TaplyticsState:
    """The users; a route changes or adds one, then touches it (the API deletes none)."""

    def __init__(self, data: Mapping[str, Any], changed: Callable[[], None]) -> None:
        self.users: dict[str, Record] = _check_users(data)
        self.users_limit: int | None = _users_limit(data)
        self._changed = changed
        self._user_frags = Fragments(self.users, lambda uid: int(self.users[uid]["n"]))

    def touch_user(self, user_id: str) -> None:
        """A user was changed or added."""
        self._user_frags.touch(user_id)
        self._changed()

    def head(self) -> dict[str, Any]:
        return {"taplytics": {"users_limit": self.users_limit}}

    def collections(self) -> list[tuple[str, bytes]]:
        return [("taplytics_users", self._user_frags.text())]

    def summary(self) -> str:
        return f"{len(self.users)} Taplytics users"


def state_of(where: Sandbox | Store) -> TaplyticsState:
    """The Taplytics section of a sandbox's (or a store's) state."""
    store = where.store if isinstance(where, Sandbox) else where
    return store.section(NAME, TaplyticsState)


def _generated_user(i: int) -> Record:
    """Every fifth user has no custom data, every seventh no email: the shapes a client must handle."""
    user: Record = {"user_id": f"user-{i:06d}", "n": i + 1, "name": f"User {i}"}
    if i % 7:
        user["email"] = f"user{i}@example.com"
    if i % 5:
        user["custom_data"] = {"cohort": _COHORTS[i % 3], "index": i}
    return user


def new_state(seed: Seed) -> dict[str, Any]:
    """Taplytics' keys of a fresh state document (``generated:...,users=U``: ``user-000000``...)."""
    users: list[Record] = []
    if seed.kind == "demo":
        users = demo_users()
    elif seed.kind == "generated":
        users = [_generated_user(i) for i in range(seed.counts.get("users", 0))]
    return {
        "next_ids": {"taplytics_user": len(users) + 1},
        "taplytics": {"users_limit": None},
        "taplytics_users": {u["user_id"]: u for u in users},
    }
