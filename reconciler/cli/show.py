"""``show``: a saved plan file, as text, JSON or Markdown (``terraform show`` for reconciler)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli.merge import merge_options, run_merge
from reconciler.cli.options import color, display_options, echo_format, format_option
from reconciler.core.saved import read_plans
from reconciler.files import read_plan_file
from reconciler.providers import registry
from reconciler.render import Format, View


@click.command(
    epilog="\b\nEnvironment: NO_COLOR, FORCE_COLOR; for --merge's comments, GitHub Actions' (GITHUB_TOKEN, "
    "GITHUB_EVENT_PATH...) or GitLab CI's (GITLAB_TOKEN, CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID)"
    "\n\n\b\nExit codes: 0 shown, 1 not a plan file (or a provider not installed); with --merge, 1 a shard "
    "failed or a rail refuses, 2 changes pending (--detailed-exitcode only), 3 a bug (crash log)"
    "\n\n\b\nExample:\n  reconciler plan accounts/ -o plan.json && "
    "reconciler show plan.json --format markdown\n  reconciler show --merge plans/*.json --shards shards.json "
    "--github-comment"
)
@display_options
@click.argument("plan_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@format_option
@merge_options
def show(plan_files: tuple[str, ...], fmt: Format, merge: bool, **options: Any) -> None:
    """Print a saved plan (plan -o FILE) without touching any account: no credentials, no network."""
    if merge:
        run_merge(plan_files, fmt, View(color=color()), **options)
        return
    if len(plan_files) != 1:
        raise click.UsageError("give one plan file, or several with --merge")
    if not Path(plan_files[0]).is_file():  # as click.Path(exists=True) said before --merge took many
        raise click.BadParameter(f"File {plan_files[0]!r} does not exist.", param_hint="'PLAN_FILES...'")
    plans = read_plans(read_plan_file(plan_files[0]), registry.kinds_of)
    echo_format(plans, fmt)
