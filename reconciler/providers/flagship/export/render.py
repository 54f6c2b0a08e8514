"""An account environment -> the text of a config file that declares exactly what it has. Pure.

Written by hand rather than dumped, like the other providers' exports, so the shape is ours and stable:
``panic``, then campaigns by id (the name as a comment: ids are unique, names need not be), then users by
email, then the account's flags by key. Ids are double-quoted, so ``"007"`` stays a string. The same
environment always gives the same bytes.

Each entry is checked against the config model before it is written. What the config cannot say is left out
with a ``#`` comment in its place saying why, so ``validate`` passes and ``plan`` shows no change: a campaign
in a state the toggle route does not set (a draft), a user whose role the config does not list, a value
holding ``${`` (read as a variable reference), a flag of a type the config does not know.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.core.text import escape_non_ascii, suspicious_characters
from reconciler.providers.exporter import ExportRequest
from reconciler.providers.flagship.config import Campaign, Flag, User
from reconciler.providers.flagship.state import Existing, ExistingCampaign, ExistingFlag, ExistingUser
from reconciler.yamledit.result import Exported
from reconciler.yamledit.text import ascii_quoted, comment_text, double_quoted, one_line, scalar

INDENT = "  "
Lines = list[str]


def refused(model: type[BaseModel], fields: dict[str, Any]) -> str | None:
    """Why the config cannot hold an entry of ``fields``, or None when it can."""
    if any(isinstance(v, str) and "${" in v for v in fields.values()):
        return "it holds '${', which the config reads as a variable reference"
    try:
        model.model_validate(fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return None


def campaign_entry(campaign: ExistingCampaign) -> tuple[Lines, str | None]:
    """The lines of one campaign entry (relative to its keys' column), or none and why."""
    why = refused(Campaign, {"id": campaign.id, "state": campaign.status})
    if why:
        return [], f"campaign {comment_text(campaign.id)} {comment_text(campaign.name)} not exported: {why}"
    name = f"{INDENT}# {one_line(campaign.name)}" if campaign.name else ""
    return [f"id: {double_quoted(campaign.id)}{name}", f"state: {campaign.status}"], None


def user_entry(user: ExistingUser) -> tuple[Lines, list[str]]:
    """The lines of one user entry, and notes (a note without lines: the user cannot be written)."""
    odd = suspicious_characters(user.email)
    why = refused(User, {"email": user.email, "role": user.role, "allow_unicode_email": bool(odd)})
    if why:
        return [], [f"user {comment_text(user.email)} not exported: {why}"]
    if not odd:
        return [f"email: {scalar(user.email)}", f"role: {user.role}"], []
    note = f"email {escape_non_ascii(user.email)} has non-ASCII or invisible characters ({', '.join(odd)})"
    lines = [f"email: {ascii_quoted(user.email)}", f"role: {user.role}", "allow_unicode_email: true"]
    return [*lines, f"# {one_line(note)}: check it is meant"], [f"{note}: check it is meant"]


def flag_entry(flag: ExistingFlag) -> tuple[Lines, str | None]:
    """The lines of one flag entry (its description too, empty or not: the export manages all of it)."""
    why = refused(Flag, {"key": flag.key, "type": flag.type, "description": flag.description})
    if why:
        return [], f"flag {comment_text(flag.key)} not exported: {why}"
    return [
        f"key: {scalar(flag.key)}",
        f"type: {flag.type}",
        f"description: {scalar(flag.description)}",
    ], None


def items(entries: list[tuple[Lines, list[str]]], depth: int) -> Lines:
    """Sequence items at ``depth`` indents; an entry without lines becomes its note as a comment."""
    out, dash, keys = [], INDENT * depth + "- ", INDENT * (depth + 1)
    for lines, notes in entries:
        if not lines:
            out.append(f"{INDENT * depth}# {one_line(notes[0])}")
        out += [(dash if i == 0 else keys) + line for i, line in enumerate(lines)]
    return out


def _one(lines: Lines, note: str | None) -> tuple[Lines, list[str]]:
    return lines, [note] if note else []


def render_export(existing: Existing, request: ExportRequest) -> Exported:
    """The config file for ``existing``; the credentials as ``${VARS}``, never their values."""
    campaigns = sorted(existing.campaigns.values(), key=lambda c: c.id)
    if request.resources == "playing":
        campaigns = [c for c in campaigns if c.status == "active"]
    elif request.resources == "none":
        campaigns = []
    parts = [_one(*campaign_entry(c)) for c in campaigns]
    people, keys = existing.users or {}, existing.flags or {}
    users = [user_entry(people[k]) for k in sorted(people)] if request.members else []
    flags = [_one(*flag_entry(keys[k])) for k in sorted(keys)]
    prune = "true" if request.prune else "false"
    body = [f"panic: {double_quoted(existing.panic or 'off')}"]
    body += ["campaigns:", *items(parts, 1)] if parts else []
    if request.members:
        body += ["users:", f"{INDENT}prune: {prune}", f"{INDENT}members:" + ("" if users else " []")]
        body += items(users, 2)
    body += [
        "flags:",
        f"{INDENT}prune: {prune}",
        f"{INDENT}keys:" + ("" if flags else " []"),
        *items(flags, 2),
    ]
    counts = [f"{len(parts)} campaign(s)", f"{len(users)} user(s)", f"{len(flags)} flag(s)"]
    count = ", ".join(counts if request.members else counts[::2])
    head = [
        f"# yaml-language-server: $schema={request.schema_ref}",
        "#",
        f"# Exported from Flagship account {comment_text(existing.account)} environment "
        f"{comment_text(existing.environment)} by `reconciler export`: {count}.",
        "# Review it, remove what this file should not manage, then run `reconciler plan` on it.",
        "# Campaigns not listed are never touched; users and flags are pruned only with prune: true.",
        "version: 1",
        "provider: flagship",
        "account:",
        f"{INDENT}id: {double_quoted(existing.account)}",
        f"{INDENT}environment: {double_quoted(existing.environment)}",
        f"{INDENT}credentials:{INDENT}# read from the environment when plan and apply run",
        f"{INDENT * 2}client_id: ${{FLAGSHIP_CLIENT_ID}}",
        f"{INDENT * 2}client_secret: ${{FLAGSHIP_CLIENT_SECRET}}",
    ]
    notes = [n for _, entry_notes in (*parts, *users, *flags) for n in entry_notes]
    return Exported("\n".join([*head, *body]) + "\n", notes, count)
