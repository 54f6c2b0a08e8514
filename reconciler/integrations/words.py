"""The PR comment and the drift issue, for the people who read them on GitHub (beside Atlantis and tfcmt).

The comment says what merging does next, links the run, and shows each account in a ``<details>`` block
(open unless the plan is long) holding a ```diff block, which GitHub colours red and green. The drift issue
speaks of what changed on the live account (``Provider.drift``), not of what apply would do, and says both
ways out: revert with apply, or accept with ``export --update`` in a pull request.

Every config or server text goes through ``encode``: a code span or fence in Markdown, escaped HTML inside
``<summary>``. The whole body is redacted.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Literal

from reconciler.core.changes import Action
from reconciler.core.plan import AccountPlan
from reconciler.encode import html
from reconciler.encode import markdown as md
from reconciler.providers import registry
from reconciler.providers.base import AnyProvider
from reconciler.redaction import redact
from reconciler.render import (
    MARKDOWN_MARKER,
    account_heading,
    lock_line,
    no_changes,
    setting_line,
    summary_line,
    total,
)

#: An account block is open while the whole plan has at most this many changes; a longer plan is folded.
OPEN_UP_TO = 30
# tfcmt's reading of a plan as a diff: "!" for a change in place, which GitHub's diff lexer marks apart.
_DIFF_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "!", Action.DELETE: "-"}
_CUT = "\n> :scissors: {n} change(s) not shown, to fit in {limit:,} characters. {elsewhere}\n"


def _provider(name: str) -> type[AnyProvider]:
    found = registry.get(name)
    if found is None:  # a plan is only ever built for an installed provider
        raise ValueError(f"no provider {name!r}")
    return found


def _diff_line(plan: AccountPlan, index: int) -> str:
    provider, change = _provider(plan.provider), plan.changes[index]
    sep = " " if provider.inline(change) else ": "
    return f"{_DIFF_SYMBOL[change.action]} {provider.label(change)}{sep}{provider.describe(change)}"


def _accounts(plans: Sequence[AccountPlan]) -> str:
    names = [md.code(account_heading(p)) for p in plans if p.changes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# Where the apply runs in each CI system's recipe, and how a refused plan is applied anyway. Both applies
# refuse an account whose fresh plan is not the one reviewed (`--github-reviewed`, `--gitlab-reviewed`: the
# digests on the comment's or note's last line). GitHub's runs on merge, and by hand with `force`; GitLab's is
# a manual job of the default branch's pipeline, which never forces.
CI = Literal["github", "gitlab"]
_APPLY: dict[CI, str] = {
    "github": "merge to apply these {n} change(s) to {accounts}; the apply job",
    "gitlab": "merge, then run the default branch's manual `apply` job, to apply these {n} change(s) to {accounts}; it",
}
_FORCED: dict[CI, str] = {
    "github": "a maintainer runs the apply workflow by hand (workflow_dispatch) with `force`",
    "gitlab": "a maintainer applies it by hand with `--force` (the recipe's `apply` job never forces)",
}


def next_step(plans: Sequence[AccountPlan], refused: bool, run_url: str, ci: CI = "github") -> str:
    """What happens when the pull (or merge) request is merged, in ``ci``'s recipe, and where this plan
    was made."""
    n = total(plans).total
    run = f" ([plan run]({run_url}))" if run_url else ""
    if refused:
        intended = f"If it is intended, {_FORCED[ci]}."
        return f"**Next:** apply will refuse this plan (see the rails below). {intended}{run}"
    if not n:
        return f"**Next:** merging changes no account.{run}"
    merge = _APPLY[ci].format(n=n, accounts=_accounts(plans))
    return (
        f"**Next:** {merge} will refuse if the accounts move before then (plan again to see what moved).{run}"
    )


def _account_block(plan: AccountPlan, is_open: bool, room: int) -> tuple[list[str], int]:
    """One account's ``<details>`` block, its diff rows cut to ``room`` characters; how many were cut."""
    where = f"<code>{html.text(account_heading(plan))}</code> (<code>{html.text(plan.path)}</code>)"
    head = [f"<details{' open' if is_open or plan.violations else ''}>",
            f"<summary>{where}: {html.text(summary_line(plan.summary))}</summary>", ""]  # fmt: skip
    rows, cut = [], 0
    for index in range(len(plan.changes)):
        line = _diff_line(plan, index)
        if cut or len(line) + 1 > room:
            cut += 1
            continue
        room -= len(line) + 1
        rows.append(line)
    body = [md.fence(rows, "diff")] if rows else []
    body += [f"> :mag: {md.code(n.message)}" if not n.warning else f"> :warning: {md.code(n.message)}"
             for n in plan.notes]  # fmt: skip
    body += [f"> :lock: {md.code(line)}" for line in [lock_line(plan)] if line is not None]
    body += [f"> :shield: **{md.code(setting_line(s))}**" for s in plan.settings]
    body += [f"> :warning: {md.code(v.message)}" for v in plan.violations]
    return [*head, *(line for part in body for line in (part, "")), "</details>", ""], cut


