"""A project's users -> the text of a config file that declares exactly them. Pure.

Written by hand rather than dumped, like AB Tasty's export, so the shape is ours and stable: users by
user_id, each id double-quoted (``"007"`` stays a string, whatever YAML version reads it), then its email and
name when it has them, then its custom_data keys sorted, each value with its JSON type (``"true"`` a string,
``true`` a boolean). The same users always give the same bytes.

Each part is checked against the config model before it is written. What the config language cannot say is
left out with a ``#`` comment in its place saying why, so ``validate`` passes and ``plan`` shows no change:

- a user whose user_id the model refuses (``.``, ``..``, ids with ``/`` or ``\\``): the whole user;
- an email or a name the model refuses, or holding ``${`` (read as a variable reference): that field;
- a custom_data value that is a list, a mapping or null, or a key the model refuses: that key.

An email with non-ASCII or invisible characters is written with ``allow_unicode_email: true`` and a comment
that asks the reviewer to check it is meant (the flag exists so such an email is a visible decision). A
user with nothing left to declare is written with ``custom_data: {}``: it declares only that the user exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reconciler.config.models import SCHEMA_ID
from reconciler.config.yaml_build import MAX_INT_DIGITS
from reconciler.core.text import escape_non_ascii, suspicious_characters
from reconciler.providers.taplytics.config import User
from reconciler.providers.taplytics.state import Existing, ExistingUser
from reconciler.yamledit.result import Exported
from reconciler.yamledit.text import ascii_quoted, comment_text, double_quoted, one_line, scalar

INDENT = "  "
_PROBE_ID = "u"  # a user_id the model accepts, to check one other field on its own


@dataclass(frozen=True)
class ExportOptions:
    """The modeline's schema reference (a path relative to the file, or a URL)."""

    schema_ref: str = SCHEMA_ID


