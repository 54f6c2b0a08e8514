"""One writer per account across machines: a lease with a holder line and a time-to-live (docs/locking.md).

The local ``flock`` (reconciler/lock.py) serialises runs of one machine; this serialises apply and
self-heal across runners. Where the lease lives is the operator's choice, ``RECONCILER_LEASE``:

- ``github``: a git ref of the repository (``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``),
  created only if absent, replaced only by compare-and-swap (reconciler/locks/refs.py);
- a directory path: a file on a shared filesystem, created with ``O_EXCL`` (the self-hosted fallback);
- unset: no lease, the local lock only.

A holder renews its lease every third of ``RECONCILER_LEASE_TTL`` seconds (300 by default); one that dies
stops blocking once its lease expires, judged on the reader's clock with ``RECONCILER_LEASE_SKEW`` seconds
(30 by default) of allowance for clocks that disagree. A store that cannot be read or written refuses the
run: an unknown holder is never assumed absent. A holder that loses its lease (it could not renew in time,
and someone took it over) is cancelled rather than go on writing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any, Protocol

from reconciler.errors import ApiError, ReconcilerError
from reconciler.lock import LockedError
from reconciler.locks.record import holder_line, new_record

LEASE_VARIABLE = "RECONCILER_LEASE"
DEFAULT_TTL = 300.0
DEFAULT_SKEW = 30.0


class LeaseLostError(ReconcilerError):
    """The lease could not be renewed and another run took it: this run stopped writing."""


class StoreDownError(ReconcilerError):
    """The lease store did not answer: nothing is applied while the holder is unknown."""


class LeaseStore(Protocol):
    """Where leases live. ``take`` returns None when the lease is now ours, else the record of its holder;
    ``renew`` returns False when the lease is no longer ours."""

    where: str

    async def take(self, key: str, record: Mapping[str, Any], skew: float) -> Mapping[str, Any] | None: ...

    async def renew(self, key: str, record: Mapping[str, Any]) -> bool: ...

    async def release(self, key: str, record: Mapping[str, Any]) -> None: ...

    async def close(self) -> None: ...


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ReconcilerError(f"{name}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ReconcilerError(f"{name}={raw!r} must not be negative")
    return value


def store_for(env: Mapping[str, str]) -> LeaseStore | None:
    """The store ``RECONCILER_LEASE`` names, or None for none."""
    choice = env.get(LEASE_VARIABLE, "").strip()
    if not choice:
        return None
    if choice == "github":
        from reconciler.locks.github_lease import GitHubLeaseStore

        return GitHubLeaseStore.from_env(env)
    from reconciler.locks.file_lease import FileLeaseStore

    return FileLeaseStore(choice)


@asynccontextmanager
async def account_lease(key: str, label: str, env: Mapping[str, str]) -> AsyncIterator[None]:
    """Hold the lease of ``key`` for the block (renewed while it runs), or raise ``LockedError``."""
    store = store_for(env)
    if store is None:
        yield
        return
    ttl = _seconds(env, "RECONCILER_LEASE_TTL", DEFAULT_TTL) or DEFAULT_TTL
    record = new_record(label, ttl, env)
    try:
        holder = await _guarded(
            store, store.take(key, record, _seconds(env, "RECONCILER_LEASE_SKEW", DEFAULT_SKEW))
        )
        if holder is not None:
            raise LockedError(
                f"{label} is being applied by another run ({holder_line(holder)}, lease in {store.where}): "
                "wait for it to end, or for its lease to expire if it died, then plan again"
            )
        async with _renewing(store, key, record, ttl):
            yield
    finally:
        await store.close()


@asynccontextmanager
async def _renewing(store: LeaseStore, key: str, record: dict[str, Any], ttl: float) -> AsyncIterator[None]:
    """Renew every third of the TTL; a lease lost cancels the block (it must stop writing)."""
    task = asyncio.current_task()
    lost: list[bool] = []

    async def renew() -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            record["expires"] = time.time() + ttl
            try:
                still = await store.renew(key, record)
            except (ApiError, OSError):
                still = True  # a passing failure: try again; the lease lasts a TTL from the last renewal
            if not still and task is not None:
                lost.append(True)
                task.cancel()
                return

    renewer = asyncio.create_task(renew())
    try:
        yield
    except asyncio.CancelledError:
        if lost and task is not None and task.uncancel() == 0:
            raise LeaseLostError(
                f"{record['account']}: the lease in {store.where} was lost (not renewed in time and taken "
                "by another run); this run stopped: plan again"
            ) from None
        raise
    finally:
        renewer.cancel()
        with suppress(asyncio.CancelledError):
            await renewer
        if not lost:
            with suppress(ReconcilerError, OSError):  # an unreleased lease expires by itself
                await store.release(key, record)


async def _guarded(store: LeaseStore, step: Any) -> Mapping[str, Any] | None:
    """``step``, with a store that fails turned into a refusal that says so."""
    try:
        result: Mapping[str, Any] | None = await step
    except (ApiError, OSError) as err:
        detail = err.strerror if isinstance(err, OSError) else str(err)
        raise StoreDownError(
            f"the lease store {store.where} cannot be used ({detail}): nothing was applied, since another "
            f"runner may hold the account; fix the store or unset {LEASE_VARIABLE} to rely on one machine"
        ) from None
    return result
