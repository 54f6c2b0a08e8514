"""``apply --github-reviewed``: the digests the merged pull request's plan comment shows, and the check of a
fresh plan against them. A comment of ``show --merge`` carries one digest per account, so each shard's apply
checks only its own accounts; a comment of ``plan --github-comment`` carries the digest of the whole plan.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.cli.github import check_reviewed
from reconciler.core.merge import Reviewed, check_accounts, read_reviewed
from reconciler.core.plan import DIGEST_HEX, AccountPlan
from reconciler.errors import PlanError
from reconciler.integrations.github import Actions
from reconciler.render import MARKDOWN_MARKER


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
    _refuse_short(reviewed)
    return reviewed


def _refuse_short(reviewed: Reviewed) -> None:
    """An older reconciler wrote 64-bit digests: too short to trust, and never equal to a fresh one anyway,
    so say so instead of reporting a changed plan."""
    digests = [reviewed.digest, *(reviewed.accounts or ())]
    if any(len(d) != DIGEST_HEX for d in digests):
        raise PlanError(
            f"the plan comment on pull request #{reviewed.number} carries a short digest (an older reconciler's "
            f"64-bit one; {DIGEST_HEX * 4}-bit digests are required): re-run its plan job, then apply"
        )


def check_reviewed_plan(reviewed: Reviewed) -> Callable[[list[AccountPlan]], None]:
    """The check apply runs on its fresh plans before anything is applied."""
    if reviewed.accounts is None:
        return check_reviewed(reviewed.number, reviewed.digest)
    refusal = check_accounts(reviewed)

    def check(plans: list[AccountPlan]) -> None:
        why = refusal(plans)
        if why:
            raise PlanError(
                f"{why} on pull request #{reviewed.number}: main moved or an account was changed by hand "
                "since. Re-run the plan on a pull request and merge it, or run the apply workflow by hand "
                "(workflow_dispatch) to apply what is there now"
            )

    return check
