"""The lease on a shared filesystem (the self-hosted fallback of ``RECONCILER_LEASE``).

Taking is ``open(O_CREAT | O_EXCL)``, atomic on local filesystems and NFSv3+. Renewing rewrites the file by
an atomic rename after checking it is still ours. Taking over an expired lease renames it away under a
unique name first (``rename`` of one source succeeds for one run only), then checks that what it moved is
the expired record it read, and puts back a live one it moved by mistake.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from reconciler.locks.record import expired


class FileLeaseStore:
    """Leases as files in ``directory``."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)
        self.where = f"directory {directory}"

    def _path(self, key: str) -> Path:
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.lease"

    async def take(self, key: str, record: Mapping[str, Any], skew: float) -> Mapping[str, Any] | None:
        path = self._path(key)
        self.directory.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            if self._create(path, record):
                return None
            seen = _read(path)
            if seen is None:
                continue  # released in between: try again
            if not expired(seen, skew):
                return seen
            self._take_over(path, seen)
        return _read(path) or {"who": "another run", "where": "?", "since": "?"}

    def _create(self, path: Path, record: Mapping[str, Any]) -> bool:
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(dict(record), out)
        return True

    def _take_over(self, path: Path, seen: Mapping[str, Any]) -> None:
        aside = path.with_name(f"{path.name}.{uuid.uuid4().hex}.expired")
        try:
            path.rename(aside)
        except FileNotFoundError:
            return
        moved = _read(aside)
        if moved is not None and moved.get("token") != seen.get("token"):
            # A live lease written after our read: put it back, unless yet another run took its place.
            with suppress(FileExistsError):
                os.link(aside, path)
        aside.unlink(missing_ok=True)

    async def renew(self, key: str, record: Mapping[str, Any]) -> bool:
        path = self._path(key)
        current = _read(path)
        if current is None or current.get("token") != record.get("token"):
            return False
        fresh = path.with_name(f"{path.name}.{uuid.uuid4().hex}.new")
        fresh.write_text(json.dumps(dict(record)), encoding="utf-8")
        fresh.replace(path)
        return True

    async def release(self, key: str, record: Mapping[str, Any]) -> None:
        path = self._path(key)
        current = _read(path)
        if current is not None and current.get("token") == record.get("token"):
            path.unlink(missing_ok=True)

    async def close(self) -> None:
        return None


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {"who": "a run still writing its lease", "where": "?", "since": "?"}
    return data if isinstance(data, dict) else {}
