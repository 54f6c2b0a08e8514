"""``plan``: fetch, diff and show what apply would change."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_CHANGES
from reconciler.cli.options import color, progress, run_options, sandbox_env, shared_options
from reconciler.config import load_configs
from reconciler.engine import Session
from reconciler.files import check_output, write_atomic
from reconciler.render import render_json, render_markdown, render_text, total


@click.command()
@shared_options
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending, 0 when in sync.")
def plan(paths: tuple[str, ...], fmt: str, out: str | None, detailed_exitcode: bool) -> None:
    """Show what apply would change, without changing anything."""
    options = run_options()
    configs = load_configs(paths, env=os.environ)
    if out:  # before any request: a refused output should cost nothing
        check_output(Path(out), [c.path for c in configs])
    progress(f"Planning {len(configs)} account(s)...")
    with sandbox_env(options.sandbox) as overlay:
        session = Session(configs, os.environ, options.parallelism, overlay, options.allow_hosts)
        plans = asyncio.run(session.plan())
    if fmt == "json":
        click.echo(render_json(plans), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(plans), nl=False)
    else:
        click.echo(render_text(plans, color=color()), nl=False)
    if out:
        write_atomic(Path(out), render_json(plans))
        progress(f"Plan saved to {out}: apply it with `reconciler apply --plan {out} {' '.join(paths)}`.")
    if detailed_exitcode and total(plans).total:
        sys.exit(EXIT_CHANGES)
