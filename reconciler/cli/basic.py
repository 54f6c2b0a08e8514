"""``validate`` and ``schema``: offline commands (no environment, no network)."""

from __future__ import annotations

import click

from reconciler.config import load_configs, summary


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check config files and directories offline: no environment, no network."""
    skipped: list[str] = []
    try:
        configs = load_configs(paths, skipped=skipped)
    finally:  # said even when the files read are invalid: a config may sit in a skipped directory
        for note in skipped:
            click.echo(f"skipped {note}", err=True)
    click.echo(summary(configs))


@click.command()
def schema() -> None:
    """Print the JSON Schema of the config language."""
    from reconciler.config.schema import render_schema

    click.echo(render_schema(), nl=False)
