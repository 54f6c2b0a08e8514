"""``plan``: fetch, diff and show what apply would change."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_CHANGES
from reconciler.cli.github import (
    actions_env,
    failure_comment,
    plan_comment,
    publish_drift,
    publish_plan,
    write_step_summary,
)
from reconciler.cli.options import color, progress, run_options, sandbox_env, shared_options
from reconciler.config import load_configs
from reconciler.core.plan import AccountPlan
from reconciler.engine import Session
from reconciler.errors import ReconcilerError
from reconciler.files import write_atomic
from reconciler.integrations.github import Actions
from reconciler.render import render_json, render_markdown, render_text, total


@click.command()
@shared_options
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending, 0 when in sync.")
@click.option("--force", is_flag=True, help="Exit 0 although a forceable rail would refuse the apply.")
@click.option(
    "--github-comment",
    is_flag=True,
    help="Create or update this pull request's plan comment (GitHub Actions: GITHUB_TOKEN, GITHUB_EVENT_PATH...).",
)
@click.option(
    "--github-drift-issue",
    is_flag=True,
    help="Open or update one issue while the accounts drift; close it once they are in sync (GitHub Actions).",
)
def plan(
    paths: tuple[str, ...],
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
    force: bool,
    github_comment: bool,
    github_drift_issue: bool,
) -> None:
    """Show what apply would change, without changing anything.

    Exits 1 when a safety rail would refuse the apply (unless --force allows the forceable ones), so a pull
    request's check is red before the merge, not after.
    """
    options = run_options()
    actions = (
        actions_env() if github_comment or github_drift_issue else None
    )  # a missing variable fails first
    try:
        configs = load_configs(paths, env=os.environ)
        progress(f"Planning {len(configs)} account(s)...")
        with sandbox_env(options.sandbox) as overlay:
            session = Session(configs, os.environ, options.parallelism, overlay)
            plans = asyncio.run(session.plan())
    except ReconcilerError as err:
        if github_comment and actions is not None:
            asyncio.run(publish_plan(failure_comment(err, actions), actions))
        raise
    if fmt == "json":
        click.echo(render_json(plans), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(plans), nl=False)
    else:
        click.echo(render_text(plans, color=color()), nl=False)
    if out:
        write_atomic(Path(out), render_json(plans))
        progress(f"Plan saved to {out}: apply it with `reconciler apply --plan {out} {' '.join(paths)}`.")
    if actions is not None:
        _report_to_github(plans, actions, github_comment, github_drift_issue, force)
    for account in plans:
        account.raise_if_unsafe(force)
    if detailed_exitcode and total(plans).total:
        sys.exit(EXIT_CHANGES)


def _report_to_github(
    plans: list[AccountPlan], actions: Actions, comment: bool, drift: bool, force: bool
) -> None:
    write_step_summary(render_markdown(plans), os.environ)
    if comment:
        done = asyncio.run(publish_plan(plan_comment(plans, actions, os.environ, force), actions))
        progress(f"Plan comment {done} on pull request #{actions.pull_request}.")
    if drift:
        click.echo(f"Drift issue: {asyncio.run(publish_drift(plans, actions, os.environ))}.", err=True)
