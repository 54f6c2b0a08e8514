"""An account snapshot -> the text of a config file that declares exactly what the account has. Pure.

The file is written by hand rather than dumped by a YAML library, so its shape is ours and stable: tests by
id (ascending) with the name as a comment, then members by email; the same snapshot always gives the same
bytes. Each entry is checked against the config models before it is written: an entry the config language
cannot express (a role it does not know, a schedule without a usable timezone) is left out, and a comment
in its place says why, so ``plan`` on the export shows no change and ``validate`` passes.

Schedules: the API gives epoch seconds and a timezone; the config wants local wall time in a timezone. The
local time is written in the test's own timezone, so the plan compares equal instants and equal timezones.
Two cases cannot be written that way, and the schedule is then left out (not managed) with a comment:

- the account gives no timezone, or one this machine's timezone database does not know (the plan compares
  the timezone too, so any name we picked would show as a change);
- an instant in the repeated hour of a daylight-saving change: a local time means its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from reconciler.config.models import SCHEMA_ID
from reconciler.providers.abtasty.api import TestSelection
from reconciler.providers.abtasty.config import Member, Test
from reconciler.providers.abtasty.state import (
    Existing,
    ExistingMember,
    ExistingTest,
    epoch_to_local,
    local_to_epoch,
)
from reconciler.yamledit.result import Exported
from reconciler.yamledit.text import comment_text, double_quoted, one_line, scalar

INDENT = "  "


@dataclass(frozen=True)
class ExportOptions:
    """What to export, and the modeline's schema reference (a path relative to the file, or a URL)."""

    tests: TestSelection = "all"  # what was fetched; shown in the header
    members: bool = True
    prune: bool = False
    schema_ref: str = SCHEMA_ID


@functools.cache
def known_timezones() -> frozenset[str]:
    """IANA names this machine knows: a schedule in any other timezone cannot be written as local time."""
    return frozenset(zoneinfo.available_timezones())


def _utc(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_time(epoch: int, timezone: str) -> str | None:
    """``epoch`` as the local time that means exactly it in ``timezone``, or None when none does."""
    local = epoch_to_local(epoch, timezone)
    if local is None or len(local) != 19 or local_to_epoch(local, timezone) != epoch:
        return None  # the repeated hour of a DST change (or a year outside 1000..9999)
    return local


def schedule_fields(test: ExistingTest) -> tuple[dict[str, str], str | None]:
    """The test's schedule as config fields (empty when it has none), or the reason it cannot be written."""
    if not test.start and not test.stop:
        return {}, None
    instants = ", ".join(f"{k} {_utc(e)}" for k, e in (("start", test.start), ("stop", test.stop)) if e)
    if test.timezone not in known_timezones():
        what = f"timezone {test.timezone!r} is unknown here" if test.timezone else "no timezone is set"
        return {}, f"schedule not exported ({instants}): {what} in the account"
    fields: dict[str, str] = {}
    for key, epoch in (("start_at", test.start), ("stop_at", test.stop)):
        if epoch:
            local = local_time(epoch, test.timezone)
            if local is None:
                return {}, (
                    f"schedule not exported ({instants}): {key} falls in the repeated hour of a "
                    f"daylight-saving change in {test.timezone}, and a local time there means the first one"
                )
            fields[key] = local
    if test.start and test.stop and test.stop <= test.start:
        return {}, f"schedule not exported ({instants}): it stops before it starts"
    return {**fields, "timezone": test.timezone}, None


def test_entry(test: ExistingTest) -> tuple[list[str], str | None]:
    """The lines of one test entry, relative to its keys' column (the first is the ``- `` line)."""
    schedule, why = schedule_fields(test)
    entry = {"id": test.id, "state": test.state, "mode": test.mode, "schedule": schedule or None}
    try:
        Test.model_validate(entry)  # the API may hold what the config cannot say
    except ValidationError as err:
        return [], f"test {test.id} not exported: {_first_error(err)}"
    lines = [f"id: {test.id}{INDENT}# {comment_text(test.name)}", f"state: {test.state}"]
    if test.mode is not None:
        lines.append(f"mode: {test.mode}")
    if schedule:
        lines.append("schedule:")
        for key, value in schedule.items():
            shown = double_quoted(value) if key != "timezone" else scalar(value)
            lines.append(f"{INDENT}{key}: {shown}")
    if why:
        lines.append(f"# {one_line(why)}")
    return lines, (f"test {test.id}: {why}" if why else None)


def member_entry(member: ExistingMember) -> tuple[list[str], str | None]:
    """The lines of one member entry, relative to its keys' column."""
    try:
        Member.model_validate({"email": member.email, "role": member.role})
    except ValidationError as err:
        return [], f"member {member.email!r} not exported: {_first_error(err)}"
    if "${" in member.email:  # would read as a variable reference
        return [], f"member {member.email!r} not exported: the email holds '${{'"
    return [f"email: {scalar(member.email)}", f"role: {member.role}"], None


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def place(lines: list[str], dash: str, keys: str) -> Iterator[str]:
    """An entry's lines under a sequence: ``dash`` before the first, ``keys`` before the others."""
    for i, line in enumerate(lines):
        yield (dash if i == 0 else keys) + line


def _entries(existing: Existing, options: ExportOptions, notes: list[str]) -> Iterator[str]:
    dash, keys = INDENT + "- ", INDENT * 2
    if options.tests != "none":
        yield "tests:" if existing.tests else "tests: []"
        for test_id in sorted(existing.tests):
            lines, note = test_entry(existing.tests[test_id])
            notes.extend([note] if note else [])
            yield from place(lines, dash, keys) if lines else [f"{INDENT}# {one_line(note or '')}"]
    if options.members and existing.members is not None:
        effect = "revoked by apply" if options.prune else "left alone"
        yield "memberships:"
        yield f"{INDENT}prune: {str(options.prune).lower()}{INDENT}# members not listed here are {effect}"
        yield f"{INDENT}members:" if existing.members else f"{INDENT}members: []"
        for email in sorted(existing.members):
            lines, note = member_entry(existing.members[email])
            notes.extend([note] if note else [])
            yield from (
                place(lines, INDENT + dash, INDENT + keys) if lines else [f"{keys}# {one_line(note or '')}"]
            )


def render_export(existing: Existing, options: ExportOptions) -> Exported:
    """The config file for ``existing``; credentials as ``${VARS}``, never values."""
    notes: list[str] = []
    counts = []
    if options.tests != "none":
        counts.append(f"{len(existing.tests)} test(s) ({options.tests})")
    if options.members and existing.members is not None:
        counts.append(f"{len(existing.members)} member(s)")
    head = [
        f"# yaml-language-server: $schema={options.schema_ref}",
        "#",
        f"# Exported from AB Tasty account {existing.account_id} by `reconciler export`: "
        f"{', '.join(counts) or 'the account only'}.",
        "# Review it, remove what this file should not manage, then run `reconciler plan` on it.",
        "version: 1",
        "provider: abtasty",
        "account:",
        f"{INDENT}id: {existing.account_id}",
        f"{INDENT}credentials:{INDENT}# read from the environment when plan and apply run",
        f"{INDENT * 2}client_id: ${{ABTASTY_CLIENT_ID}}",
        f"{INDENT * 2}client_secret: ${{ABTASTY_CLIENT_SECRET}}",
    ]
    body = list(_entries(existing, options, notes))
    members = f", {len(existing.members)} member(s)" if existing.members is not None else ""
    return Exported("\n".join([*head, *body]) + "\n", notes, f"{len(existing.tests)} test(s){members}")
