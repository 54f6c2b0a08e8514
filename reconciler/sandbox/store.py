"""The sandbox state: one compact JSON document, kept in memory and serialized incrementally.

Records are stored compactly (defaults omitted, short keys); ``abtasty.render`` derives the documented
payloads from them. Serializing a 10k-test account for every write would be slow, so the JSON of each block
of 64 ids is cached and only re-encoded after one of its records changes (``touch_*``); a write joins the
blocks (records come out ordered by id).

Layout::

    {"format": "reconciler-sandbox/1", "account_id": 41902,
     "script": {"updates": 0, "clears": 0, "last_update": 0}, "folders": {"7": "Checkout"},
     "next_ids": {"member": 200001, "user": 300001},
     "members": {"80397": {"id": 80397, "role": "admin", "user_id": 2021, "email": ..., ...}},
     "tests": {"365111": {"id": 365111, "name": "Gil Test", "type": "mastersegment", "state": "play", ...}},
     "taplytics": {"users_limit": null},
     "taplytics_users": {"qa-001": {"user_id": "qa-001", "n": 1, "email": ..., "custom_data": {...}}}}

Taplytics users are keyed by their (string) ``user_id`` and ordered by ``n``, their creation ordinal (the
API lists users by creation time). ``email`` / ``name`` are omitted when null and ``custom_data`` when empty.
A state file written before Taplytics existed has neither Taplytics key: it loads with no users.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError

FORMAT = "reconciler-sandbox/1"
Record = dict[str, Any]
TEST_REQUIRED = {"id": int, "name": str, "type": str, "state": str}
MEMBER_REQUIRED = {"id": int, "role": str, "email": str, "user_id": int}


class SandboxStateError(ReconcilerError):
    """The sandbox state file cannot be used (corrupt, truncated, another format)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _check_records(data: dict[str, Any], key: str, required: dict[str, type]) -> dict[int, Record]:
    raw = data.get(key)
    if not isinstance(raw, dict):
        raise ValueError(f"'{key}' must be an object")
    records: dict[int, Record] = {}
    for rid, rec in raw.items():
        if not isinstance(rec, dict):
            raise ValueError(f"{key}[{rid}] must be an object")
        for name, kind in required.items():
            if not isinstance(rec.get(name), kind):
                raise ValueError(f"{key}[{rid}].{name} is missing or not a {kind.__name__}")
        if str(rec["id"]) != rid:
            raise ValueError(f"{key}[{rid}] holds id {rec['id']}")
        records[rec["id"]] = rec
    return records


def _check_users(data: dict[str, Any]) -> dict[str, Record]:
    """The Taplytics users, in creation order; absent means none (state files older than Taplytics)."""
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


def _users_limit(data: dict[str, Any]) -> int | None:
    limit = (data.get("taplytics") or {}).get("users_limit")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError("'taplytics.users_limit' must be null or an integer >= 0")
    return limit


class _Fragments:
    """The JSON text (UTF-8) of ``records``, cached per block of ``BLOCK`` records.

    A mutation re-encodes one block (~64 records), not the whole collection; a write joins the blocks.
    ``rank`` places a record: its block is ``rank // BLOCK`` and records come out ordered by rank (the id
    for AB Tasty records, the creation ordinal for Taplytics users, whose ids are strings).
    """

    BLOCK = 64

    def __init__(self, records: dict[Any, Record], rank: Callable[[Any], int]) -> None:
        self._records = records
        self._rank = rank
        self._where: dict[Any, int] = {}
        self._blocks: dict[int, set[Any]] = {}
        for key in records:
            self._place(key)
        self._cache: dict[int, bytes] = {}

    def _place(self, key: Any) -> None:
        block = self._rank(key) // self.BLOCK
        self._where[key] = block
        self._blocks.setdefault(block, set()).add(key)

    def touch(self, key: Any) -> None:
        """``key`` was changed, added or deleted."""
        old = self._where.pop(key, None)
        if old is not None:
            self._blocks[old].discard(key)
            self._cache.pop(old, None)
        if key in self._records:
            self._place(key)
            self._cache.pop(self._where[key], None)

    def _block(self, block: int) -> bytes:
        keys = sorted(self._blocks[block], key=self._rank)
        return ",".join(f"{_dumps(str(key))}:{_dumps(self._records[key])}" for key in keys).encode("utf-8")

    def text(self) -> bytes:
        parts = []
        for key in sorted(self._blocks):
            block = self._cache.get(key)
            if block is None:
                block = self._cache[key] = self._block(key)
            if block:
                parts.append(block)
        return b",".join(parts)


