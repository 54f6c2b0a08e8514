"""The readings of the Flagship pages the sandbox plays (one dialect each) and the list body they shape.

The pages disagree in places (docs/providers/flagship.md names each page): the users DELETE parameter is
``email[]`` in the OpenAPI document and ``emails[]`` in the guide; list bodies hold ``items`` (the
``ItemCollection`` schema) but the users example nests them as ``items: [{data: [...]}]``; ``current_page``
defaults to 0 in the schema while the guide asks for ``_page=1`` first.
"""

from __future__ import annotations

from typing import Any

DIALECTS = {
    "flagship-pages-from-0": "Flagship _page counts from 0 (the schema's current_page default), not 1",
    "flagship-data-key": "Flagship list bodies hold their items under data, not items",
    "flagship-users-nested": "Flagship users list as items: [{data: [...]}], as the users page's example",
    "flagship-emails-param": "Flagship users DELETE reads emails[] (the guide), not email[] (the spec)",
    "flagship-panic-string": 'Flagship environment answers panic as "on" / "off", not a boolean',
    "flagship-no-total": "Flagship list bodies without total_count (current_page and last_page only)",
    "flagship-writes-200": "Flagship toggle, panic and users writes answer 200 with a JSON body, not 204",
}

DEFAULT_PER_PAGE = 10  # the ItemCollection schema's items_per_page default


def first_page(dialects: frozenset[str]) -> int:
    return 0 if "flagship-pages-from-0" in dialects else 1


def list_body(
    items: list[dict[str, Any]], page: int, per_page: int, dialects: frozenset[str], nested: bool = False
) -> dict[str, Any]:
    """One page of ``items`` (``page`` counted from ``first_page``) in the ItemCollection shape."""
    start = (page - first_page(dialects)) * per_page
    chosen = items[start : start + per_page] if start >= 0 else []
    pages = max(1, -(-len(items) // per_page))
    body: dict[str, Any] = {
        "current_item_count": len(chosen),
        "current_page": page,
        "items_per_page": per_page,
        # The users page's example: current_page 0, last_page 1 for one item, so a count, from 0 or 1 alike.
        "last_page": pages,
    }
    if "flagship-no-total" not in dialects:
        body["total_count"] = len(items)
    key = "data" if "flagship-data-key" in dialects else "items"
    body[key] = [{"data": chosen}] if nested and "flagship-users-nested" in dialects else chosen
    return body


def delete_param(dialects: frozenset[str]) -> str:
    return "emails[]" if "flagship-emails-param" in dialects else "email[]"


def panic_out(panic: bool, dialects: frozenset[str]) -> Any:
    return ("on" if panic else "off") if "flagship-panic-string" in dialects else panic
