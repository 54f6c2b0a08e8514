"""``plan``: fetch, diff and show what apply would change."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path

import click

from reconciler.cli.drift_accept import Draft, drafts
from reconciler.cli.drift_accept import publish as publish_accepts
from reconciler.cli.errors import EXIT_CHANGES, Exit
from reconciler.cli.github import (
    actions_env,
    failure_comment,
    plan_comment,
    publish_drift,
    publish_plan,
    write_step_summary,
)
from reconciler.cli.options import (
    COMMON_ENV,
    PROVIDER_ENV,
    Documented,
    display_options,
    echo_format,
    epilog,
    format_option,
    progress,
    run_options,
    sandbox_env,
    shared_options,
)
from reconciler.cli.pr_lock import LockOutcome, lock_pull_request, locked_comment
from reconciler.cli.progress import Progress
from reconciler.config.loaded import LoadedConfig
from reconciler.config.windows import windows_report
from reconciler.core.plan import AccountPlan
from reconciler.encode import terminal
from reconciler.engine import Session, provider_for
from reconciler.files import check_output, write_atomic
from reconciler.integrations.github import Actions
from reconciler.loading import load_configs
from reconciler.redaction import redact
from reconciler.render import Format, render_json, render_markdown, total


@click.command(
    cls=Documented,
    epilog=epilog(
        env=f"{PROVIDER_ENV}, {COMMON_ENV}",
        codes="0 planned (with --detailed-exitcode: no changes), 1 a user error, 2 changes pending "
        "(--detailed-exitcode only)",
        example="reconciler plan accounts/ -o plan.json && reconciler show plan.json",
    ),
)
@shared_options
@display_options
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@format_option
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False), help="Save the plan (JSON) for `apply --plan FILE`."
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending, 0 when in sync.")
@click.option("--force", is_flag=True, help="Exit 0 although a forceable rail would refuse the apply.")
@click.option(
    "--github-comment",
    is_flag=True,
    help="Create or update this pull request's plan comment (GitHub Actions: GITHUB_TOKEN, GITHUB_EVENT_PATH...).",
)
@click.option(
    "--lock",
    is_flag=True,
    help="With --github-comment: lock each account the plan changes until this pull request merges or closes; "
    "an account another open pull request locked fails the check (docs/locking.md).",
)
@click.option(
    "--github-drift-issue",
    is_flag=True,
    help="Open or update one issue while the accounts drift; close it once they are in sync (GitHub Actions).",
)
def plan(
    paths: tuple[str, ...],
    fmt: Format,
    out: str | None,
    detailed_exitcode: bool,
    force: bool,
    github_comment: bool,
    lock: bool,
    github_drift_issue: bool,
) -> None:
    """Show what apply would change, without changing anything.

    Only the plan goes to stdout; progress and notes go to stderr. Exits 1 when a safety rail would refuse
    the apply (unless --force allows the forceable ones), so a pull request's check is red before the merge.
    """
    options = run_options()
    if lock and not github_comment:
        raise click.UsageError("--lock needs --github-comment: a lock belongs to the pull request planned")
    # The Actions environment is read first: a missing variable fails before any account is touched.
    actions = actions_env() if github_comment or github_drift_issue else None
    try:
        configs = load_configs(paths, env=os.environ)
        if out:  # before any request: a refused output should cost nothing
            check_output(Path(out), [c.path for c in configs])
        with sandbox_env(options.sandbox) as overlay, Progress(options.quiet) as shown:
            session = Session(
                configs, os.environ, options.parallelism, overlay, shown.observer, options.allow_hosts
            )
            plans = asyncio.run(session.plan())
            # drift: accept: each drifted account's file refreshed against the same accounts (issue 28)
            accepting = asyncio.run(drafts(configs, plans, overlay, options)) if github_drift_issue else []
        locks = lock_pull_request(plans, actions) if lock and actions is not None else None
        if locks is not None:
            plans = locks.annotate(plans)
    except Exception as err:
        if github_comment and actions is not None:
            _report_failure(err, actions)
        raise
    idle = {c.path for c in configs if manages_nothing(c, shown.reads(c.path))}
    _show(plans, fmt, idle, out)
    for line in windows_report(configs, plans, dt.datetime.now(dt.UTC)):
        click.echo(line, err=True)  # not a progress line: CI logs must show a freeze too
    if actions is not None:
        _report_to_github(plans, actions, github_comment, github_drift_issue, force, accepting, locks)
    if locks is not None:
        locks.raise_if_refused()
    for account in plans:
        account.raise_if_unsafe(force)
    if detailed_exitcode and total(plans).total:
        raise Exit(EXIT_CHANGES)


def _show(plans: list[AccountPlan], fmt: Format, idle: set[str], out: str | None) -> None:
    """The plan on stdout in ``fmt``, and saved to ``out`` (JSON) when asked."""
    echo_format(plans, fmt, idle)
    if out:
        write_atomic(Path(out), render_json(plans))
        progress(
            f"Plan saved to {out}: review it with `reconciler show {out}`, apply it with `reconciler apply --plan {out}`."
        )


def manages_nothing(loaded: LoadedConfig, reads: int) -> bool:
    """Whether a config declares nothing to manage: its provider counts zero of every kind it manages and
    the plan read nothing from the account (so "matches" would claim a comparison never made)."""
    provider = provider_for(loaded)
    counts = provider.inventory(loaded.config)
    nouns = provider.inventory_nouns
    return bool(nouns) and set(counts) == set(nouns) and not any(counts.values()) and reads == 0


def _report_to_github(
    plans: list[AccountPlan],
    actions: Actions,
    comment: bool,
    drift: bool,
    force: bool,
    accepting: list[Draft],
    locks: LockOutcome | None = None,
) -> None:
    write_step_summary(render_markdown(plans), os.environ)
    if comment:
        if locks is not None and locks.refused:
            body = locked_comment(plans, locks, actions.head_sha)
        else:
            body = plan_comment(plans, actions, os.environ, force)
        done = asyncio.run(publish_plan(body, actions))
        progress(f"Plan comment {done} on pull request #{actions.pull_request}.")
    if drift:
        accepted = asyncio.run(publish_accepts(accepting, actions, os.environ))
        for path, said in accepted.items():
            click.echo(f"Drift pull request for {terminal.text(path)}: {terminal.text(said)}.", err=True)
        done = asyncio.run(publish_drift(plans, actions, os.environ, accepted))
        click.echo(f"Drift issue: {done}.", err=True)


def _report_failure(err: Exception, actions: Actions) -> None:
    """Say in the pull request's comment that no plan could be made (its old plan is out of date). A failure
    to post is reported on stderr, never in place of the error that made the plan fail."""
    try:
        asyncio.run(publish_plan(failure_comment(err, actions), actions))
    except Exception as posting:  # the plan's own error is what the run must report
        click.echo(f"Could not update the plan comment: {redact(str(posting))}", err=True)
