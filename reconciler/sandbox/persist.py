"""Atomic, durable writes of the state file, with group commit.

Every acknowledged mutation must be on disk before its response leaves. Concurrent mutations share one
write: a request that finds a write in flight waits for the next one, which covers every mutation made in
the meantime. The file I/O runs in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from pathlib import Path

from reconciler.sandbox.store import Store


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old or the new file, never a mix: temp file in the
    same directory, fsync, ``os.replace``, then fsync the directory so the rename itself is durable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class GroupCommitter:
    """Writes ``store`` to ``path``; ``commit()`` returns once the store's current ``seq`` is durable."""

    def __init__(self, store: Store, path: Path) -> None:
        self._store = store
        self._path = path
        self._written = store.seq
        self._lock: asyncio.Lock | None = None
        self.writes = 0
        self.write_seconds = 0.0

    def write_now(self) -> None:
        """Synchronous full write (startup, reset)."""
        self._write(self._store.serialize())
        self._written = self._store.seq

    def _write(self, data: bytes) -> None:
        started = time.perf_counter()
        write_atomic(self._path, data)
        self.writes += 1
        self.write_seconds += time.perf_counter() - started

    async def commit(self) -> None:
        target = self._store.seq
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._written >= target:
                return  # a write that started after our mutation already covered it
            seq = self._store.seq
            data = self._store.serialize()  # on the loop: a consistent snapshot
            await asyncio.to_thread(self._write, data)
            self._written = seq
