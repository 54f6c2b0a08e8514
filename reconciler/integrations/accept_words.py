"""The words of a ``drift: accept`` pull request: its title, and a body (GFM) saying what changed on the
account (the drift issue's words, ``Provider.drift``), what the pull request changes in the file (``export
--update``'s report), what it could not write, and since when the drift has been seen.

No vendor's API says when a value was changed, so "when" is what reconciler saw: the first run that found
this drift (kept in the body from one update to the next) and the latest. Every config or server text goes
into a code span (``encode.markdown``); the whole body is redacted.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.core.changes import Action
from reconciler.core.plan import AccountPlan
from reconciler.encode import markdown as md
from reconciler.providers import registry
from reconciler.redaction import redact
from reconciler.render import account_heading

MARKER = "<!-- reconciler:drift-pull -->"
STALE = "<!-- reconciler:drift-stale -->"
_SINCE = re.compile(r"<!-- reconciler:drift-since=([0-9T:+\-Z]{10,32}) -->")
_ADDED = (
    "- {n} entry(ies) added on the account: `export --update` changes values and adds no entry; to keep "
    "them, add them to the file (or run {path} and keep what you want)"
)
SHOWN = 200  # lines of each list before a count, at the most
LINE_LIMIT = 300  # characters of one listed line (a long value is cut, with a count)
BODY_LIMIT = 60_000  # GitHub refuses a pull request body over 65,536 characters (a 422)


@dataclass(frozen=True)
class Found:
    """Where and when this run found the drift."""

    commit: str
    run_url: str
    now: str  # ISO 8601, UTC


def title(plan: AccountPlan) -> str:
    """``reconciler: accept drift in abtasty account 41902``."""
    return redact(f"reconciler: accept drift in {account_heading(plan)}")


def first_seen(body: str) -> str | None:
    """When the drift this pull request carries was first found (from its body), if it says."""
    match = _SINCE.search(body)
    return match.group(1) if match else None


def out_of_date(body: str, found: Found, why: str) -> str:
    """``body`` with one line under its marker saying this run could not refresh it, and why (the line of
    an earlier such run replaced; a later update writes the whole body again, without it)."""
    run = f" ([run]({found.run_url}))" if found.run_url else ""
    line = (
        f"> :warning: **Out of date:** the drift run at commit `{found.commit[:12]}`{run}, {found.now}, could "
        f"not refresh this pull request: {md.code(why, limit=LINE_LIMIT)}. It still writes the values an "
        f"earlier run found. {STALE}"
    )
    kept = [old for old in body.splitlines() if STALE not in old]
    at = kept.index(MARKER) + 1 if MARKER in kept else 0
    return redact("\n".join([*kept[:at], line, *kept[at:]]) + "\n")


def _listed(lines: Sequence[str], most: int) -> list[str]:
    shown = [f"- {md.code(line, limit=LINE_LIMIT)}" for line in lines[:most]]
    more = len(lines) - most
    return [*shown, *([f"- ... and {more} more"] if more > 0 else [])]


def body(plan: AccountPlan, path: str, written: Sequence[str], manual: Sequence[str], found: Found,
         since: str | None) -> str:  # fmt: skip
    """The pull request's body, within GitHub's size (fewer lines of each list until it fits); ``since``:
    the first-found time an earlier update recorded."""
    most = SHOWN
    text = _body(plan, path, written, manual, found, since, most)
    while len(text) > BODY_LIMIT and most > 1:
        most //= 2
        text = _body(plan, path, written, manual, found, since, most)
    return text


def _body(plan: AccountPlan, path: str, written: Sequence[str], manual: Sequence[str], found: Found,
          since: str | None, most: int) -> str:  # fmt: skip
    provider = registry.get(plan.provider)
    drift = [provider.drift(c) if provider else c.resource for c in plan.changes]
    run = f" by [this run]({found.run_url})" if found.run_url else ""
    lines = [
        MARKER,
        f"### Accept what changed on {md.code(account_heading(plan))}",
        "",
        f"{md.code(path)} says `drift: accept`: the account was changed outside the config, and this pull "
        "request writes what it holds now into the file (`reconciler export --update`: only the drifted "
        "values change, comments and layout stay). **Merge** it to keep the change; **close** it and run "
        "the apply workflow to set the account back to the config instead. The drift job updates it while the drift "
        "lasts and closes it once the account and the config agree.",
        "",
        "**What changed on the account**",
        "",
        *_listed(drift, most),
        "",
        "**What this pull request changes in the file**",
        "",
        *(_listed(written, most) if written else ["- nothing it can write: see below"]),
        "",
    ]
    added = sum(1 for c in plan.changes if c.action == Action.DELETE)  # the plan removes what was added
    if manual or added:
        lines += ["**Not in this pull request** (edit the file by hand)", "", *_listed(manual, most)]
        if added:
            command = f"reconciler export --update {shlex.quote(path)} --add-new"
            lines.append(_ADDED.format(n=added, path=md.code(command)))
        lines.append("")
    first = since or found.now
    lines += [
        f"<sub>Found{run} at commit `{found.commit[:12]}`; first found {first}, last {found.now}.</sub>",
        f"<!-- reconciler:drift-since={first} -->",
    ]
    return redact("\n".join(lines) + "\n")
