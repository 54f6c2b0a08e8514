"""One apply at a time per account on this machine: an advisory lock file per account (issue 13.6).

Two applies of two files for one account could each pass ``min_admins`` and together leave no admin. Each
apply holds ``fcntl.flock`` on the account's lock file from its fetch to its last change; a second one is
refused at once (exit 1) with who holds the lock: pid, host and since when. The kernel releases the lock
when the process ends, however it ends (SIGKILL included), so a stale lock cannot block anyone: there is
nothing to clean up. Runs on other machines are not seen: CI serialises its own with a ``concurrency:``
group.

Where: ``$RECONCILER_LOCK_DIR``, else ``$XDG_CACHE_HOME/reconciler/locks`` (``~/.cache`` by default). The
files stay (removing a flock file races with a run opening it); they hold only the last holder's line.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.files import open_regular

LOCK_DIR_VARIABLE = "RECONCILER_LOCK_DIR"


class LockedError(ReconcilerError):
    """Another run holds the account's lock."""


def lock_dir(env: Mapping[str, str]) -> Path:
    """Where lock files live (see the module docstring)."""
    explicit = env.get(LOCK_DIR_VARIABLE)
    if explicit:
        return Path(explicit)
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "reconciler" / "locks"


def lock_path(directory: Path, key: str) -> Path:
    """The file of one account: a digest of its key, so any account name makes a safe file name."""
    return directory / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.lock"


def _holder(handle: int) -> str:
    try:
        data = json.loads(os.pread(handle, 4096, 0) or b"{}")
        return f"pid {data['pid']} on {data['host']} since {data['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a run that has not said who it is yet"


@contextmanager
def account_lock(key: str, label: str, env: Mapping[str, str]) -> Iterator[None]:
    """Hold the lock of the account ``key`` (``label`` names it in the refusal) or raise ``LockedError``."""
    directory = lock_dir(env)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = open_regular(lock_path(directory, key), os.O_RDWR, f"the lock file of {label}")
    except OSError as err:
        raise ReconcilerError(
            f"cannot create the lock of {label} in {directory}: {err.strerror}; set {LOCK_DIR_VARIABLE} "
            "to a writable directory"
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"{label} is being applied by another run ({_holder(handle)}): wait for it to end, "
                "then plan again"
            ) from None
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": since, "account": label}
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps(record).encode(), 0)
        yield
    finally:
        os.close(handle)  # closing releases the flock
