"""``apply``: plan (or check a saved plan), confirm, make exactly those changes, report."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reconciler.cli.options import color, progress, run_options, sandbox_env, shared_options
from reconciler.config import load_configs
from reconciler.core.plan import AccountPlan
from reconciler.core.schedule import ApplyResult, Status
from reconciler.engine import Session
from reconciler.errors import ApplyError, PlanError, ReconcilerError
from reconciler.render import render_text


def _confirm(auto_approve: bool) -> Callable[[list[AccountPlan]], bool]:
    def confirm(plans: list[AccountPlan]) -> bool:
        click.echo(render_text(plans, color=color()), nl=False)
        if auto_approve:
            return True
        answer = click.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False)
        if answer != "yes":
            click.echo("Apply cancelled: nothing was changed.")
            return False
        return True

    return confirm


def _report(results: list[ApplyResult]) -> None:
    applied = sum(r.count(Status.APPLIED) for r in results)
    failed = sum(r.count(Status.FAILED) for r in results)
    skipped = sum(r.count(Status.SKIPPED) for r in results)
    for result in results:
        for outcome in result.outcomes:
            if outcome.status in (Status.FAILED, Status.SKIPPED):
                click.echo(f"  {outcome.status}: {outcome.change.resource}: {outcome.reason}", err=True)
    click.echo(f"Apply complete: {applied} applied, {failed} failed, {skipped} skipped.")
    if failed or skipped:
        raise ApplyError(
            f"{failed} change(s) failed and {skipped} were skipped; fix the cause and run apply again"
        )


@click.command()
@shared_options
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--auto-approve", is_flag=True, help="Apply without asking (CI).")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), help="Apply a saved plan.")
@click.option("--force", is_flag=True, help="Override max_delete_fraction / max_pause_fraction for this run.")
def apply(paths: tuple[str, ...], auto_approve: bool, plan_file: str | None, force: bool) -> None:
    """Make the accounts match the config: exactly the changes plan shows."""
    options = run_options()
    if not auto_approve and not sys.stdin.isatty():
        raise ReconcilerError(
            "refusing to apply without confirmation: standard input is not a terminal. "
            "Review the plan and pass --auto-approve (in CI: on the merge job only)"
        )
    configs = load_configs(paths, env=os.environ)
    saved = _read_plan(plan_file) if plan_file else None
    with sandbox_env(options.sandbox) as overlay:
        session = Session(configs, os.environ, options.parallelism, overlay, options.allow_hosts)
        results = asyncio.run(
            session.apply(force=force, saved=saved, confirm=_confirm(auto_approve), on_event=progress)
        )
    if not any(r.plan.changes for r in results):
        click.echo(render_text([r.plan for r in results], color=color()), nl=False)
    elif any(r.outcomes for r in results):
        _report(results)


def _read_plan(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise PlanError(
            f"{path}: not a reconciler plan file ({err.__class__.__name__}): run plan --out again"
        ) from None
    if not isinstance(data, dict) or "accounts" not in data:
        raise PlanError(f"{path}: not a reconciler plan file: run plan --out again")
    return data
