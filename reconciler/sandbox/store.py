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
     "tests": {"365111": {"id": 365111, "name": "Gil Test", "type": "mastersegment", "state": "play", ...}}}
"""

from __future__ import annotations

import json
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


class _Fragments:
    """The JSON text (UTF-8) of ``records``, cached per block of ``BLOCK`` consecutive ids.

    A mutation re-encodes one block (~64 records), not the whole collection; a write joins the blocks.
    """

    BLOCK = 64

    def __init__(self, records: dict[int, Record]) -> None:
        self._records = records
        self._blocks: dict[int, set[int]] = {}
        for rid in records:
            self._blocks.setdefault(rid // self.BLOCK, set()).add(rid)
        self._cache: dict[int, bytes] = {}

    def touch(self, rid: int) -> None:
        """``rid`` was changed, added or deleted."""
        key = rid // self.BLOCK
        members = self._blocks.setdefault(key, set())
        if rid in self._records:
            members.add(rid)
        else:
            members.discard(rid)
        self._cache.pop(key, None)

    def _block(self, key: int) -> bytes:
        ids = sorted(self._blocks[key])
        return ",".join(f'"{rid}":{_dumps(self._records[rid])}' for rid in ids).encode("utf-8")

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
        self.seq = 0
        self._test_frags = _Fragments(self.tests)
        self._member_frags = _Fragments(self.members)

    # -- mutations: callers change, add or delete a record, then touch it -----------------------------
    def touch_test(self, test_id: int) -> None:
        self._test_frags.touch(test_id)
        self.seq += 1

    def touch_member(self, member_id: int) -> None:
        self._member_frags.touch(member_id)
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
        }
        return b"".join(
            [
                _dumps(head)[:-1].encode("utf-8"),
                b',"members":{',
                self._member_frags.text(),
                b'},"tests":{',
                self._test_frags.text(),
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
