"""The third round of Taplytics readings (issue 25): each a dialect, played by a small hook here so the
routes keep one line per reading. The document lines that make each fair are in docs/providers/taplytics.md.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.sandbox.web import ApiProblem

LIMITED_PER_PAGE = 50  # the page size a limited account allows (page-limit-50)

DIALECTS = {
    "custom-data-replace": "Taplytics POST replaces custom_data whole (TAP:40 says a key:value store, never merged)",
    "custom-data-strings": "Taplytics stores custom_data values as strings (every example value is one)",
    "emails-lowercase": "Taplytics stores emails lower-cased",
    "next-past-end": "Taplytics Link names a next page on every page, past the end too",
    "page-limit-50": "Taplytics account limited to 50 a page: per_page above is a 400 that names no limit",
    "no-link": "Taplytics /v2/users sends no Link header: numEntities only",
    "link-next-example": "Taplytics Link rel='next' as the document's example has it: the page before (page 2 on page 3)",
}


def custom_data(current: dict[str, Any], sent: dict[str, Any], dialects: frozenset[str]) -> dict[str, Any]:
    """The custom_data a POST leaves: merged (null removes a key), or replaced with ``custom-data-replace``;
    values as strings with ``custom-data-strings``."""
    data = {} if "custom-data-replace" in dialects else dict(current)
    for key, value in sent.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    if "custom-data-strings" in dialects:
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return data


def email(value: str, dialects: frozenset[str]) -> str:
    return value.lower() if "emails-lowercase" in dialects else value


def check_per_page(per_page: int, dialects: frozenset[str]) -> None:
    if "page-limit-50" in dialects and per_page > LIMITED_PER_PAGE:
        raise ApiProblem(400, "Invalid parameter 'per_page'")


def next_page(page: int, last: int, dialects: frozenset[str]) -> int | None:
    """The page ``rel='next'`` names (None: no next link)."""
    if "link-next-example" in dialects and page > 1:
        return page - 1
    if page < last or "next-past-end" in dialects:
        return page + 1
    return None