class Store:
    """In-memory state with cached JSON fragments; ``seq`` counts mutations."""

    def __init__(self, data: dict[str, Any]) -> None:
        """Build from a parsed state document; ``ValueError`` says what is wrong with it."""
        if data.get("format") != FORMAT:
            raise ValueError(f"'format' is {data.get('format')!r}, expected {FORMAT!r}")
        if not isinstance(data.get("account_id"), int):
            raise ValueError("'account_id' must be an integer")
        self.account_id: int = data["account_id"]
        self.script: Record = dict(data.get("script") or {"updates": 0, "clears": 0, "last_update": 0})
        self.folders: dict[int, str] = {int(k): str(v) for k, v in (data.get("folders") or {}).items()}
        self.next_ids: dict[str, int] = {str(k): int(v) for k, v in (data.get("next_ids") or {}).items()}
        self.members = _check_records(data, "members", MEMBER_REQUIRED)
        self.tests = _check_records(data, "tests", TEST_REQUIRED)
        self.users: dict[str, Record] = _check_users(data)
        self.users_limit: int | None = _users_limit(data)
        self.seq = 0
        self._test_frags = _Fragments(self.tests, int)
        self._member_frags = _Fragments(self.members, int)
        self._user_frags = _Fragments(self.users, lambda uid: int(self.users[uid]["n"]))

    # -- mutations: callers change, add or delete a record, then touch it -----------------------------
    def touch_test(self, test_id: int) -> None:
        self._test_frags.touch(test_id)
        self.seq += 1

    def touch_member(self, member_id: int) -> None:
        self._member_frags.touch(member_id)
        self.seq += 1

    def touch_user(self, user_id: str) -> None:
        """A Taplytics user was changed or added (users are never deleted: the API has no such call)."""
        self._user_frags.touch(user_id)
        self.seq += 1

    def touch_meta(self) -> None:
        self.seq += 1

    def new_id(self, kind: str, floor: int) -> int:
        value = max(self.next_ids.get(kind, floor), floor)
        self.next_ids[kind] = value + 1
        return value

    # -- serialization ---------------------------------------------------------------------------------
    def serialize(self) -> bytes:
        """The whole state as compact JSON (UTF-8), re-encoding only blocks touched since last time."""
        head = {
            "format": FORMAT,
            "account_id": self.account_id,
            "script": self.script,
            "folders": {str(k): v for k, v in self.folders.items()},
            "next_ids": self.next_ids,
            "taplytics": {"users_limit": self.users_limit},
        }
        return b"".join(
            [
                _dumps(head)[:-1].encode("utf-8"),
                b',"members":{',
                self._member_frags.text(),
                b'},"tests":{',
                self._test_frags.text(),
                b'},"taplytics_users":{',
                self._user_frags.text(),
                b"}}",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """A deep, JSON-shaped copy of the state."""
        result: dict[str, Any] = json.loads(self.serialize())
        return result


def parse_state(text: str, source: str) -> Store:
    """Parse a state document; ``SandboxStateError`` (never a silent reset) when it is unusable."""
    hint = f"Fix or delete it, or run `reconciler sandbox reset --state {source}`."
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SandboxStateError(f"{source}: corrupt sandbox state (not valid JSON: {err}). {hint}") from None
    if not isinstance(data, dict):
        raise SandboxStateError(f"{source}: corrupt sandbox state (not a JSON object). {hint}")
    try:
        return Store(data)
    except (ValueError, TypeError, AttributeError) as err:
        raise SandboxStateError(f"{source}: corrupt sandbox state ({err}). {hint}") from None


def load_state(path: Path) -> Store:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SandboxStateError(f"{path}: corrupt sandbox state (not UTF-8 text)") from None
    except OSError as err:
        raise SandboxStateError(f"{path}: cannot read sandbox state: {err.strerror}") from None
    return parse_state(text, str(path))
