"""``show``: a saved plan file, as text, JSON or Markdown (``terraform show`` for reconciler)."""

from __future__ import annotations

import click

from reconciler.cli.apply import _read_plan
from reconciler.cli.options import color, display_options, echo_plan
from reconciler.cli.plan import FORMAT_HELP
from reconciler.core.saved import read_plans
from reconciler.providers import registry
from reconciler.render import render_json, render_markdown, render_text


@click.command(
    epilog="\b\nEnvironment: NO_COLOR, FORCE_COLOR\n\n\b\nExit codes: 0 shown, 1 not a plan file "
    "(or a provider not installed)\n\n\b\nExample:\n  reconciler plan accounts/ -o plan.json && "
    "reconciler show plan.json --format markdown"
)
@display_options
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help=FORMAT_HELP,
)
def show(plan_file: str, fmt: str) -> None:
    """Print a saved plan (plan -o FILE) without touching any account: no credentials, no network."""
    plans = read_plans(_read_plan(plan_file), registry.kinds_of)
    if fmt == "json":
        click.echo(render_json(plans), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(plans), nl=False)
    else:
        echo_plan(render_text(plans, color=color()))
