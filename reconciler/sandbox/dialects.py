"""Dialects: the other readings the API documents allow, one name each, combinable.

The two documents leave many things open (docs/sandbox.md lists every ambiguity). With no dialect the
sandbox plays the most literal reading; each dialect switches one answer to another reading a real server
could just as well have chosen, so a client that leans on a guess fails a test instead of a real account.
The client has no dialect switch: it must converge under every one of them.

``reconciler sandbox serve --dialect dates-iso,two-hosts``, ``RECONCILER_SANDBOX_DIALECT=dates-iso,two-hosts``
(``make demo``, ``--sandbox``), ``serve_in_thread(..., dialects="dates-iso,two-hosts")``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

ENV_VAR = "RECONCILER_SANDBOX_DIALECT"

DIALECTS: dict[str, str] = {
    "dates-iso": "AB Tasty start_datetime / stop_datetime as ISO 8601 with an offset, like creation_date",
    "dates-ms": "AB Tasty start_datetime / stop_datetime as epoch milliseconds",
    "dates-local": "AB Tasty start_datetime / stop_datetime as local wall time (no offset) in the timezone",
    "dates-null": "AB Tasty start_datetime / stop_datetime null (not 0) when unscheduled",
    "tz-canonical": "AB Tasty stores a timezone alias as its canonical name (US/Eastern -> America/New_York)",
    "two-hosts": "AB Tasty token, membership and script routes only on a second port (api2), the rest on the first",
    "strict-page-size": "AB Tasty _max_per_page above 50 is a 400 naming the limit, not capped",
    "hal-no-count": "AB Tasty HAL collections without pages / total: only _links.next tells there is more",
    "content-type-required": "AB Tasty: every request without Content-Type: application/json is a 400",
    "post-201": "creations answer 201: AB Tasty membership POST with an empty body, Taplytics user POST with the user",
    "writes-200": "AB Tasty play / pause / schedule / script / membership PATCH and DELETE answer 200 with a JSON body",
    "member-patch-strict": "AB Tasty membership PATCH requires both email and role, as its parameter table says",
    "filters-ignored": "AB Tasty test list ignores filter[folder][], tag[], exclude_tag[], is_preprod and is_schedule",
    "is-preprod-any": "AB Tasty filter[is_preprod] with any value, 0 and false included, selects the preprod tests",
    "tags-any-case": "AB Tasty filter[tag][] / filter[exclude_tag][] compare tags ignoring case",
    "cursor": "Taplytics /v2/users pages by cursor: nextPaginationToken in the body, paginationToken query, no Link",
    "no-user-route": "Taplytics has no GET /v2/users/{user_id}: it answers 404 like any unknown route",
}

# One date shape at a time: a server prints its dates one way.
_EXCLUSIVE = (frozenset({"dates-iso", "dates-ms", "dates-local"}),)


class DialectError(ValueError):
    """An unknown dialect name, or two that cannot be combined."""


def parse_dialects(value: str | Iterable[str] | None) -> frozenset[str]:
    """``"a,b"`` (or names) -> the set of dialects; unknown names and exclusive pairs are a ``DialectError``."""
    if value is None:
        return frozenset()
    names = value.split(",") if isinstance(value, str) else list(value)
    chosen = frozenset(name.strip() for name in names if name.strip())
    unknown = sorted(chosen - DIALECTS.keys())
    if unknown:
        raise DialectError(f"unknown dialect {', '.join(unknown)}; known: {', '.join(DIALECTS)}")
    for group in _EXCLUSIVE:
        clash = sorted(chosen & group)
        if len(clash) > 1:
            raise DialectError(
                f"dialects {' and '.join(clash)} cannot be combined (one date shape at a time)"
            )
    return chosen


def from_environment(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The dialects named by ``RECONCILER_SANDBOX_DIALECT`` (none when unset)."""
    env = os.environ if env is None else env
    return parse_dialects(env.get(ENV_VAR))


def usage() -> str:
    """One line per dialect, for ``--help`` and error messages."""
    return "\n".join(f"{name}: {what}" for name, what in DIALECTS.items())
