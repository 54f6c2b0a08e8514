"""The GitHub options of plan and apply: what is posted where, and when a run must fail.

- ``plan --github-comment``: the pull request's plan comment, created or updated in place; a failed plan
  updates it to say so (the run still fails); a plan too long for a comment is cut and points to the job
  summary, which gets the whole plan.
- ``plan --github-drift-issue``: one open issue while the accounts drift, closed once they are in sync.
- ``apply --github-reviewed``: the merge job applies only a plan whose digest is the one its pull request's
  comment showed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.core.plan import AccountPlan, plans_digest
from reconciler.encode import markdown as md
from reconciler.errors import ReconcilerError
from reconciler.integrations.github import (
    COMMENT_LIMIT,
    DRIFT_LABEL,
    DRIFT_LABEL_VARIABLE,
    DRIFT_MARKER,
    Actions,
    digest_tag,
    id_of,
)
from reconciler.integrations.words import render_comment, render_drift
from reconciler.redaction import redact
from reconciler.render import MARKDOWN_MARKER, total

_SUMMARY_LIMIT = 1_000_000  # GitHub's limit for a step summary is 1 MiB
_ERROR_LIMIT = 20_000


def run_url(env: Mapping[str, str]) -> str:
    parts = [env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return md.link_target(f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}") if all(parts) else ""


def _elsewhere(env: Mapping[str, str]) -> str:
    url = run_url(env)
    where = f"[this run's summary]({url})" if url else "this run's job summary"
    return f"The whole plan is in {where} and its `plan` artifact."


def write_step_summary(text: str, env: Mapping[str, str]) -> None:
    """Append ``text`` to the job summary, when the run has one."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(summary_text(text) + "\n")


_CUT_NOTE = (
    "\n\n**This summary was cut** at GitHub's 1 MiB limit: the whole plan is in this run's `plan` artifact."
)


def summary_text(text: str) -> str:
    """``text`` as it fits a step summary: GitHub's limit is in bytes, and a cut one says so at its end (a
    reviewer must not take a cut plan for the whole), after its last whole line."""
    data = text.encode()
    if len(data) <= _SUMMARY_LIMIT:
        return text
    room = _SUMMARY_LIMIT - len(_CUT_NOTE.encode())
    kept = data[:room].decode(errors="ignore")
    return kept[: kept.rfind("\n") + 1 or len(kept)] + _CUT_NOTE


def plan_comment(plans: Sequence[AccountPlan], actions: Actions, env: Mapping[str, str], force: bool) -> str:
    """The comment's body: what merging does next, the plan (cut to fit), the digest and the commit."""
    tag = digest_tag(plans_digest(plans), actions.head_sha)
    refused = any(v for p in plans for v in p.unsafe(force))
    footer = f"\n<sub>plan `{plans_digest(plans)}` for commit `{actions.head_sha[:12]}`</sub>\n{tag}\n"
    room = COMMENT_LIMIT - len(footer)
    body = render_comment(plans, refused=refused, run_url=run_url(env), limit=room, elsewhere=_elsewhere(env))
    return body + footer


def failure_comment(err: Exception, actions: Actions) -> str:
    """The comment's body when no plan could be made: the error, redacted, and the way on. A bug's own text
    is not published (it may quote anything): the job log and the crash log have it."""

    if isinstance(err, ReconcilerError):
        # Cut after redaction (a cut secret would no longer match); no backtick fence inside, so ours holds.
        text = redact(str(err))[:_ERROR_LIMIT].replace("```", "` ` `")
    else:
        text = f"reconciler hit a bug ({type(err).__name__}); the job's log says more"
    return (
        f"{MARKDOWN_MARKER}\n### reconciler plan failed\n\nNo plan could be made for commit "
        f"`{actions.head_sha[:12]}`; any plan shown here before is out of date.\n\n```\n{text}\n```\n\n"
        "Fix the cause and push again.\n"
    )


async def publish_plan(body: str, actions: Actions) -> str:
    """Create or update the pull request's plan comment; "created" or "updated"."""
    number = actions.pull_request
    if number is None:
        raise ReconcilerError(
            "--github-comment needs a pull_request event: the event payload names no pull request"
        )
    async with actions.client() as client:
        return await actions.github(client).upsert_comment(number, MARKDOWN_MARKER, body)


async def publish_drift(
    plans: Sequence[AccountPlan],
    actions: Actions,
    env: Mapping[str, str],
    accepted: Mapping[str, str] | None = None,
) -> str:
    """Open or update the drift issue while there are changes; close it once in sync. What was done.
    ``accepted``: what the drift job did for each ``drift: accept`` account (its pull request), by file."""
    changes = total(plans).total
    async with actions.client() as client:
        github = actions.github(client)
        found = await github.find_issue(DRIFT_MARKER)
        if not changes:
            if found is None:
                return "in sync"
            number = id_of(found, "number")
            await github.comment(
                number, f"In sync again at commit `{actions.sha[:12]}`. {run_url(env)}".strip()
            )
            await github.update_issue(number, state="closed", state_reason="completed")
            return f"closed #{number}"
        accounts = sum(1 for p in plans if p.changes)
        title = f"reconciler: drift in {accounts} account(s)"
        body = render_drift(
            plans,
            marker=DRIFT_MARKER,
            commit=actions.sha,
            run_url=run_url(env),
            limit=COMMENT_LIMIT,
            accepted=accepted or {},
        )
        if found is None:
            label = env.get(DRIFT_LABEL_VARIABLE) or DRIFT_LABEL
            return f"opened #{await github.create_issue(title, body, labels=[label])}"
        number = id_of(found, "number")
        await github.update_issue(number, title=title, body=body)
        return f"updated #{number}"


def actions_env() -> Actions:
    """The Actions environment of this process."""
    return Actions.from_env(os.environ)
