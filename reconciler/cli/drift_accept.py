"""``drift: accept`` in the drift job (``plan --github-drift-issue``): one pull request per account, on the
branch ``reconciler/drift/<account>``, whose diff is ``export --update`` of the drifted values.

- The account drifted: its file is refreshed as ``export --update`` would (nothing is written to the
  checkout), committed on the run's commit, the branch force-updated (only when the content or the base
  moved), the pull request opened or updated.
- The account is in sync: its pull request, if one is still open, is closed and its branch deleted (only
  a branch that is ours: our open pull request comes from it, or its tip is our commit).
- Its file is locked by another open pull request (issue 28's plan locks), or its export failed: the branch
  is left as it is, the drift issue says why, and an open pull request of ours is marked out of date; the
  next run tries again.
- Someone else's open pull request comes from the branch, or its tip is someone else's commit and no open
  pull request of ours comes from it: it is theirs, never rewritten nor deleted.

What was done for each account is a sentence of the drift issue. A failure for one account (its export, the
API) is that account's sentence, never the end of the drift job: the issue must still be posted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.cli.export import invalid_issues, refresh
from reconciler.cli.github import run_url
from reconciler.cli.options import RunOptions
from reconciler.config.drift import drift_of
from reconciler.config.loaded import LoadedConfig
from reconciler.core.plan import AccountPlan
from reconciler.encode import markdown as md
from reconciler.errors import ReconcilerError, RequestFailedError
from reconciler.integrations import accept_words as words
from reconciler.integrations.github import Actions, id_of
from reconciler.integrations.locked import files_locked_by_other_prs
from reconciler.integrations.pulls import Pulls, Tip
from reconciler.providers.exporter import ExportRequest
from reconciler.redaction import redact
from reconciler.yamledit.result import UpdateResult

BRANCH_PREFIX = "reconciler/drift/"


@dataclass(frozen=True)
class Draft:
    """One ``drift: accept`` account: its plan, its file in the repository, the refreshed file (None when
    in sync), or why no pull request can be made."""

    plan: AccountPlan
    path: str
    result: UpdateResult | None = None
    problem: str = ""


def branch_for(plan: AccountPlan) -> str:
    """``reconciler/drift/abtasty-41902``: a valid branch name for any account id (an id that had to be
    changed to make one gets a short digest of the original, so two ids never share a branch)."""
    raw = f"{plan.provider}-{plan.account}"
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:60] or "account"
    if slug != raw:
        slug += "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return BRANCH_PREFIX + slug


def repo_path(path: str, env: Mapping[str, str]) -> str | None:
    """``path`` relative to the repository's checkout (``GITHUB_WORKSPACE``, else the working directory),
    as git names it; None when the file is outside it."""
    root = Path(env.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    try:
        return posixpath.normpath(Path(path).resolve().relative_to(root).as_posix())
    except ValueError:
        return None


async def drafts(
    configs: Sequence[LoadedConfig], plans: Sequence[AccountPlan], overlay: Mapping[str, str] | None,
    options: RunOptions,
) -> list[Draft]:  # fmt: skip
    """The refreshed file of every drifted ``drift: accept`` account (and the in-sync ones, to close)."""
    by_path = {p.path: p for p in plans}
    out = []
    for loaded in configs:
        plan = by_path.get(loaded.path)
        if plan is None or drift_of(loaded.config) != "accept":
            continue
        path = repo_path(loaded.path, os.environ)
        if path is None:
            out.append(
                Draft(plan, loaded.path, problem="the file is outside the checkout (GITHUB_WORKSPACE)")
            )
        elif plan.changes:
            out.append(await _draft(loaded, plan, path, overlay, options))
        else:
            out.append(Draft(plan, path))
    return out


async def _draft(
    loaded: LoadedConfig, plan: AccountPlan, path: str, overlay: Mapping[str, str] | None, options: RunOptions
) -> Draft:
    try:
        result = await refresh(loaded, ExportRequest(), overlay, options.allow_hosts, options.parallelism)
    except ReconcilerError as err:
        return Draft(plan, path, problem=f"export --update failed: {redact(str(err))}")
    if result.changed and invalid_issues(result.path, result.new_text):  # a bug of ours: never proposed
        return Draft(plan, path, problem="export --update made a file validate would refuse (a bug)")
    if _adds_a_secret(result.old_text, result.new_text):
        # a live value that is a credential must not be committed to the repository
        return Draft(plan, path, problem="the refreshed file would hold a secret: edit it by hand")
    return Draft(plan, path, dataclasses.replace(result, path=path))


def _adds_a_secret(old: str, new: str) -> bool:
    """Whether a line the refresh adds holds something the redactor masks. Line by line, so a file that
    already held a masked shape (a token in a test's code, say) does not let a new one through."""
    before = set(old.splitlines())
    return any(redact(line) != line for line in new.splitlines() if line not in before)


async def publish(found: Sequence[Draft], actions: Actions, env: Mapping[str, str]) -> dict[str, str]:
    """Open, update or close each account's pull request: ``{plan path: what was done}`` (Markdown)."""
    if not found:
        return {}
    said: dict[str, str] = {}
    async with actions.client() as client:
        pulls = Pulls(client, actions.repository, actions.bot)
        try:
            locked, base = await _context(pulls, actions, env)
        except ReconcilerError as err:  # unknown locks are never taken for none: nothing is proposed
            why = (
                "not accepted: the repository's locks and branches cannot be read "
                f"({md.code(redact(str(err)))}); the drift job's token needs `contents: write` and "
                "`pull-requests: write`"
            )
            return {d.plan.path: why for d in found if d.result is not None or d.problem}
        for draft in found:
            try:
                done = await _one(pulls, draft, locked, base, actions, env)
            except ReconcilerError as err:
                done = f"the pull request could not be updated: {md.code(redact(str(err)))}"
            if done:
                said[draft.plan.path] = done
    return said


async def _context(pulls: Pulls, actions: Actions, env: Mapping[str, str]) -> tuple[dict[str, int], str]:
    """The files other pull requests lock, and the branch the pull requests go into (the one this run is
    on, else the repository's default)."""
    if not actions.sha:
        raise ReconcilerError("GITHUB_SHA is not set: a drift pull request is a commit on the run's commit")
    locked = await files_locked_by_other_prs(pulls)
    ref = env.get("GITHUB_REF", "")
    base = env.get("GITHUB_REF_NAME") if ref.startswith("refs/heads/") else None
    return locked, base or await pulls.default_branch()


async def _one(
    pulls: Pulls, draft: Draft, locked: Mapping[str, int], base: str, actions: Actions, env: Mapping[str, str]
) -> str:
    branch = branch_for(draft.plan)
    opened = await pulls.from_branch(branch)
    found = next((p for p in opened if pulls.ours(p)), None)
    own = id_of(found, "number") if found else None
    # Anyone can push a branch of that name. It is ours to rewrite or delete only while no one else's open
    # pull request comes from it, and while our open pull request does, or its tip is a commit of ours (a
    # merged pull request's branch left behind, or one whose pull request could not be opened).
    theirs = next((id_of(p, "number") for p in opened if not pulls.ours(p)), None)
    tip = await pulls.tip(branch)
    ours = theirs is None and (
        tip is None or own is not None or tip.message.startswith(words.title(draft.plan))
    )
    if draft.result is None and not draft.problem:
        if own is not None:
            await pulls.update(own, state="closed")
        if ours and tip is not None:
            await pulls.delete_branch(branch)
        return f"in sync again: closed #{own}" if own is not None else ""
    if draft.problem or draft.result is None:
        said = f"not accepted: {md.code(draft.problem)}"
        return said + await _stale(pulls, found, draft.problem, actions, env)
    if not ours:
        if theirs is not None:
            who, why = f"#{theirs}, not opened by the drift job, comes from", f"{branch} is used by #{theirs}"
        else:
            who, why = "commits the drift job did not make are on", f"{branch} holds commits of someone else"
        said = (
            f"not accepted: {who} its branch {md.code(branch)}; close it (or rename the branch) and the next "
            "drift run opens one"
        )
        return said + await _stale(pulls, found, why, actions, env)
    holder = next((pr for path, pr in locked.items() if path == draft.path and pr != own), None)
    if holder is not None:
        said = (
            f"not accepted now: {md.code(draft.path)} is locked by #{holder}, which plans a change to it; "
            "once that pull request merges or closes, the next drift run opens this one"
        )
        return said + await _stale(pulls, found, f"{draft.path} is locked by #{holder}", actions, env)
    if not draft.result.changed:
        if own is not None:  # its values are an earlier drift's: merged now, they would undo the account's
            await pulls.update(own, state="closed")
        closed = f" (closed #{own}, which held an earlier drift)" if own is not None else ""
        lines = draft.result.report(written=False)
        manual = [
            md.code(line, limit=300)
            for line, f in zip(lines, draft.result.findings, strict=True)
            if f.kind in ("manual", "gone")
        ]
        more = f" and {len(manual) - 3} more" if len(manual) > 3 else ""
        edit = f": {'; '.join(manual[:3])}{more}" if manual else ""
        return f"not accepted: `export --update` writes no value for this drift{closed}; edit by hand{edit}"
    return await _propose(pulls, draft, draft.result, found, tip, branch, base, actions, env)


async def _stale(
    pulls: Pulls, found: Mapping[str, object] | None, why: str, actions: Actions, env: Mapping[str, str]
) -> str:
    """Our open pull request, if any, marked out of date: it holds an earlier run's values, and this run
    could not refresh them (it stays open: the drift it accepts may still be the one the account has)."""
    if found is None:
        return ""
    number = id_of(found, "number")
    when = words.Found(actions.sha, run_url(env), _now())
    await pulls.update(number, body=words.out_of_date(str(found.get("body") or ""), when, why))
    return f"; #{number} keeps an earlier run's values, marked out of date"


async def _propose(
    pulls: Pulls, draft: Draft, result: UpdateResult, found: Mapping[str, object] | None, tip: Tip | None,
    branch: str, base: str, actions: Actions, env: Mapping[str, str],
) -> str:  # fmt: skip
    title = words.title(draft.plan)
    tree = await pulls.tree_with(actions.sha, draft.path, result.new_text)
    if tip is None or tip.tree != tree or tip.parent != actions.sha:  # else the branch already says it
        await pulls.point(branch, actions.sha, tree, f"{title}\n\nexport --update of {draft.path}")
    lines = result.report(written=True)
    written = [line for line, f in zip(lines, result.findings, strict=True) if f.kind in ("changed", "added")]
    manual = [line for line, f in zip(lines, result.findings, strict=True) if f.kind in ("manual", "gone")]
    when = words.Found(actions.sha, run_url(env), _now())
    since = words.first_seen(str(found.get("body") or "")) if found else None
    text = words.body(draft.plan, draft.path, written, manual, when, since)
    if found is not None:
        number = id_of(found, "number")
        await pulls.update(number, title=title, body=text)
        return f"#{number} writes these values into the file (updated)"
    try:
        number = await pulls.open(branch, base, title, text)
    except RequestFailedError as err:
        if err.status != 422:
            raise
        return (
            f"not accepted: GitHub refused the pull request from {md.code(branch)} ({md.code(redact(err.detail))}); "
            "if one someone else opened exists, close it"
        )
    return f"#{number} writes these values into the file (opened)"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="minutes").replace("+00:00", "Z")
