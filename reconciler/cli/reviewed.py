"""``apply --github-reviewed`` / ``--gitlab-reviewed``: the digests the merged pull request's plan comment
(or the merged merge request's plan note) shows, and the check of a fresh plan against them. A comment or
note of ``show --merge`` carries one digest per account, so each shard's apply checks only its own accounts;
a comment of ``plan --github-comment`` carries the digest of the whole plan.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.core.merge import Reviewed, check_accounts, read_reviewed
from reconciler.core.plan import DIGEST_HEX, AccountPlan
from reconciler.errors import PlanError
from reconciler.integrations.github import Actions
from reconciler.integrations.gitlab import Merged, reviewed_note
from reconciler.integrations.words import CI
from reconciler.render import MARKDOWN_MARKER

# How each CI system names what was reviewed, what moved, and the way to apply without the check.
_WHERE: dict[CI, str] = {"github": "pull request #{n}", "gitlab": "merge request !{n}"}
_AGAIN: dict[CI, str] = {
    "github": (
        "main moved or an account was changed by hand since. Re-run the plan on a pull request and merge it, "
        "or run the apply workflow by hand (workflow_dispatch) to apply what is there now"
    ),
    "gitlab": (
        "the default branch moved or an account was changed by hand since. Re-run the plan on a merge request "
        "and merge it, or run `reconciler apply` by hand without --gitlab-reviewed to apply what is there now"
    ),
}


async def reviewed_plan(actions: Actions) -> Reviewed:
    """The pull request the pushed commit merged, and what its plan comment showed."""
    async with actions.client() as client:
        github = actions.github(client)
        number = await github.merged_pull(actions.sha)
        if number is None:
            raise PlanError(
                f"commit {actions.sha[:12]} is the merge of no pull request, so no plan of it was reviewed: "
                "merge through a pull request, or run the apply workflow by hand (workflow_dispatch)"
            )
        found = await github.find_comment(number, MARKDOWN_MARKER)
    reviewed = read_reviewed(number, str(found.get("body", ""))) if found else None
    if reviewed is None:
        raise PlanError(
            f"pull request #{number} has no plan comment with a digest: re-run its plan job, then apply"
        )
    _refuse_short(reviewed, "github")
    return reviewed


async def reviewed_note_plan(merged: Merged) -> Reviewed:
    """The merge request the pushed commit merged, and what its plan note showed, made at its last head."""
    request, body = await reviewed_note(merged, MARKDOWN_MARKER)
    if request is None:
        raise PlanError(
            f"commit {merged.commit[:12]} is the merge of no merge request into {merged.branch}, so no plan of it "
            "was reviewed: merge through a merge request, or run `reconciler apply` by hand without "
            "--gitlab-reviewed"
        )
    reviewed = read_reviewed(request.iid, body) if body else None
    if reviewed is None:
        raise PlanError(
            f"merge request !{request.iid} has no plan note with a digest: re-run its merge job "
            "(`show --merge ... --gitlab-comment`), then apply"
        )
    _refuse_short(reviewed, "gitlab")
    if reviewed.commit != request.head:
        raise PlanError(
            f"the plan note on merge request !{request.iid} was made at commit {reviewed.commit[:12] or '(none)'}, "
            f"not at its last head {request.head[:12]} (the last push's merge job did not write it): re-run that "
            "job, then apply"
        )
    return reviewed


def _refuse_short(reviewed: Reviewed, ci: CI) -> None:
    """An older reconciler wrote 64-bit digests: too short to trust, and never equal to a fresh one anyway,
    so say so instead of reporting a changed plan."""
    digests = [reviewed.digest, *(reviewed.accounts or ())]
    if any(len(d) != DIGEST_HEX for d in digests):
        what, job = ("plan comment", "plan job") if ci == "github" else ("plan note", "merge job")
        raise PlanError(
            f"the {what} on {_WHERE[ci].format(n=reviewed.number)} carries a short digest (an older "
            f"reconciler's 64-bit one; {DIGEST_HEX * 4}-bit digests are required): re-run its {job}, then apply"
        )


def check_reviewed_plan(reviewed: Reviewed, ci: CI = "github") -> Callable[[list[AccountPlan]], None]:
    """The check apply runs on its fresh plans before anything is applied."""
    refusal = check_accounts(reviewed)

    def check(plans: list[AccountPlan]) -> None:
        why = refusal(plans)
        if why:
            raise PlanError(f"{why} on {_WHERE[ci].format(n=reviewed.number)}: {_AGAIN[ci]}")

    return check
