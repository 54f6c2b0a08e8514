"""How many examples each property test draws.

Each property test names its thorough count, the one chosen with its issue; `make soak` runs that
(``RECONCILER_PROPERTIES=thorough``) and `make test` a third of it, at least 25. A third keeps the suite
within its time goal (issue 29: the property tests were 21 s of its CPU), and gives up less than it seems:

- every regression a property ever found is pinned with ``@example`` and runs at every count;
- no seed is fixed and no example database is kept, so each run draws new examples, and three runs of the
  suite (a pull request's pushes, its merge) search as far as one thorough run.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("RECONCILER_PROPERTIES") == "thorough"
SHARE = 3
FLOOR = 25


def examples(thorough: int) -> int:
    """The count to draw: ``thorough`` under `make soak`, a third of it (at least 25) otherwise."""
    return thorough if THOROUGH else max(FLOOR, thorough // SHARE)
