"""The sandbox state: one compact JSON document, kept in memory and serialized incrementally.

The document holds ``format``, ``account_id`` and ``next_ids`` (the id counters), then each vendor's
section (``SandboxVendor.load_state``): its small keys, then its large collections. Records are stored
compactly (defaults omitted, short keys); each vendor derives the documented payloads from them.
Serializing a 10k-record account for every write would be slow, so a collection caches the JSON of each
block of 64 records (``Fragments``) and re-encodes a block only after one of its records changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from reconciler.errors import ReconcilerError
from reconciler.sandbox.vendor import SandboxVendor, Section
from reconciler.sandbox.vendors import vendors as installed

FORMAT = "reconciler-sandbox/1"
Record = dict[str, Any]
S = TypeVar("S")


class SandboxStateError(ReconcilerError):
    """The sandbox state file cannot be used (corrupt, truncated, another format)."""


def dumps(value: Any) -> str:
    """Compact JSON, as the state file is written."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def check_records(data: dict[str, Any], key: str, required: dict[str, type]) -> dict[int, Record]:
    """The records under ``key``, by int id, each holding ``required`` fields; ``ValueError`` otherwise."""
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


class Fragments:
    """The JSON text (UTF-8) of ``records``, cached per block of ``BLOCK`` records.

    A mutation re-encodes one block (~64 records), not the whole collection; a write joins the blocks.
    ``rank`` places a record: its block is ``rank // BLOCK`` and records come out ordered by rank (an id, or
    a creation ordinal for records whose ids are strings).
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
        return ",".join(f"{dumps(str(key))}:{dumps(self._records[key])}" for key in keys).encode("utf-8")

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

    def __init__(self, data: dict[str, Any], vendors: Iterable[SandboxVendor] | None = None) -> None:
        """Build from a parsed state document; ``ValueError`` says what is wrong with it."""
        if data.get("format") != FORMAT:
            raise ValueError(f"'format' is {data.get('format')!r}, expected {FORMAT!r}")
        if not isinstance(data.get("account_id"), int):
            raise ValueError("'account_id' must be an integer")
        self.account_id: int = data["account_id"]
        self.next_ids: dict[str, int] = {str(k): int(v) for k, v in (data.get("next_ids") or {}).items()}
        self.seq = 0
        chosen = installed() if vendors is None else tuple(vendors)
        self.sections: dict[str, Section] = {v.name: v.load_state(data, self.touch_meta) for v in chosen}

    def __getattr__(self, name: str) -> Any:
        """A section's attribute (``store.tests``): for tests and tools; vendor code uses ``section``."""
        for section in self.__dict__.get("sections", {}).values():
            if hasattr(section, name):
                return getattr(section, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def section(self, name: str, kind: type[S]) -> S:
        """The section of vendor ``name``, as the type its vendor built."""
        found = self.sections[name]
        if not isinstance(found, kind):
            raise TypeError(f"state section {name!r} is a {type(found).__name__}, not a {kind.__name__}")
        return found

    def touch_meta(self) -> None:
        """Count a mutation (every ``touch_*`` of a section ends here)."""
        self.seq += 1

    def new_id(self, kind: str, floor: int) -> int:
        value = max(self.next_ids.get(kind, floor), floor)
        self.next_ids[kind] = value + 1
        return value

    def summary(self) -> str:
        return ", ".join(text for s in self.sections.values() if (text := s.summary()))

    # -- serialization ---------------------------------------------------------------------------------
    def serialize(self) -> bytes:
        """The whole state as compact JSON (UTF-8), re-encoding only blocks touched since last time."""
        head: dict[str, Any] = {"format": FORMAT, "account_id": self.account_id}
        for section in self.sections.values():
            head.update(section.head())
        head["next_ids"] = self.next_ids
        parts = [dumps(head)[:-1].encode("utf-8")]
        for section in self.sections.values():
            for key, text in section.collections():
                parts += [b",", dumps(key).encode("utf-8"), b":{", text, b"}"]
        parts.append(b"}")
        return b"".join(parts)

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