def literal(value: Any) -> str | None:
    """A custom_data value as YAML that reads back as the same JSON value and type; None when the config
    cannot hold it (a list, a mapping, null, NaN or an infinity, an integer longer than the loader reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if len(str(abs(value))) <= MAX_INT_DIGITS else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        mantissa, e, exponent = repr(value).partition("e")
        # YAML 1.1 reads 1e+20 (no dot) as a string; 1.0e+20 is a float in both 1.1 and 1.2.
        return f"{mantissa}.0{e}{exponent}" if e and "." not in mantissa else repr(value)
    if isinstance(value, str):
        return scalar(value)
    return None


def refused(fields: dict[str, Any]) -> str | None:
    """Why the config cannot hold a user entry of ``fields``, or None when it can."""
    strings = [v for v in fields.values() if isinstance(v, str)]
    strings += [v for v in (fields.get("custom_data") or {}).values() if isinstance(v, str)]
    if any("${" in s for s in strings):
        return "it holds '${', which the config reads as a variable reference"
    try:
        User.model_validate(fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return None


def field_refused(key: str, value: Any) -> str | None:
    """Why ``key: value`` (email, name, or one ``custom_data.KEY``) cannot be written, or None."""
    if key.startswith("custom_data."):
        name = key.removeprefix("custom_data.")
        if literal(value) is None:
            return f"the value is {_unwritable(value)}"
        return refused({"user_id": _PROBE_ID, "custom_data": {name: value}})
    return refused({"user_id": _PROBE_ID, key: value, "allow_unicode_email": True})


def _unwritable(value: Any) -> str:
    if isinstance(value, int):
        return f"an integer of {len(str(abs(value)))} digits; a config reads at most {MAX_INT_DIGITS}"
    kind = {dict: "a mapping", list: "a list", type(None): "null"}.get(type(value), "not a finite number")
    return f"{kind}; custom_data holds strings, numbers and booleans"


def user_entry(user: ExistingUser) -> tuple[list[str], list[str]]:
    """The lines of one user entry, relative to its keys' column (the first is the ``user_id`` line), and
    the notes on what it left out (each also a comment in the entry). No lines: the user cannot be written."""
    who = f"user {comment_text(user.user_id)}"
    why = refused({"user_id": user.user_id, "custom_data": {}})
    if why:
        return [], [f"{who} not exported: {why}"]
    lines = [f"user_id: {double_quoted(user.user_id)}"]
    notes: list[str] = []
    written: dict[str, Any] = {"user_id": user.user_id}
    lines += _fields(user, written, notes)
    data = _custom_data(user, notes)
    if data:
        lines += ["custom_data:", *(f"{INDENT}{scalar(k)}: {literal(v)}" for k, v in data.items())]
    elif len(written) == 1:
        lines.append(f"custom_data: {{}}{INDENT}# nothing else to declare: the user exists")
    written["custom_data"] = data if data or len(written) == 1 else None
    why = refused(written)
    if why:  # each part passed on its own: a safety net, not an expected path
        return [], [f"{who} not exported: {why}"]
    return lines + [f"# {one_line(n)}" for n in notes], [f"{who}: {n}" for n in notes]


def _fields(user: ExistingUser, written: dict[str, Any], notes: list[str]) -> list[str]:
    """The email and name lines (``allow_unicode_email`` too when the email needs it), each field added to
    ``written``; a note for each one that cannot be written."""
    lines = []
    for key in ("email", "name"):
        value = getattr(user, key)
        if value is None:
            continue
        why = field_refused(key, value)
        if why:
            notes.append(f"{key} not written: {why}")
            continue
        odd = suspicious_characters(value) if key == "email" else []
        lines.append(f"{key}: {ascii_quoted(value) if odd else scalar(value)}")
        written[key] = value
        if odd:
            written["allow_unicode_email"] = True
            shown = escape_non_ascii(value)
            notes.append(
                f"email {shown} has non-ASCII or invisible characters ({', '.join(odd)}): check it is meant"
            )
    if "allow_unicode_email" in written:
        lines.append("allow_unicode_email: true")
    return lines


def _custom_data(user: ExistingUser, notes: list[str]) -> dict[str, Any]:
    """The custom_data keys that can be written, sorted; a note for each one that cannot."""
    data: dict[str, Any] = {}
    for key in sorted(user.custom_data):
        value = user.custom_data[key]
        why = field_refused(f"custom_data.{key}", value)
        if why:
            notes.append(f"custom_data.{key} not written: {why}")
        else:
            data[key] = value
    return data


def render_export(existing: Existing, options: ExportOptions) -> Exported:
    """The config file for ``existing``; the API token as ``${TAPLYTICS_API_TOKEN}``, never its value."""
    notes: list[str] = []
    body = ["users:" if existing.users else "users: []"]
    dash, keys = INDENT + "- ", INDENT * 2
    for user_id in sorted(existing.users):
        lines, user_notes = user_entry(existing.users[user_id])
        notes.extend(user_notes)
        if not lines:
            body.append(f"{INDENT}# {one_line(user_notes[0])}")
        body += [(dash if i == 0 else keys) + line for i, line in enumerate(lines)]
    count = f"{len(existing.users)} user(s)"
    head = [
        f"# yaml-language-server: $schema={options.schema_ref}",
        "#",
        f"# Exported from Taplytics project {comment_text(existing.project)} by `reconciler export`: {count}.",
        "# Review it, remove what this file should not manage, then run `reconciler plan` on it.",
        "# Users not listed are never touched, and apply never deletes one.",
        "version: 1",
        "provider: taplytics",
        "project:",
        f"{INDENT}name: {scalar(existing.project)}{INDENT}# a label: the API token picks the project",
        f"{INDENT}api_token: ${{TAPLYTICS_API_TOKEN}}{INDENT}# read from the environment when plan and apply run",
    ]
    return Exported("\n".join([*head, *body]) + "\n", notes, count)
