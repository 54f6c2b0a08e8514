"""What the core needs of a provider's fetched state: a fingerprint per resource. Vendor-free.

Each provider keeps its own typed state (its records, keyed as its resource keys say); the core only asks
it for fingerprints, so that ``apply --plan`` can tell whether what a plan touches moved since.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

ABSENT = "absent"


class State(Protocol):
    """One account's fetched state."""

    def fingerprint(self, resource: str) -> str:
        """A digest of one resource's existing state (``ABSENT`` when it does not exist)."""
        ...


def digest(record: object | None) -> str:
    """The fingerprint of one flat record (a frozen dataclass), or ``ABSENT`` for None.

    vars(), not asdict(): records are flat (nested mappings aside, which default=dict handles), and asdict's
    deep copy was most of the plan's CPU at 12,000 resources. Same bytes, same digests.
    """
    if record is None:
        return ABSENT
    blob = json.dumps(vars(record), sort_keys=True, default=dict)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
