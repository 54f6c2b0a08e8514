"""The one error handler: every exception that leaves a command becomes a message and an exit code.

pre-commit's ``error_handler`` is the model: a user error is one clear message and exit 1; a bug is exit 3
with the traceback written, redacted, to a crash log whose path the message gives (and to stderr under
``-v``), so a report can be filed without a secret in it. A command never exits itself: an outcome with its
own code that is no error (changes pending, a declined prompt, a signal) is an ``Exit`` it raises.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path

import click

from reconciler import __version__
from reconciler.encode import terminal
from reconciler.errors import ConfigError, ReconcilerError

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_CHANGES = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Exit(Exception):
    """A command's outcome with its own exit code, already told to the user: nothing more is printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def handle(err: BaseException, verbose: bool) -> int:
    """Print what ``err`` means for the user and return the exit code."""
    if isinstance(err, Exit):
        return err.code
    if isinstance(err, ConfigError):  # one FILE:LINE:COL line each, as editors and CI annotators read them
        for issue in err.issues:
            click.echo(_redact(str(issue)), err=True)
        count = len(err.issues)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)
        return EXIT_USER_ERROR
    if isinstance(err, ReconcilerError):
        click.echo(f"Error: {_redact(str(err))}", err=True)
        return EXIT_USER_ERROR
    if isinstance(err, click.ClickException):  # usage errors are user errors, never exit 2
        err.show()
        return EXIT_USER_ERROR
    if isinstance(err, click.exceptions.Abort | KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    return _bug(err, verbose)


def _bug(err: BaseException, verbose: bool) -> int:
    from reconciler.build_info import TRACKER  # here: its subprocess import is no start-up cost

    text = _redact("".join(traceback.format_exception(err)))
    click.echo(f"Internal error ({type(err).__name__}). This is a bug in reconciler.", err=True)
    log = _write_crash_log(text)
    if log is not None:
        click.echo(
            f"The traceback is in {log}: attach it to a bug report at {TRACKER} (secrets are masked).",
            err=True,
        )
    else:
        click.echo(f"Report it at {TRACKER} with the traceback (-v).", err=True)
    if verbose:
        click.echo(text, err=True, nl=False)
    else:
        click.echo("Run again with -v for the traceback.", err=True)
    return EXIT_BUG


def crash_log_path() -> Path:
    """``$RECONCILER_CRASH_LOG``, else ``$XDG_CACHE_HOME/reconciler/crash.log`` (``~/.cache`` by default)."""
    explicit = os.environ.get("RECONCILER_CRASH_LOG")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "reconciler" / "crash.log"


def _write_crash_log(text: str) -> Path | None:
    path = crash_log_path()
    header = (
        f"### reconciler {__version__} crash at {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n"
        f"python {sys.version.split()[0]} on {sys.platform}; argv: {_redact(' '.join(sys.argv[1:]))}\n"
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(header + text + "\n")
    except OSError:
        return None  # a read-only home must not turn a bug report into a second crash
    return path


def _redact(text: str) -> str:
    """Redacted, and each line terminal-encoded: a message may quote a value with a newline or an escape."""
    # Imported on the first error: every command imports this handler, and `--help` and `--version`, which
    # report none, would otherwise load logging and hmac for the redactor (about 10 ms of their start-up).
    from reconciler.redaction import redact

    return "\n".join(terminal.text(line) for line in redact(text).split("\n"))
