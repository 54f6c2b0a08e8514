"""Initial states: ``demo`` (the document's examples plus enough to page through), ``empty``, and
``generated:tests=N,members=M[,users=U]`` (large, deterministic, fast; ``users`` are Taplytics users)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.sandbox.demo_data import demo_folders, demo_members, demo_tests, demo_users
from reconciler.sandbox.store import FORMAT, Record

ACCOUNT_ID = 41902
_GENERATED = re.compile(r"^generated:(?P<args>[a-z]+=\d+(?:,[a-z]+=\d+)*)$")
_TYPES = ("ab", "ab", "ab", "mastersegment", "multipage", "multivariate", "predictive", "subsegment")
_WORDS = ("Checkout", "Banner", "Pricing", "Hero", "Search", "Cart", "Footer", "Signup", "Promo", "Menu")
_ROLES = ("user", "user", "creator", "viewer", "admin")
_COHORTS = ("qa", "beta", "control")
SEED_USAGE = "demo | empty | generated:tests=N,members=M[,users=U]"


class SeedError(ReconcilerError):
    """An unknown ``--seed`` value."""


def _document(
    tests: list[Record], members: list[Record], folders: dict[int, str], users: list[Record] | None = None
) -> dict[str, Any]:
    users = users or []
    return {
        "format": FORMAT,
        "account_id": ACCOUNT_ID,
        "script": {"updates": 0, "clears": 0, "last_update": 0},
        "folders": {str(k): v for k, v in folders.items()},
        "next_ids": {
            "member": max((m["id"] for m in members), default=200000) + 1,
            "user": max((m["user_id"] for m in members), default=300000) + 1,
            "taplytics_user": len(users) + 1,
        },
        "members": {str(m["id"]): m for m in members},
        "tests": {str(t["id"]): t for t in tests},
        "taplytics": {"users_limit": None},
        "taplytics_users": {u["user_id"]: u for u in users},
    }


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


def _generated_user(i: int) -> Record:
    """Every fifth user has no custom data, every seventh no email: the shapes a client must handle."""
    user: Record = {"user_id": f"user-{i:06d}", "n": i + 1, "name": f"User {i}"}
    if i % 7:
        user["email"] = f"user{i}@example.com"
    if i % 5:
        user["custom_data"] = {"cohort": _COHORTS[i % 3], "index": i}
    return user


def generated(n_tests: int, n_members: int, n_users: int = 0) -> dict[str, Any]:
    """A big deterministic account: ``n_tests`` tests from id 500000, ``n_members`` members from 200000,
    and ``n_users`` Taplytics users ``user-000000``..."""
    rng = random.Random(ACCOUNT_ID)
    base_ts = 1546300800  # 2019-01-01
    tests = [_generated_test(i, rng, base_ts) for i in range(n_tests)]
    members: list[Record] = [
        {
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
        for i in range(n_members)
    ]
    return _document(tests, members, {}, [_generated_user(i) for i in range(n_users)])


def check_seed(seed: str) -> tuple[int, int, int] | None:
    """Validate a ``--seed`` value without building it: ``(tests, members, users)`` for a generated seed."""
    if seed in ("demo", "empty"):
        return None
    match = _GENERATED.match(seed)
    if match:
        args = dict(part.split("=") for part in match["args"].split(","))
        if not set(args) - {"tests", "members", "users"}:
            return int(args.get("tests", "0")), int(args.get("members", "0")), int(args.get("users", "0"))
    raise SeedError(f"Unknown seed {seed!r}: expected {SEED_USAGE.replace(' | ', ', ')}")


def initial_state(seed: str) -> dict[str, Any]:
    """The state document for a ``--seed`` value; ``SeedError`` when the value is unknown."""
    sizes = check_seed(seed)
    if sizes is not None:
        return generated(*sizes)
    if seed == "demo":
        return _document(demo_tests(), demo_members(), demo_folders(), demo_users())
    return _document([], [], {})
