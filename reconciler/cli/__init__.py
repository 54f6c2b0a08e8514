"""The command line: a click group over one lazy command table, and one error handler.

Exit codes: 0 ok, 1 user error (a ``ReconcilerError`` or a usage error, no traceback), 2 changes pending
(only ``plan --detailed-exitcode`` and ``export --update --check``), 3 a bug (the redacted traceback in a
crash log whose path is printed, and on stderr under ``-v`` / ``--verbose``), 130 on Ctrl-C.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import NoReturn

import click

from reconciler import __version__, gcpolicy
from reconciler.cli.errors import EXIT_OK, Exit, handle
from reconciler.encode import actions
from reconciler.errors import ReconcilerError

# Every command, by name: (module, attribute, its first sentence). Imported only when run, so `reconciler
# validate` never pays for httpx, starlette or uvicorn, and `--help` imports no command at all: the sentence
# is kept here (a test checks it is still each command's own short help).
COMMANDS = {
    "accounts": (
        "reconciler.cli.accounts",
        "accounts",
        "List the account files as shards for a CI matrix, offline; an account or a credential is never split.",
    ),
    "apply": (
        "reconciler.cli.apply",
        "apply",
        "Make the accounts match the config: exactly the changes plan shows.",
    ),
    "export": (
        "reconciler.cli.export",
        "export",
        "Write a live account out as config, or refresh a config from it (--update).",
    ),
    "plan": ("reconciler.cli.plan", "plan", "Show what apply would change, without changing anything."),
    "sandbox": ("reconciler.sandbox.cli", "sandbox", "Run the local emulator of every provider's API."),
    "schema": (
        "reconciler.cli.basic",
        "schema",
        "Print the JSON Schema of the config language (or, with --plan, of the JSON plan format).",
    ),
    "show": (
        "reconciler.cli.show",
        "show",
        "Print a saved plan (plan -o FILE) without touching any account: no credentials, no network.",
    ),
    "unlock": (
        "reconciler.cli.unlock",
        "unlock",
        "Release a pull request's lock on ACCOUNT (its key as plans show it), or every lock of --pr N.",
    ),
    "validate": (
        "reconciler.cli.basic",
        "validate",
        "Check config files and directories offline: no environment, no network.",
    ),
    "watch": (
        "reconciler.cli.watch",
        "watch",
        "Check the accounts of PATHS every interval and at each webhook, until SIGTERM or Ctrl-C.",
    ),
}


class _Cli(click.Group):
    """The top-level group, whose commands come from ``COMMANDS`` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        if not isinstance(command, click.Command):  # looked up by name in the table: untyped until checked
            raise TypeError(f"{module}:{attr} is not a click command")
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """A misspelt command gets the did-you-mean keys and roles get (``aply``: ``apply``)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            from reconciler.core.suggest import did_you_mean

            hint = did_you_mean(name, COMMANDS) or f"; one of: {', '.join(sorted(COMMANDS))}"
            ctx.fail(f"No such command {name!r}{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its first sentence in full, from the table (click would import every command
        and cut the sentence to the terminal's width: "Make the accounts match the config: exactly...")."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in self.list_commands(ctx)])


@click.group(
    cls=_Cli,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _print_version(ctx) if value else None,
    help="Show the version and the commit it was built from, and exit.",
)
def cli() -> None:
    """Manage A/B-testing accounts like infrastructure: validate, plan, apply.

    Each command's --help names the environment variables it reads, its exit codes and an example.
    """


def _print_version(ctx: click.Context) -> None:
    from reconciler.build_info import version_line  # git is asked only here, never at start-up

    click.echo(version_line(__version__))
    ctx.exit()


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and turn exceptions into an exit code (tests call this in-process). In a GitHub Actions
    job, every line printed passes through the log encoder: none can be a workflow command (``::...``)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return _run(argv)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = actions.SafeStream(saved[0]), actions.SafeStream(saved[1])
    try:
        return _run(argv)
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved


def _run(argv: list[str] | None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    verbose = "-v" in args or "--verbose" in args
    try:
        code = cli.main(args=args, prog_name="reconciler", standalone_mode=False)
    except (Exit, ReconcilerError, click.ClickException, click.exceptions.Abort, KeyboardInterrupt) as err:
        return handle(err, verbose)
    except SystemExit as ex:  # our commands raise Exit; this is library code calling sys.exit()
        return ex.code if isinstance(ex.code, int) else 1
    except click.exceptions.Exit as ex:  # click's own (--version, --help) when it escapes main()
        return ex.exit_code
    except Exception as err:  # a bug: say so, keep the traceback for the report
        return handle(err, verbose)
    return code if isinstance(code, int) else EXIT_OK


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point (the collector's policy for a one-shot process: reconciler.gcpolicy)."""
    gcpolicy.start(sys.argv[1:] if argv is None else argv)
    code = run(argv)
    gcpolicy.exiting()
    sys.exit(code)