def _size(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def render_comment(
    plans: Sequence[AccountPlan],
    *,
    refused: bool,
    run_url: str,
    limit: int,
    elsewhere: str,
    head: Sequence[str] = (),
    next_line: str = "",
    ci: CI = "github",
) -> str:
    """The plan comment's body above its footer: marker, counts, next step, one block per account.
    ``head``: lines before the counts (a merged plan's failed shards and scope); ``next_line``: another next
    step than merging (an incomplete merged plan's); ``ci``: whose recipe the next step names (``github``,
    ``gitlab``)."""
    summary = total(plans)
    lines = [
        MARKDOWN_MARKER,
        *head,
        f"### {summary_line(summary) if summary.total else no_changes(plans)}",
        "",
    ]
    lines += [next_line or next_step(plans, refused, run_url, ci), ""]
    is_open = summary.total <= OPEN_UP_TO
    # Headings, counts, notes and rails are always kept (measured with no rows): the rows share what is left.
    bare = [_account_block(plan, is_open, 0)[0] for plan in plans]
    fixed = _size(lines) + sum(_size(block) for block in bare)
    room = limit - fixed - len(_CUT) - len(elsewhere) - 20 - 10 * len(plans)  # 20: the count; 10: fences
    cut = 0
    for plan, empty in zip(plans, bare, strict=True):
        block, dropped = _account_block(plan, is_open, room)
        room -= _size(block) - _size(empty)
        lines += block
        cut += dropped
    text = "\n".join(lines).rstrip("\n") + "\n"
    if cut:
        text += _CUT.format(n=cut, limit=limit, elsewhere=elsewhere)
    return redact(text)


def policy_of(plan: AccountPlan) -> str:
    """The account's ``drift:`` policy, as its plan carries it (a setting line unless it is the default)."""
    return next((str(s.value) for s in plan.settings if s.name == "drift"), "revert")


_POLICY_WORDS = {
    "revert": "the next apply sets the account back to the config",
    "report": "reported only: nothing reverts it on its own (not even `watch --self-heal`)",
    "accept": "a pull request of the drift job (`plan --github-drift-issue`) writes the account's values into the file",
}


def _drift_section(plan: AccountPlan, accepted: Mapping[str, str]) -> list[str]:
    provider = _provider(plan.provider)
    head = f"#### {md.code(account_heading(plan))} ({md.code(plan.path)})"
    policy = policy_of(plan)
    said = accepted.get(plan.path) if policy == "accept" else None
    line = f"Policy {md.code(f'drift: {policy}')}: {said or _POLICY_WORDS.get(policy, '')}"
    return [head, "", line, "", *(f"- {md.code(provider.drift(c))}" for c in plan.changes), ""]


def _ways_out(plans: Sequence[AccountPlan]) -> list[str]:
    """Revert (one apply of every drifted file) or accept (``export --update`` takes one FILE: a command per
    file, so each line pasted into a shell works as written)."""
    # Quoted for a shell: a file name with a blank or a `$(...)` must paste as that one argument.
    paths = [shlex.quote(p.path) for p in plans if p.changes]
    updates = [md.code(f"reconciler export --update {path}") for path in paths]
    accept = updates[0] if len(updates) == 1 else ", ".join(updates[:-1]) + " and " + updates[-1]
    return [
        f"**To revert** the accounts to the config: run the apply workflow, or "
        f"{md.code('reconciler apply ' + ' '.join(paths))}; it undoes exactly what is listed above.",
        "",
        f"**To accept** what changed: run {accept}, then open a pull request with the result (what it cannot "
        "write, such as an entry gone from the account, it names by `FILE:LINE`: edit those lines by hand); "
        "once it is merged, the next check finds no drift and closes this issue.",
        "",
    ]


def render_drift(
    plans: Sequence[AccountPlan],
    *,
    marker: str,
    commit: str,
    run_url: str,
    limit: int,
    accepted: Mapping[str, str] | None = None,
) -> str:
    """The drift issue's body: what changed on each account and its policy (``accepted``: what was done
    for each ``drift: accept`` account, by file), the two ways out, the run that found it."""
    drifted = [p for p in plans if p.changes]
    run = f" by [this run]({run_url})" if run_url else ""
    lines = [
        marker,
        f"Found{run} at commit `{commit[:12]}`: {len(drifted)} account(s) were changed outside the config.",
        "",
    ]
    tail = _ways_out(drifted)
    sections = [line for plan in drifted for line in _drift_section(plan, accepted or {})]
    room = limit - _size(lines) - _size(tail) - len(_CUT) - 40
    kept, cut = [], 0
    for line in sections:
        if line.startswith("- ") and (cut or len(line) + 1 > room):
            cut += 1
            continue
        room -= len(line) + 1
        kept.append(line)
    if cut:
        kept.append(
            _CUT.format(n=cut, limit=limit, elsewhere="The run's job summary has the whole plan.").strip()
        )
        kept.append("")
    return redact("\n".join([*lines, *kept, *tail]).rstrip("\n") + "\n")
