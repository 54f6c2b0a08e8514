"""``validate`` and ``schema``: offline commands (no environment, no network)."""

from __future__ import annotations

import click

from reconciler.config import load_configs, summary


@click.command(
    epilog="\b\nEnvironment: none (${VAR} references are only checked for syntax)\n\n\b\nExit codes: 0 valid, "
    "1 problems found (each as FILE:LINE:COL), 3 a bug (crash log)\n\n\b\nExample:\n  reconciler validate accounts/"
)
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
    from reconciler.config.schema import render_schema

    click.echo(render_schema(), nl=False)
