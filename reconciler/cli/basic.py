"""``validate`` and ``schema``: offline commands (no environment, no network)."""

from __future__ import annotations

import click

from reconciler.config import load_configs, summary


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check config files and directories offline: no environment, no network."""
    click.echo(summary(load_configs(paths)))


@click.command()
def schema() -> None:
    """Print the JSON Schema of the config language."""
    from reconciler.config.schema import render_schema

    click.echo(render_schema(), nl=False)
