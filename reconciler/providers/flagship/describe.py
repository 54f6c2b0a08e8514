"""Flagship changes in words, for the renderers (texts in JSON spelling, as Taplytics' values)."""

from __future__ import annotations

import json

from reconciler.core.changes import Change
from reconciler.core.text import escape_non_ascii
from reconciler.providers.flagship.changes import Kind


def label(change: Change) -> str:
    """``campaign c01 "Checkout"``, ``user a@b.c``, ``flag btn-color``, ``panic mode (env ...)``."""
    kind = change.resource_type
    if kind == "campaign":
        return f'campaign {change.key} "{change.name}"'
    if kind == "user":
        return f"user {escape_non_ascii(change.name)}"
    if kind == "flag":
        return f"flag {change.key}"
    return f"panic mode (environment {change.key})"


def describe(change: Change) -> str:
    """What happens to the resource, after its label."""
    before, after = change.before, change.after
    match change.kind:
        case Kind.PANIC_SET:
            return f"{before['panic']} -> {after['panic']}"
        case Kind.CAMPAIGN_STATE:
            return f"state {before['state']} -> {after['state']}"
        case Kind.USER_ADD:
            return f"({after['role']})"
        case Kind.USER_REVOKE:
            return f"({before['role']})"
        case Kind.USER_ROLE:
            return f"role {before['role']} -> {after['role']}"
        case Kind.FLAG_CREATE:
            said = f"({after['type']}"
            return f"{said}, {json.dumps(after['description'])})" if after["description"] else f"{said})"
        case Kind.FLAG_UPDATE:
            return ", ".join(f"{k} {json.dumps(before[k])} -> {json.dumps(after[k])}" for k in after)
        case Kind.FLAG_DELETE:
            return f"({before['type']})"
    return ""  # pragma: no cover - every Kind is handled above
