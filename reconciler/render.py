"""Plans as text (Terraform-like), JSON (for machines) and Markdown (for PR comments).

Pure functions returning strings: the CLI decides where they go. ``FORMATS`` is the table of output formats
(name -> renderer and help) that ``plan --format`` and ``show --format`` offer: a new format is one entry. Each change is put in words by its
provider (``label`` / ``describe``), found by the plan's provider name. Every rendering is redacted whole
(a server can put a token in a test name, and a plan file is posted and kept), and invisible or control
characters in what a provider says are shown escaped, so a name cannot forge or hide a plan line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler import __version__
from reconciler.core.changes import Action, Change
from reconciler.core.plan import AccountPlan, Note, Setting, Summary, summary_dict
from reconciler.encode import markdown as md
from reconciler.encode import terminal
from reconciler.providers import registry
from reconciler.providers.base import AnyProvider
from reconciler.redaction import redact

#: The JSON plan format (schema/plan.schema.json, docs/plan-format.md). 2.0: ``account`` is a number when
#: the provider's accounts are numbered (AB Tasty), a string otherwise; 1.0 always wrote a string.
FORMAT_VERSION = "2.0"
MARKDOWN_MARKER = "<!-- reconciler:plan -->"
NO_CHANGES = "No changes. The account matches the configuration."
NO_CHANGES_ALL = "No changes. Every account matches its configuration."


def no_changes(plans: Sequence[AccountPlan]) -> str:
    """The closing line of a plan without changes, in the number of accounts it planned."""
    return NO_CHANGES if len(plans) <= 1 else NO_CHANGES_ALL


MANAGES_NOTHING = "No changes: the configuration manages nothing, so nothing was compared."
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
_COLOR = {Action.CREATE: "\x1b[32m", Action.UPDATE: "\x1b[33m", Action.DELETE: "\x1b[31m"}
_RESET = "\x1b[0m"


def _provider(name: str) -> type[AnyProvider]:
    found = registry.get(name)
    if found is None:  # a plan is only ever built or read for an installed provider
        raise ValueError(f"no provider {name!r}")
    return found


def account_heading(plan: AccountPlan) -> str:
    """``abtasty account 41902``, ``taplytics project my-app``."""
    return f"{plan.provider} {_provider(plan.provider).account_noun} {plan.account}"


def change_line(change: Change, provider: type[AnyProvider], color: bool = False) -> str:
    """One line of the text plan, e.g. ``~ test 381296 "Public API Test": state pause -> play (prod)``."""
    symbol = _SYMBOL[change.action]
    sep = " " if provider.inline(change) else ": "
    line = terminal.text(f"{symbol} {provider.label(change)}{sep}{provider.describe(change)}")
    return f"{_COLOR[change.action]}{line}{_RESET}" if color else line


def setting_line(setting: Setting) -> str:
    """``safety min_admins: 1 -> 0 (default -> this config)``."""
    return f"{setting.name}: {setting.default} -> {setting.value} (default -> this config)"


def note_line(note: Note) -> str:
    """``# tests[0] select folder=12: 3 tests matched``; a warning reads ``? warning: ...``."""
    return f"? warning: {note.message}" if note.warning else f"# {note.message}"


def lock_line(plan: AccountPlan) -> str | None:
    """Who holds the account's pull-request lock (``plan --lock``), or None: ``lock: held by this pull
    request #7 (plan at a1b2c3d4e5f6) since ...``. A saved plan's record is read with care (it is a file's)."""
    if not plan.lock:
        return None
    get = plan.lock.get
    who = f"#{get('pr', '?')} (plan at {str(get('sha', '?'))[:12]})"
    if get("ours") is True:
        return f"lock: held by this pull request {who} since {get('since', '?')}"
    if plan.changes:
        return f"locked by {who}, {get('holder', '?')} since {get('since', '?')}: this plan is refused"
    return f"lock: held by {who} (this pull request changes nothing here)"


def summary_line(summary: Summary) -> str:
    """``Plan: 1 to add, 3 to change, 1 to remove.``"""
    return f"Plan: {summary.add} to add, {summary.change} to change, {summary.remove} to remove."


def total(plans: Sequence[AccountPlan]) -> Summary:
    """The counts of every account together."""
    out = Summary()
    for plan in plans:
        out = out + plan.summary
    return out


