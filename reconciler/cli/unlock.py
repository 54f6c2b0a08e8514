"""``unlock``: a maintainer releases a pull request's lock on an account, or every lock of one pull request
(docs/locking.md). The locks are refs of the GitHub repository; this needs a token that may delete them."""

from __future__ import annotations

import asyncio
import os

import click

from reconciler.cli.options import epilog
from reconciler.cli.pr_lock import release_locks
from reconciler.encode import terminal
from reconciler.errors import ReconcilerError
from reconciler.redaction import redact


@click.command(
    epilog=epilog(
        env="GITHUB_API_URL (https://api.github.com), GITHUB_REPOSITORY (owner/name), GITHUB_TOKEN (contents: "
        "write)",
        codes="0 released (or, with --pr, nothing held), 1 no such lock, GitHub refused, or a usage error",
        example='reconciler unlock "abtasty account 41902"   or   reconciler unlock --pr 7',
    )
)
@click.argument("account", required=False)
@click.option("--pr", type=int, metavar="N", help="Release every lock pull request N holds.")
def unlock(account: str | None, pr: int | None) -> None:
    """Release a pull request's lock on ACCOUNT (its key as plans show it), or every lock of --pr N.

    ACCOUNT may be the last word of the key ("41902") when only one locked account ends with it. The pull
    request's next plan takes the lock again if the account is still free: release a lock whose pull request
    is abandoned, or to let another one go first.
    """
    if (account is None) == (pr is None):
        raise click.UsageError("give the ACCOUNT whose lock to release, or --pr N (not both)")
    released = asyncio.run(release_locks(os.environ, account, pr))
    for lock in released:
        click.echo(
            terminal.text(
                redact(
                    f"Released the lock of #{lock.pr} on {lock.account} ({lock.path}, plan at {lock.sha[:12]})."
                )
            )
        )
    if not released and pr is None:  # listed, then changed before the delete: nothing was removed
        raise ReconcilerError(
            f"the lock on {account!r} changed while it was being released: run unlock again"
        )
    if not released:
        click.echo(f"Pull request #{pr} holds no lock.")
