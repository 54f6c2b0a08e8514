"""Taplytics users: the stored record <-> the JSON user, and the checks and merge of a ``POST`` body.

A user is ``{"user_id", "email", "name", "custom_data"}``. The document only describes ``custom_data`` as "a
key:value store"; the sandbox takes flat values (string, number, boolean) and reads a key given as ``null``
as "remove this key", so a client can converge custom data without sending the whole object.
"""

from __future__ import annotations

import math
from typing import Any

from reconciler.sandbox.store import Record
from reconciler.sandbox.taplytics import readings
from reconciler.sandbox.taplytics.tokens import TOKEN_PARAM
from reconciler.sandbox.web import ApiProblem

USER_FIELDS = ("email", "name", "custom_data")
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}  # fmt: skip


def _kind(value: Any) -> str:
    """A JSON type name for error messages: values are never echoed (a body may hold a token)."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def render_user(user: Record) -> dict[str, Any]:
    """A stored user as the API answers it (the store's bookkeeping, such as creation order, left out)."""
    return {
        "user_id": user["user_id"],
        "email": user.get("email"),
        "name": user.get("name"),
        "custom_data": dict(user.get("custom_data", {})),
    }


def _check_custom_data(value: Any) -> None:
    if not isinstance(value, dict):
        raise ApiProblem(400, f"Invalid parameter 'custom_data': expected an object, got {_kind(value)}")
    for key, item in value.items():
        if not key:
            raise ApiProblem(400, "Invalid parameter 'custom_data': a key must not be empty")
        flat = item is None or isinstance(item, str | bool | int)
        if not flat and not (isinstance(item, float) and math.isfinite(item)):
            raise ApiProblem(
                400,
                f"Invalid parameter 'custom_data.{key}': expected a string, number, boolean or null "
                f"(null removes the key), got {_kind(item)}",
            )


def parse_update(body: dict[str, Any]) -> dict[str, Any]:
    """The fields a ``POST /v2/users/{user_id}`` sets (``api_token`` is auth, not a field); 400 naming the
    field for anything unknown or mistyped, and for a body that sets nothing."""
    fields = {k: v for k, v in body.items() if k != TOKEN_PARAM}
    unknown = sorted(set(fields) - set(USER_FIELDS))
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        raise ApiProblem(400, f"Unknown parameter(s) {names}: a user takes email, name and custom_data")
    if not fields:
        raise ApiProblem(400, "Missing parameter: send at least one of email, name, custom_data")
    for key in ("email", "name"):
        if key in fields and fields[key] is not None and not isinstance(fields[key], str):
            raise ApiProblem(
                400, f"Invalid parameter '{key}': expected a string or null, got {_kind(fields[key])}"
            )
    if "custom_data" in fields:
        _check_custom_data(fields["custom_data"])
    return fields


def apply_update(user: Record, fields: dict[str, Any], dialects: frozenset[str] = frozenset()) -> None:
    """Set ``email`` / ``name`` (null clears), merge ``custom_data`` (null removes a key; keys not given
    stay). Empty and null values are not stored (the store omits defaults)."""
    for key in ("email", "name"):
        if key in fields:
            if fields[key] is None:
                user.pop(key, None)
            else:
                user[key] = fields[key]
    if "email" in user:
        user["email"] = readings.email(user["email"], dialects)
    if "custom_data" in fields:
        data = readings.custom_data(user.get("custom_data", {}), fields["custom_data"], dialects)
        if data:
            user["custom_data"] = data
        else:
            user.pop("custom_data", None)
