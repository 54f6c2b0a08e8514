"""The command line: a click group over one lazy command table, and one error handler.

Exit codes: 0 ok, 1 user error (a ``ReconcilerError`` or a usage error, no traceback), 2 changes pending
(only ``plan --detailed-exitcode`` and ``export --update --check``), 3 a bug (the redacted traceback in a
crash log whose path is printed, and on stderr under ``-v`` / ``--verbose``), 130 on Ctrl-C.
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from reconciler import __version__
from reconciler.cli.errors import EXIT_OK, handle
from reconciler.errors import ReconcilerError

# Every command, by name: (module, attribute). Imported only when asked for, so `reconciler validate` never
# pays for httpx, starlette, uvicorn or the round-trip YAML machinery it does not use.
COMMANDS = {
    "validate": ("reconciler.cli.basic", "validate"),
    "schema": ("reconciler.cli.basic", "schema"),
    "plan": ("reconciler.cli.plan", "plan"),
    "apply": ("reconciler.cli.apply", "apply"),
    "export": ("reconciler.cli.export", "export"),
    "show": ("reconciler.cli.show", "show"),
    "sandbox": ("reconciler.sandbox.cli", "sandbox"),
    "watch": ("reconciler.cli.watch", "watch"),
}


class _Cli(click.Group):
    """The top-level group, whose commands come from ``COMMANDS`` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its first sentence in full: click cuts it to the terminal's width, which left
        "Make the accounts match the config: exactly the changes plan..." (it wraps instead here)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=_Cli,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Manage A/B-testing accounts like infrastructure: validate, plan, apply.

    Each command's --help names the environment variables it reads, its exit codes and an example.
    """


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and turn exceptions into an exit code (tests call this in-process)."""
    args = argv if argv is not None else sys.argv[1:]
    verbose = "-v" in args or "--verbose" in args
    try:
        code = cli.main(args=args, prog_name="reconciler", standalone_mode=False)
    except (ReconcilerError, click.ClickException, click.exceptions.Abort, KeyboardInterrupt) as err:
        return handle(err, verbose)
    except SystemExit as ex:  # sys.exit() from a command (plan --detailed-exitcode)
        return ex.code if isinstance(ex.code, int) else 1
    except click.exceptions.Exit as ex:
        return ex.exit_code
    except Exception as err:  # a bug: say so, keep the traceback for the report
        return handle(err, verbose)
    return code if isinstance(code, int) else EXIT_OK


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point."""
    sys.exit(run(argv))
