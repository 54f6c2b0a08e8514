"""What plan, apply and export share: the options defined once (their values in ``ctx.obj``, as flask keeps
its ``ScriptInfo``), request logging, the embedded sandbox, progress and colour."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

SANDBOX_STATE = Path(".reconciler/sandbox.json")
_LOG_HANDLER = "reconciler-cli"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RunOptions:
    """The shared options of one command run."""

    verbose: bool = False
    sandbox: bool = False
    parallelism: int = 8
    allow_hosts: tuple[str, ...] = ()


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        setattr(ctx.ensure_object(RunOptions), name, value)
        return value

    return callback


def shared_options(func: F) -> F:
    """``-v/--verbose``, ``--sandbox``, ``--parallelism`` and ``--allow-host``, stored in ``ctx.obj`` (a
    ``RunOptions``)."""
    func = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_store("verbose"),
        help="Log every request and a closing count (and a bug's traceback).",
    )(func)
    func = click.option(
        "--sandbox",
        is_flag=True,
        expose_value=False,
        callback=_store("sandbox"),
        help=f"Run against the embedded sandbox (state in {SANDBOX_STATE}).",
    )(func)
    func = click.option(
        "--parallelism",
        default=8,
        show_default=True,
        type=click.IntRange(1, 64),
        expose_value=False,
        callback=_store("parallelism"),
        help="Requests in flight.",
    )(func)
    func = click.option(
        "--allow-host",
        multiple=True,
        expose_value=False,
        callback=_store("allow_hosts"),
        help="Let a config's URLs name HOST, beyond the provider's documented hosts (repeatable; also "
        "RECONCILER_ALLOW_HOSTS).",
    )(func)
    return func


def run_options() -> RunOptions:
    """This run's shared options (logging set up as ``-v`` asks)."""
    options = click.get_current_context().ensure_object(RunOptions)
    setup_logging(options.verbose)
    return options


def setup_logging(verbose: bool) -> None:
    """``-v``: one line per request on stderr, secrets redacted by the handler's filter."""
    logger = logging.getLogger("reconciler")
    for old in [h for h in logger.handlers if h.get_name() == _LOG_HANDLER]:
        # A previous -v run in this process (tests): its stderr may be gone, and a run without -v must
        # not keep logging through it.
        logger.removeHandler(old)
    if not verbose:
        return
    from reconciler.http import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_LOG_HANDLER)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it repeats our own per-request line


@contextmanager
def sandbox_env(enabled: bool) -> Iterator[Mapping[str, str] | None]:
    """With --sandbox: a sandbox on a loopback port whose state persists across runs, as the variables that
    point every provider at it (it serves every provider's API). None without --sandbox."""
    if not enabled:
        yield None
        return
    from reconciler.sandbox.server import serve_in_thread

    SANDBOX_STATE.parent.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(seed="demo", state_path=SANDBOX_STATE) as server:
        yield server.environment()


def progress(message: str) -> None:
    """A progress line on stderr, only for a person at a terminal."""
    if sys.stderr.isatty():
        click.echo(message, err=True)


def color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