def render_text(
    plans: Sequence[AccountPlan], color: bool = False, idle: Collection[str] = frozenset()
) -> str:
    """The Terraform-like plan of every account. ``idle``: the config paths that declare nothing to manage
    (said so, rather than "matches", which would claim a comparison that never happened)."""
    lines: list[str] = []
    for plan in plans:
        provider = _provider(plan.provider)
        lines.append(terminal.text(f"{account_heading(plan)} ({plan.path}):"))
        lines.extend(f"  {change_line(c, provider, color)}" for c in plan.changes)
        if not plan.changes:
            lines.append(_nothing_managed(provider) if plan.path in idle else "  (no changes)")
        lines.extend(f"  {terminal.text(note_line(n))}" for n in plan.notes)
        if (locked := lock_line(plan)) is not None:
            lines.append(f"  # {terminal.text(locked)}")
        lines.extend(f"  * {terminal.text(setting_line(s))}" for s in plan.settings)
        lines.extend(f"  ! {terminal.text(v.message)}" for v in plan.violations)
        lines.append("")
    summary = total(plans)
    if summary.total:
        lines.append(summary_line(summary))
    else:
        lines.append(MANAGES_NOTHING if plans and all(p.path in idle for p in plans) else no_changes(plans))
    return redact("\n".join(lines) + "\n")


def _nothing_managed(provider: type[AnyProvider]) -> str:
    nouns = " or ".join(provider.inventory_nouns) or "resource"
    return f"  (manages nothing: declare a {nouns} to manage it)"


def plan_document(plans: Sequence[AccountPlan]) -> dict[str, Any]:
    """The JSON document (also the body of a saved plan file)."""
    return {
        "format_version": FORMAT_VERSION,
        "reconciler_version": __version__,
        "accounts": [_account_dict(p) for p in plans],
        "summary": summary_dict(total(plans)),
    }


def _account_dict(plan: AccountPlan) -> dict[str, Any]:
    out = plan.to_dict()
    if _provider(plan.provider).account_numeric and plan.account.isdigit():
        out["account"] = int(plan.account)  # format 2.0: an AB Tasty account id is a number, as in its API
    return out


def render_json(plans: Sequence[AccountPlan]) -> str:
    """Machine-readable plan: format_version, each change's kind/resource/before/after, the counts.

    One line, as ``terraform show -json`` writes it (pipe it to ``jq`` to read it): an indented dump goes
    through the pure-Python encoder, 10x slower, 0.3 s of CPU for a 14,000-change plan.
    """
    return redact(json.dumps(plan_document(plans), separators=(",", ":")) + "\n")


def _markdown_lines(plans: Sequence[AccountPlan]) -> list[str]:
    """Each line of the Markdown plan."""
    summary = total(plans)
    head = summary_line(summary) if summary.total else no_changes(plans)
    lines = [MARKDOWN_MARKER, f"### {head}", ""]
    for plan in plans:
        heading = f"**{md.code(account_heading(plan))}** ({md.code(plan.path)})"
        lines += [f"{heading}: {summary_line(plan.summary)}", ""]
        provider = _provider(plan.provider)
        if plan.changes:
            lines += ["| | Resource | Change |", "|---|---|---|"]
            lines += [
                f"| `{_SYMBOL[c.action]}` | {md.cell(provider.label(c))} | {md.cell(provider.describe(c))} |"
                for c in plan.changes
            ]
            lines.append("")
        lines += [_markdown_note(n) for n in plan.notes]
        if (locked := lock_line(plan)) is not None:
            lines.append(f"> :lock: {md.code(locked)}")
        lines += [f"> :shield: **{md.code(setting_line(s))}**" for s in plan.settings]
        lines += [f"> :warning: {md.code(v.message)}" for v in plan.violations]
        if plan.violations or plan.settings or plan.notes or plan.lock:
            lines.append("")
    return lines


def _markdown_note(note: Note) -> str:
    return f"> :warning: {md.code(note.message)}" if note.warning else f"> :mag: {md.code(note.message)}"


def render_markdown(plans: Sequence[AccountPlan]) -> str:
    """The plan in Markdown (``--format markdown``, the job summary): a hidden marker, a summary line and a
    table. The comments and notes are ``integrations.words.render_comment``'s, cut to their limit there."""
    return redact("\n".join(_markdown_lines(plans)).rstrip("\n") + "\n")


@dataclass(frozen=True)
class View:
    """How the person asked to see a plan: in colour, and which config paths manage nothing (``idle``).
    Formats for machines and pull requests ignore both."""

    color: bool = False
    idle: Collection[str] = frozenset()


@dataclass(frozen=True)
class Format:
    """One output format of a plan: its renderer and its sentence of ``--format``'s help."""

    render: Callable[[Sequence[AccountPlan], View], str]
    help: str


#: Every output format, by the name ``--format`` takes; the first is the default.
FORMATS: dict[str, Format] = {
    "text": Format(
        lambda plans, view: render_text(plans, color=view.color, idle=view.idle),
        "the Terraform-like plan for people",
    ),
    "json": Format(
        lambda plans, _view: render_json(plans),
        "one line, versioned (format_version, see schema/plan.schema.json) for scripts and policies",
    ),
    "markdown": Format(lambda plans, _view: render_markdown(plans), "a PR comment with a hidden marker"),
}
