"""How many examples each property test draws.

Each property test names its thorough count, the one chosen with its issue; `make soak` runs that
(``RECONCILER_PROPERTIES=thorough``) and `make test` a third of it, at least 25. A third keeps the suite
within its time goal (issue 29: the property tests were 21 s of its CPU). What it gives up: each `make test`
searches a third as far. No seed is fixed, so every run draws new examples and a pull request's runs (its
pushes, its merge) add up. Hypothesis's example database is kept on the machine (in the temporary
directory's ``reconciler-hypothesis/`` once ``tests/security/test_http_body_properties.py`` is collected,
else in ``./.hypothesis/``, which git ignores), so a machine replays what failed on it before; CI's new
machine starts with none. An input a property once failed on belongs in an ``@example`` (drawn at every
count) or a plain test, as the review findings in docs/security.md are.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("RECONCILER_PROPERTIES") == "thorough"
SHARE = 3
FLOOR = 25


def examples(thorough: int) -> int:
    """The count to draw: ``thorough`` under `make soak`, a third of it (at least 25) otherwise."""
    return thorough if THOROUGH else max(FLOOR, thorough // SHARE)
