"""The command line: thin click commands over the engine.

Exit codes: 0 ok, 1 user error (a ``ReconcilerError`` or a usage error, no traceback), 2 changes pending
(only ``plan --detailed-exitcode``), 3 a bug (traceback shown under ``-v``).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import NoReturn

import click

from reconciler import __version__
from reconciler.config import load_configs, summary
from reconciler.config.schema import render_schema
from reconciler.errors import ConfigError, ReconcilerError

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_CHANGES = 2
EXIT_BUG = 3


class _Cli(click.Group):
    """The top-level group. ``sandbox`` and ``export`` are imported only when asked for: starlette, uvicorn
    and the round-trip YAML machinery cost about 0.1 s of start-up that ``plan`` and ``apply`` never need."""

    lazy = {
        "sandbox": ("reconciler.sandbox.cli", "sandbox"),
        "export": ("reconciler.export.command", "export"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attr = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Manage A/B-testing accounts like infrastructure: validate, plan, apply."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check config files and directories offline: no environment, no network."""
    click.echo(summary(load_configs(paths)))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the config language."""
    click.echo(render_schema(), nl=False)


def _report(err: ReconcilerError) -> None:
    if isinstance(err, ConfigError):  # one FILE:LINE:COL line each, as editors and CI annotators read them
        for issue in err.issues:
            click.echo(str(issue), err=True)
        count = len(err.issues)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
    else:
        click.echo(f"Error: {err}", err=True)


def _register_subcommands() -> None:
    # Imported here so that `reconciler --help` does not need every module to import cleanly.
    from reconciler.commands import apply, plan

    cli.add_command(plan)
    cli.add_command(apply)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and turn exceptions into an exit code (tests call this in-process)."""
    _register_subcommands()
    verbose = "-v" in (argv if argv is not None else sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
    except ReconcilerError as err:
        _report(err)
        return EXIT_USER_ERROR
    except SystemExit as ex:  # sys.exit() from a command (plan --detailed-exitcode)
        return ex.code if isinstance(ex.code, int) else EXIT_USER_ERROR
    except click.exceptions.Exit as ex:
        return ex.exit_code
    except click.ClickException as err:  # usage errors are user errors, never exit 2
        err.show()
        return EXIT_USER_ERROR
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Aborted.", err=True)
        return EXIT_USER_ERROR
    except Exception as err:  # a bug: say so, show the traceback only when asked
        click.echo(f"Internal error ({type(err).__name__}). This is a bug in reconciler.", err=True)
        if verbose:
            traceback.print_exc()
        else:
            click.echo("Run again with -v for the traceback.", err=True)
        return EXIT_BUG
    return code if isinstance(code, int) else EXIT_OK


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point."""
    sys.exit(run(argv))
