"""``validate`` and ``schema``: offline commands (no environment, no network)."""

from __future__ import annotations

import os

import click

from reconciler.loading import load_configs, summary
from reconciler.providers import registry
from reconciler.providers.trust import allowed_hosts, check_hosts


@click.command(
    epilog="\b\nEnvironment: RECONCILER_ALLOW_HOSTS only (${VAR} references are only checked for syntax)\n\n"
    "\b\nExit codes: 0 valid, 1 problems found (each as FILE:LINE:COL), 3 a bug (crash log)\n\n\b\nExample:\n"
    "  reconciler validate accounts/"
)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--allow-host",
    "allow",
    multiple=True,
    metavar="HOST",
    help="A host a config's URL may name besides the vendor's documented ones (as for plan).",
)
def validate(paths: tuple[str, ...], allow: tuple[str, ...]) -> None:
    """Check config files and directories offline: no environment, no network."""
    skipped: list[str] = []
    try:
        configs = load_configs(paths, skipped=skipped)
    finally:  # said even when the files read are invalid: a config may sit in a skipped directory
        for note in skipped:
            click.echo(f"skipped {note}", err=True)
    # A URL pointing credentials at another host is caught here too, before a plan would send them there.
    allowed = allowed_hosts(os.environ, allow)
    for loaded in configs:
        provider = registry.get(loaded.provider)
        if provider is not None:
            check_hosts(loaded, provider, allowed)
    click.echo(summary(configs))


@click.command(
    epilog="\b\nEnvironment: none\n\n\b\nExit codes: 0 printed, 3 a bug (crash log)\n\n\b\nExample:\n"
    "  reconciler schema > schema/reconciler.schema.json"
)
@click.option("--plan", is_flag=True, help="The schema of plan files and `plan --format json` instead.")
def schema(plan: bool) -> None:
    """Print the JSON Schema of the config language (or, with --plan, of the JSON plan format)."""
    if plan:
        from importlib.resources import files

        # Kept as a file in the package: the plan format is a published contract, reviewed as such.
        click.echo(files("reconciler").joinpath("plan.schema.json").read_text(encoding="utf-8"), nl=False)
        return
    from reconciler.loading.schema import render_schema

    click.echo(render_schema(), nl=False)
