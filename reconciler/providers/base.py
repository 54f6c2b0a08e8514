"""The provider contract.

A provider turns one account's API into the core's plain data and back; it knows endpoints and payload
shapes, nothing of diffs, plans or terminals.

- ``fetch()`` reads the existing state of exactly what the config manages (tests it lists, the membership
  list when ``memberships`` is present, the users it lists) and resolves ``name:`` entries to ids. An unknown or ambiguous
  test is a ``ResolveError`` naming the YAML line. It never writes.
- ``execute(change)`` performs one change with the fewest calls that make it true, and is safe to run
  again after a crash: re-running a change that already took effect must not duplicate anything.
- Every request goes through the ``ApiClient`` it was given (retries, auth, redaction, counting).
"""

from __future__ import annotations

from typing import Protocol

from reconciler.core.changes import Change
from reconciler.core.state import Existing
from reconciler.http import ApiClient


class Provider(Protocol):
    """What the engine needs of a provider."""

    client: ApiClient

    async def fetch(self) -> Existing:
        """The existing state of everything the config manages."""
        ...

    async def execute(self, change: Change) -> None:
        """Perform one change; raise a ``ReconcilerError`` when it fails."""
        ...
