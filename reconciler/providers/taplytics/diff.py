"""The Taplytics diff: declared users against fetched users -> user changes. Pure: no I/O.

A user the project does not have is created; a user it has gets one update holding exactly the declared
fields and custom_data keys whose values differ (custom_data merges, so undeclared keys stay as they are).
Users are never deleted: a config lists the users that must exist, not all of them.
Values are compared with their JSON type: custom_data ``beta: "true"`` is not ``beta: true`` (numbers by value:
JSON has one number type, so ``1.0`` is ``1``), unless every custom_data value the project answered is a
string: then the server may store values as text, and ``"3"`` is read as 3 (``same_stored``). Emails compare
ignoring case (a server may lower-case them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from reconciler.core.changes import Change, display_order
from reconciler.providers.taplytics.changes import Kind
from reconciler.providers.taplytics.config import TaplyticsConfig, User
from reconciler.providers.taplytics.state import Existing, ExistingUser

_FIELDS = ("email", "name")


def declared(user: User) -> dict[str, Any]:
    """What the config says about ``user``: its declared fields, custom_data as a plain dict."""
    body: dict[str, Any] = {key: getattr(user, key) for key in _FIELDS if getattr(user, key) is not None}
    if user.custom_data is not None:
        body["custom_data"] = dict(user.custom_data)
    return body


def same_value(have: Any, want: Any) -> bool:
    """Whether the project's value ``have`` is the config's ``want``, compared as JSON values."""
    # True == 1 in Python, not in JSON (nor for the API): booleans and strings compare with their type. Numbers
    # compare by value: JSON has one number type, and a JavaScript server answers 1 for a stored 1.0.
    if isinstance(have, bool) or isinstance(want, bool):
        return type(have) is type(want) and have == want
    if isinstance(have, int | float) and isinstance(want, int | float):
        return bool(have == want)
    return type(have) is type(want) and have == want


def same_email(have: Any, want: Any) -> bool:
    """Emails compare ignoring case: a server may store them lower-cased (Taplytics does), and the
    domain is case-blind anyway; a config's ``QA2@Example.com`` is the stored ``qa2@example.com``."""
    if isinstance(have, str) and isinstance(want, str):
        return have.casefold() == want.casefold()
    return same_value(have, want)


def same_stored(have: Any, want: Any, typed: bool) -> bool:
    """``same_value``, or, when the project holds only strings (``typed`` False), the string a server that
    stores every value as text keeps for ``want``: ``"3"`` for 3, ``"true"`` for true."""
    if same_value(have, want) or typed or not isinstance(have, str) or isinstance(want, str):
        return same_value(have, want)
    return have in {json.dumps(want), str(want)}


def _update(have: ExistingUser, want: dict[str, Any], typed: bool = True) -> Change | None:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _FIELDS:
        same = same_email if key == "email" else same_value
        if key in want and not same(getattr(have, key), want[key]):
            before[key], after[key] = getattr(have, key), want[key]
    wanted_data: dict[str, Any] = want.get("custom_data", {})
    differ = {
        k: v
        for k, v in wanted_data.items()
        if k not in have.custom_data or not same_stored(have.custom_data[k], v, typed)
    }
    if differ:
        before["custom_data"] = {k: have.custom_data.get(k) for k in differ}
        after["custom_data"] = differ
    if not after:
        return None
    return Change(
        Kind.USER_UPDATE, f"user:{have.user_id}", have.name or want.get("name") or "", before, after
    )


def diff(config: TaplyticsConfig, existing: Existing) -> list[Change]:
    """A create or an update for each declared user that does not match, by user_id."""
    return display_order(_user_changes(config, existing))


def _user_changes(config: TaplyticsConfig, existing: Existing) -> Iterator[Change]:
    users = existing.users
    for entry in config.users:
        want = declared(entry)
        have = users.get(entry.user_id)
        if have is None:
            yield Change(Kind.USER_CREATE, f"user:{entry.user_id}", entry.name or "", {}, want)
        elif change := _update(have, want, existing.typed_values):
            yield change
