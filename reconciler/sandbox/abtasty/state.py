"""AB Tasty's section of the sandbox state: tests, members, folders and the script counters.

Layout (within the state document, ``reconciler.sandbox.store``)::

    "script": {"updates": 0, "clears": 0, "last_update": 0}, "folders": {"7": "Checkout"},
    "members": {"80397": {"id": 80397, "role": "admin", "user_id": 2021, "email": ..., ...}},
    "tests": {"365111": {"id": 365111, "name": "Gil Test", "type": "mastersegment", "state": "play", ...}}

``abtasty.render`` derives the documented payloads from these compact records. The id counters ``member``
and ``user`` live in the document's shared ``next_ids``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.sandbox.abtasty.demo_data import demo_folders, demo_members, demo_tests
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.store import Fragments, Record, Store, check_records
from reconciler.sandbox.vendor import Seed

NAME = "abtasty"
TEST_REQUIRED = {"id": int, "name": str, "type": str, "state": str}
MEMBER_REQUIRED = {"id": int, "role": str, "email": str, "user_id": int}
_TYPES = ("ab", "ab", "ab", "mastersegment", "multipage", "multivariate", "predictive", "subsegment")
_WORDS = ("Checkout", "Banner", "Pricing", "Hero", "Search", "Cart", "Footer", "Signup", "Promo", "Menu")
_ROLES = ("user", "user", "creator", "viewer", "admin")
ACCOUNT_SEED = 41902  # the generated seeds' random sequence (the demo account id, as before)


class AbTastyState:
    """The AB Tasty records; a route changes, adds or deletes one, then touches it."""

    def __init__(self, data: Mapping[str, Any], changed: Callable[[], None]) -> None:
        self.script: Record = dict(data.get("script") or {"updates": 0, "clears": 0, "last_update": 0})
        self.folders: dict[int, str] = {int(k): str(v) for k, v in (data.get("folders") or {}).items()}
        self.members = check_records(dict(data), "members", MEMBER_REQUIRED)
        self.tests = check_records(dict(data), "tests", TEST_REQUIRED)
        self._changed = changed
        self._test_frags = Fragments(self.tests, int)
        self._member_frags = Fragments(self.members, int)

    def touch_test(self, test_id: int) -> None:
        self._test_frags.touch(test_id)
        self._changed()

    def touch_member(self, member_id: int) -> None:
        self._member_frags.touch(member_id)
        self._changed()

    def head(self) -> dict[str, Any]:
        return {"script": self.script, "folders": {str(k): v for k, v in self.folders.items()}}

    def collections(self) -> list[tuple[str, bytes]]:
        return [("members", self._member_frags.text()), ("tests", self._test_frags.text())]

    def summary(self) -> str:
        return f"{len(self.tests)} tests, {len(self.members)} members"


def state_of(where: Sandbox | Store) -> AbTastyState:
    """The AB Tasty section of a sandbox's (or a store's) state."""
    store = where.store if isinstance(where, Sandbox) else where
    return store.section(NAME, AbTastyState)


def _generated_test(i: int, rng: random.Random, base_ts: int) -> Record:
    test_id = 500000 + i
    created = base_ts + i * 3600
    test: Record = {
        "id": test_id,
        "name": f"{_WORDS[i % 10]} {_WORDS[(i // 10) % 10].lower()} test {i}",
        "type": _TYPES[rng.randrange(len(_TYPES))],
        "url": f"https://shop.example.com/p/{i}",
        "traffic": rng.choice((10, 25, 50, 100)),
        "state": "play" if rng.random() < 0.3 else "pause",
        "created": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "creator": 43571,
    }
    if test["state"] == "play":
        test["played"] = created + 600
    if i % 7 == 0:
        test["labels"] = [f"team-{i % 5}"]
    return test


def _generated_member(i: int, rng: random.Random) -> Record:
    return {
        "id": 200000 + i,
        "role": "admin" if i < 2 else _ROLES[rng.randrange(len(_ROLES))],
        "user_id": 300000 + i,
        "email": f"user{i}@example.com",
        "firstname": "User",
        "lastname": str(i),
        "created": "2019-01-01T00:00:00+0000",
        "connections": i % 50,
        "last_login": "2019-02-01T00:00:00+0000",
    }


def generated(n_tests: int, n_members: int) -> tuple[list[Record], list[Record]]:
    """A big deterministic account: ``n_tests`` tests from id 500000, ``n_members`` members from 200000."""
    rng = random.Random(ACCOUNT_SEED)
    base_ts = 1546300800  # 2019-01-01
    tests = [_generated_test(i, rng, base_ts) for i in range(n_tests)]
    return tests, [_generated_member(i, rng) for i in range(n_members)]


def new_state(seed: Seed) -> dict[str, Any]:
    """AB Tasty's keys of a fresh state document."""
    folders: dict[int, str] = {}
    tests: list[Record] = []
    members: list[Record] = []
    if seed.kind == "demo":
        tests, members, folders = demo_tests(), demo_members(), demo_folders()
    elif seed.kind == "generated":
        tests, members = generated(seed.counts.get("tests", 0), seed.counts.get("members", 0))
    return {
        "script": {"updates": 0, "clears": 0, "last_update": 0},
        "folders": {str(k): v for k, v in folders.items()},
        "next_ids": {
            "member": max((m["id"] for m in members), default=200000) + 1,
            "user": max((m["user_id"] for m in members), default=300000) + 1,
        },
        "members": {str(m["id"]): m for m in members},
        "tests": {str(t["id"]): t for t in tests},
    }
