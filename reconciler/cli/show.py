"""``show``: a saved plan file, as text, JSON or Markdown (``terraform show`` for reconciler)."""

from __future__ import annotations

import click

from reconciler.cli.options import display_options, echo_format, format_option
from reconciler.core.saved import read_plans
from reconciler.files import read_plan_file
from reconciler.providers import registry
from reconciler.render import Format


@click.command(
    epilog="\b\nEnvironment: NO_COLOR, FORCE_COLOR\n\n\b\nExit codes: 0 shown, 1 not a plan file "
    "(or a provider not installed)\n\n\b\nExample:\n  reconciler plan accounts/ -o plan.json && "
    "reconciler show plan.json --format markdown"
)
@display_options
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False))
@format_option
def show(plan_file: str, fmt: Format) -> None:
    """Print a saved plan (plan -o FILE) without touching any account: no credentials, no network."""
    plans = read_plans(read_plan_file(plan_file), registry.kinds_of)
    echo_format(plans, fmt)
