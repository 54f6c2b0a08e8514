"""What plan, apply and export share: the options defined once (their values in ``ctx.obj``, as flask keeps
its ``ScriptInfo``), request logging, the embedded sandbox, progress and colour."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.core.plan import AccountPlan
from reconciler.redaction import RedactingFilter
from reconciler.render import FORMATS, Format, View

SANDBOX_STATE = Path(".reconciler/sandbox.json")
_LOG_HANDLER = "reconciler-cli"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RunOptions:
    """The shared options of one command run."""

    verbose: bool = False
    sandbox: bool = False
    parallelism: int = 8
    quiet: bool = False
    color: str = "auto"
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


def display_options(func: F) -> F:
    """``--color auto|always|never`` and ``-q/--quiet``, stored in ``ctx.obj``."""
    func = click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        expose_value=False,
        callback=_store("color"),
        help="Colour the plan: auto = on a terminal unless NO_COLOR is set (FORCE_COLOR forces it).",
    )(func)
    func = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_store("quiet"),
        help="No progress display and no heartbeat lines on stderr.",
    )(func)
    return func


def format_option(func: F) -> F:
    """``--format``, one of ``render.FORMATS`` (``plan`` and ``show``): the command gets the ``Format``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(FORMATS)),
        default=next(iter(FORMATS)),
        show_default=True,
        callback=lambda _ctx, _param, name: FORMATS[name],
        help=f"{'; '.join(f'{name}: {f.help}' for name, f in FORMATS.items())}.",
    )(func)


def progress(message: str) -> None:
    """A progress line on stderr, only for a person at a terminal (and not under --quiet)."""
    options = click.get_current_context().find_object(RunOptions)
    if sys.stderr.isatty() and not (options is not None and options.quiet):
        click.echo(message, err=True)


def color() -> bool:
    """Whether stdout gets colour: ``--color always|never`` wins; with ``auto``, NO_COLOR (any value) turns it
    off, FORCE_COLOR (a value other than empty or 0) turns it on, else only on a terminal."""
    options = click.get_current_context().find_object(RunOptions)
    mode = options.color if options is not None else "auto"
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return sys.stdout.isatty()


#: The variables every command that talks to an API reads (each provider's own are added by the registry).
COMMON_ENV = (
    "RECONCILER_DEADLINE, RECONCILER_REQUEST_DEADLINE (seconds), RECONCILER_CRASH_LOG, "
    "RECONCILER_STATE_DIR, NO_COLOR, FORCE_COLOR"
)


def epilog(*, env: str, codes: str, example: str) -> str:
    """The help's closing block: the environment read, the exit codes, one example (kept as written)."""
    return (
        f"\b\nEnvironment: {env}\n\n\b\nExit codes: {codes}, 130 interrupted (Ctrl-C), "
        f"3 a bug (crash log)\n\n\b\nExample:\n  {example}"
    )


#: Stands for ``provider_env()`` in an epilog: filled in by ``Documented`` when the help is shown.
PROVIDER_ENV = "{provider_env}"


class Documented(click.Command):
    """A command whose help names the installed providers' variables (``PROVIDER_ENV``), looked up only when
    the help is shown: that imports every provider, which a run of the command must not pay for."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        written = self.epilog
        if written:
            self.epilog = written.replace(PROVIDER_ENV, provider_env())
        try:
            super().format_epilog(ctx, formatter)
        finally:
            self.epilog = written


def provider_env() -> str:
    """The variables the installed providers read (for help texts): ``${VAR}`` defaults and URL overrides."""
    from reconciler.providers import registry

    names: list[str] = []
    for provider in registry.providers():
        names += list(provider.environment)
    return ", ".join(dict.fromkeys(names)) or "none"


def echo_format(plans: Sequence[AccountPlan], fmt: Format, idle: Collection[str] = frozenset()) -> None:
    """``plans`` on stdout in the ``--format`` asked for."""
    echo_plan(fmt.render(plans, View(color=color(), idle=idle)))


def echo_plan(text: str) -> None:
    """A rendered plan on stdout; its colour codes kept when ``color()`` asked for them (click strips them
    whenever stdout is not a terminal, which would make ``--color always`` and FORCE_COLOR do nothing)."""
    click.echo(text, nl=False, color=color())
