"""Flagship's section of the sandbox state: one account, one environment, its campaigns, users and flags.

Layout (within the state document, ``reconciler.sandbox.store``)::

    "flagship": {"account_id": "...", "environment_id": "...", "panic": false,
                 "campaigns": [{"id", "name", "type", "status"}], "users": [{"email", "role"}],
                 "flags": [{"id", "name", "type", "description", "source"}]}

Small enough to be one head key. A state file written before Flagship existed has none: it loads the demo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.store import Record, Store
from reconciler.sandbox.vendor import Seed

NAME = "flagship"
ACCOUNT_ID = "bk87t3jggr10c6l6sdog"  # the shape of Flagship ids (20 lower-case letters and digits)
ENVIRONMENT_ID = "bk87t3jggr10c6l6sdpg"
STATES = ("active", "paused", "interrupted")
ROLES = (
    "VIEWER", "USER", "CREATOR", "ADMIN", "ACCOUNT_ADMIN", "OWNER",
    "GUEST", "MEMBER", "PROJECT_MANAGER", "SUPER_ADMIN", "ACCOUNT_OWNER",
)  # fmt: skip
FLAG_TYPES = ("string", "boolean", "number", "array", "object")


def demo() -> dict[str, Any]:
    """12 campaigns (so a 5-a-page list spans three pages), 5 users (2 admins), 4 flags."""
    campaigns = [
        {"id": f"c{k:02d}", "name": f"Feature {k}", "type": "toggle" if k % 2 else "ab",
         "status": STATES[k % 3]}
        for k in range(1, 13)
    ]  # fmt: skip
    campaigns[0]["name"] = "Checkout redesign"
    users = [
        {"email": "owner@example.com", "role": "ACCOUNT_OWNER"},
        {"email": "ada@example.com", "role": "ADMIN"},
        {"email": "bob@example.com", "role": "CREATOR"},
        {"email": "cy@example.com", "role": "VIEWER"},
        {"email": "dee@example.com", "role": "USER"},
    ]
    flags = [
        {
            "id": "f01",
            "name": "btn-color",
            "type": "string",
            "description": "Button colour",
            "source": "manual",
        },
        {"id": "f02", "name": "new-checkout", "type": "boolean", "description": "", "source": "manual"},
        {"id": "f03", "name": "max-items", "type": "number", "description": "Cart size", "source": "cli"},
        {"id": "f04", "name": "legacy-banner", "type": "boolean", "description": "Old", "source": "manual"},
    ]
    return {"account_id": ACCOUNT_ID, "environment_id": ENVIRONMENT_ID, "panic": False,
            "campaigns": campaigns, "users": users, "flags": flags}  # fmt: skip


def new_state(seed: Seed) -> dict[str, Any]:
    """Flagship's key of a fresh state document: the demo environment (a ``generated:`` seed too; its
    counts name other vendors' records), or nothing with ``empty``."""
    data = demo()
    if seed.kind == "empty":
        data.update(campaigns=[], users=[], flags=[])
    return {"next_ids": {"flagship_flag": 100}, NAME: data}


def _check(data: Mapping[str, Any]) -> dict[str, Any]:
    raw = data.get(NAME)
    if raw is None:
        return demo()
    if not isinstance(raw, dict):
        raise ValueError(f"'{NAME}' must be an object")
    for key in ("campaigns", "users", "flags"):
        if not isinstance(raw.get(key), list) or not all(isinstance(r, dict) for r in raw[key]):
            raise ValueError(f"'{NAME}.{key}' must be a list of objects")
    if not isinstance(raw.get("account_id"), str) or not isinstance(raw.get("environment_id"), str):
        raise ValueError(f"'{NAME}.account_id' and '{NAME}.environment_id' must be strings")
    return dict(raw)


class FlagshipState:
    """The account's records; a route changes them, then calls ``touch``. The ``fs_`` prefix keeps them
    apart from other vendors' sections (``Store.__getattr__`` finds a section's attribute by name)."""

    def __init__(self, data: Mapping[str, Any], changed: Callable[[], None]) -> None:
        raw = _check(data)
        self.account_id: str = raw["account_id"]
        self.environment_id: str = raw["environment_id"]
        self.panic: bool = bool(raw.get("panic"))
        self.fs_campaigns: list[Record] = raw["campaigns"]
        self.fs_users: list[Record] = raw["users"]
        self.fs_flags: list[Record] = raw["flags"]
        self._changed = changed

    def touch(self) -> None:
        self._changed()

    def head(self) -> dict[str, Any]:
        return {
            NAME: {
                "account_id": self.account_id,
                "environment_id": self.environment_id,
                "panic": self.panic,
                "campaigns": self.fs_campaigns,
                "users": self.fs_users,
                "flags": self.fs_flags,
            }
        }

    def collections(self) -> list[tuple[str, bytes]]:
        return []

    def summary(self) -> str:
        return f"{len(self.fs_campaigns)} Flagship campaigns, {len(self.fs_users)} users, {len(self.fs_flags)} flags"


def state_of(where: Sandbox | Store) -> FlagshipState:
    """The Flagship section of a sandbox's (or a store's) state."""
    store = where.store if isinstance(where, Sandbox) else where
    return store.section(NAME, FlagshipState)
