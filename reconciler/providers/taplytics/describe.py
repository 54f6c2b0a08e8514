"""Taplytics changes in words, for the renderers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.core.changes import Change
from reconciler.providers.taplytics.changes import Kind


class _Escaped(str):
    """An email: shown as JSON with every non-ASCII character escaped."""

    __slots__ = ()


def _value(value: Any) -> str:
    # JSON spelling, so that "true" (a string) and true (a boolean) read differently, as the API sees them.
    if value is None:
        return "(unset)"
    return json.dumps(value, ensure_ascii=isinstance(value, _Escaped))


def _user_fields(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of a user change's side: email, name, then custom_data.KEY in the change's order."""
    pairs = [(key, values[key]) for key in ("email", "name") if key in values]
    # JSON with ensure_ascii: a lookalike letter in an email shows as \u0430, not as the letter it imitates.
    pairs = [(k, _Escaped(v) if k == "email" and isinstance(v, str) else v) for k, v in pairs]
    pairs += [(f"custom_data.{k}", v) for k, v in (values.get("custom_data") or {}).items()]
    return pairs


def label(change: Change) -> str:
    """``user qa-001 "QA One"``, or ``user qa-001`` for a user without a name."""
    return f'user {change.key} "{change.name}"' if change.name else f"user {change.key}"


def describe(change: Change) -> str:
    """The fields a create sets, or each field an update changes (before -> after)."""
    if change.kind is Kind.USER_CREATE:
        fields = _user_fields(change.after)
        return ", ".join(f"{name} {_value(v)}" for name, v in fields) or "(no fields)"
    before = dict(_user_fields(change.before))
    return ", ".join(
        f"{name} {_value(before.get(name))} -> {_value(v)}" for name, v in _user_fields(change.after)
    )
