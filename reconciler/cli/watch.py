"""``watch``: check the accounts continuously; webhooks, /metrics, a status page, notifications, self-heal."""

from __future__ import annotations

import logging
import os
import sys

import click

from reconciler.cli.options import (
    COMMON_ENV,
    PROVIDER_ENV,
    Documented,
    run_options,
    sandbox_env,
    shared_options,
)
from reconciler.redaction import RedactingFilter

_HANDLER = "reconciler-watch"


def _interval(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    from reconciler.watch import parse_duration

    try:
        return parse_duration(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def _size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    from reconciler.watch.listener import parse_size

    try:
        return parse_size(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def _log_to_stderr() -> None:
    """A service logs: one timestamped line per check, webhook and event, secrets redacted."""

    logger = logging.getLogger("reconciler.watch")
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # -v's handler on "reconciler" would print each line twice


def _epilog() -> str:
    # Written out rather than through options.epilog: a signal is how watch ends, so it exits 0, not 130.
    return (
        f"\b\nEnvironment: {PROVIDER_ENV}, RECONCILER_WEBHOOK_SECRET, RECONCILER_GITHUB_WEBHOOK_SECRET, "
        "RECONCILER_WATCH_TOKEN, "
        f"{COMMON_ENV}\n\n\b\nExit codes: 0 stopped by SIGTERM or SIGINT (after the checks under way), "
        "1 a user error before the start (config, options, webhook secrets), 3 a bug (crash log)\n\n\b\n"
        "Example:\n  reconciler watch accounts/ --interval 5m --notify slack+https://hooks.slack.com/services/..."
    )


@click.command(cls=Documented, epilog=_epilog())
@shared_options
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--interval",
    default="5m",
    show_default=True,
    callback=_interval,
    help="Time between checks of an account: seconds, or 90s, 5m, 1h (jittered; longer after errors).",
)
@click.option(
    "--listen",
    default="127.0.0.1:9464",
    show_default=True,
    help="HOST:PORT for /, /metrics, /healthz and /hooks/*; off loopback the webhook secrets are required.",
)
@click.option(
    "--notify",
    multiple=True,
    metavar="URL",
    help=(
        "POST drift and failure events here as JSON (slack+https://... for Slack's shape, "
        "teams+https://... for a Microsoft Teams Workflows webhook). Repeatable."
    ),
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The status page's address as people reach it (a proxy's), linked from every notification.",
)
@click.option(
    "--self-heal",
    is_flag=True,
    help="Apply drift (rails enforced, never forced) instead of only reporting it.",
)
@click.option(
    "--max-connections",
    default=64,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Connections served at once (also kept under the file-descriptor limit); more are refused.",
)
@click.option(
    "--request-timeout",
    default="10s",
    show_default=True,
    callback=_interval,
    help="Time a client has to send its request headers, and again its body; then it is disconnected.",
)
@click.option(
    "--max-body",
    default="1MiB",
    show_default=True,
    callback=_size,
    help="Largest webhook body (bytes, KiB, MiB); a larger one is refused before it is read (413).",
)
@click.option(
    "--settle",
    default="10s",
    show_default=True,
    callback=_interval,
    help="Self-heal waits until the config files have been unchanged this long (and two polls).",
)
@click.option(
    "--audit-log",
    metavar="FILE",
    help="Append one JSON line per change a self-heal attempts (as apply --audit-log writes them).",
)
def watch(
    paths: tuple[str, ...],
    interval: float,
    listen: str,
    notify: tuple[str, ...],
    public_url: str | None,
    self_heal: bool,
    max_connections: int,
    request_timeout: float,
    max_body: int,
    settle: float,
    audit_log: str | None,
) -> None:
    """Check the accounts of PATHS every interval and at each webhook, until SIGTERM or Ctrl-C.

    Serves a status page (/), Prometheus metrics (/metrics), /healthz, and the webhook receivers
    /hooks/github (X-Hub-Signature-256 with RECONCILER_GITHUB_WEBHOOK_SECRET) and /hooks/PROVIDER (the shared
    secret RECONCILER_WEBHOOK_SECRET in X-Reconciler-Token or ?token=). See docs/watch.md.
    """
    from reconciler.watch import WatchOptions, run_watch
    from reconciler.watch.listener import ListenerLimits

    options = run_options()
    _log_to_stderr()
    with sandbox_env(options.sandbox) as overlay:
        watch_options = WatchOptions(
            paths,
            interval,
            listen,
            os.environ,
            notify,
            self_heal,
            options.parallelism,
            overlay,
            options.allow_hosts,
            ListenerLimits(max_connections, request_timeout, request_timeout, max_body),
            audit_log,
            public_url,
            settle,
        )
        run_watch(watch_options)
