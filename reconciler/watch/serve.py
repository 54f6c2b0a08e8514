"""Run the watch: the checks, the notifications and the HTTP listener on one event loop, until a signal.

SIGTERM or SIGINT stops starting checks, lets the ones under way finish (a self-heal is never cut in the
middle), delivers the queued notifications (for at most 5 s) and exits 0; a second signal abandons the
checks under way. uvicorn's own signal handling is switched off: it would re-raise the signal after
shutting down, and the process would die of it instead of exiting 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from reconciler.audit import AuditLog
from reconciler.errors import ReconcilerError
from reconciler.redaction import is_loopback
from reconciler.statedirs import require_local_state
from reconciler.watch.checks import CheckSettings
from reconciler.watch.delivery import check_public_url
from reconciler.watch.guard import Access
from reconciler.watch.hooks import HookSecrets
from reconciler.watch.listener import AcceptEpisodes, ListenerLimits, protocol_class
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.notify import Notifier, Target
from reconciler.watch.reload import DEFAULT_SETTLE_S, ConfigSource
from reconciler.watch.scheduler import Watcher
from reconciler.watch.web import build_app

logger = logging.getLogger("reconciler.watch")
STARTUP_TIMEOUT_S = 30.0
# How long a stop waits for the requests being answered (uvicorn then cancels them). A body still arriving is
# not waited for at all (listener.py closes it); this bounds a handler that would hang.
SHUTDOWN_GRACE_S = 10


@dataclass(frozen=True)
class WatchOptions:
    """Everything ``reconciler watch`` was asked for."""

    paths: Sequence[str]
    interval: float
    listen: str
    env: Mapping[str, str]
    notify: Sequence[str] = ()
    self_heal: bool = False
    parallelism: int = 8
    sandbox_env: Mapping[str, str] | None = None
    allow_hosts: tuple[str, ...] = ()
    limits: ListenerLimits = field(default_factory=ListenerLimits)
    audit_log: str | None = None
    public_url: str | None = None  # the status page's address for notifications (--public-url)
    settle: float = DEFAULT_SETTLE_S  # --settle: how long the files must stay unchanged before a self-heal


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9464`` for IPv6; port 0 picks a free one)."""
    host, sep, port = listen.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ReconcilerError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:9464")
    return host, int(port)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ReconcilerError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the watch owns SIGTERM / SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run_watch(options: WatchOptions) -> int:
    """Check until a signal; 0 after a clean stop. User errors (bad config, an open non-loopback listener
    without the webhook secrets, a bad ``--notify`` URL) raise before anything starts."""
    host, port = parse_listen(options.listen)
    secrets = HookSecrets.from_env(options.env)
    missing = secrets.missing()
    if not is_loopback(host) and missing:
        raise ReconcilerError(
            f"--listen {options.listen} is reachable from other machines: set {' and '.join(missing)} first "
            "(the webhook routes must be authenticated), or listen on 127.0.0.1"
        )
    targets = [Target.parse(url) for url in options.notify]
    if options.self_heal:
        require_local_state(options.env)  # a heal needs both: refuse now, not at the first drift
    if options.audit_log is not None:
        with AuditLog(Path(options.audit_log), {}):  # an unwritable log stops watch before it starts
            pass
    check_public_url(options.public_url)
    source = ConfigSource(options.paths, options.env, options.settle)
    source.load()
    sock = _bind(host, port)
    try:
        asyncio.run(_main(options, source, targets, secrets, sock))
    finally:
        sock.close()
    return 0


async def _main(
    options: WatchOptions,
    source: ConfigSource,
    targets: list[Target],
    secrets: HookSecrets,
    sock: socket.socket,
) -> None:
    metrics = WatchMetrics()
    notifier = Notifier(
        targets, lambda ok: metrics.notifications.labels("delivered" if ok else "failed").inc()
    )
    settings = CheckSettings(
        options.env,
        options.sandbox_env,
        options.parallelism,
        options.self_heal,
        options.allow_hosts,
        Path(options.audit_log) if options.audit_log else None,
    )
    watcher = Watcher(source, settings, options.interval, metrics, notifier)
    metrics.follow(lambda: list(watcher.accounts.values()))  # every account's gauges from the first scrape
    notifier.follow(lambda: watcher.accounts, source.paths, options.public_url)  # each event's stamp
    server = _Server(
        _uvicorn_config(
            build_app(watcher, metrics, secrets, options.limits, Access.from_env(options.env)), options.limits
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await _started(server, serving)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    logger.info(
        f"listening on http://{shown}:{port}: {len(source.configs)} account(s), every {options.interval:g} s, "
        + ("self-heal" if options.self_heal else "detect only")
    )
    stop_delivery = asyncio.Event()
    delivering = asyncio.create_task(notifier.run(stop_delivery))
    with _signals(watcher):
        try:
            await watcher.run()
        finally:
            stop_delivery.set()
            await delivering
            server.should_exit = True
            await serving
    logger.info("stopped")


def _uvicorn_config(app: ASGIApp, limits: ListenerLimits) -> uvicorn.Config:
    """uvicorn's own bounds, and the h11 protocol with the cap and the header deadline (listener.py)."""
    episodes = AcceptEpisodes()
    episodes.install(asyncio.get_running_loop())
    cap = limits.connection_cap()
    if cap < limits.max_connections:
        logger.warning(f"at most {cap} connection(s): the file-descriptor limit leaves no room for more")
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http=protocol_class(limits, episodes),
        # The protocol's cap is the bound on connections; uvicorn's is a backstop on request tasks, which
        # may outlive their closed connection by a loop turn (an evicted body's task ends on the disconnect).
        limit_concurrency=2 * cap + 1,
        timeout_keep_alive=int(limits.keep_alive),
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        h11_max_incomplete_event_size=limits.max_header_bytes,
    )


async def _started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT_S):
        while not server.started:
            if serving.done():
                raise ReconcilerError("the HTTP listener did not start")
            await asyncio.sleep(0.01)


@contextlib.contextmanager
def _signals(watcher: Watcher) -> Iterator[None]:
    """First SIGTERM / SIGINT: stop after the checks under way; second: abandon them."""
    if threading.current_thread() is not threading.main_thread():
        yield  # embedded in a thread (tests): the caller stops the watcher itself
        return
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        if len(received) == 1:
            logger.info(f"{signal.Signals(signum).name}: finishing the checks under way, then stopping")
            watcher.stop()
        else:
            watcher.cancel()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        yield
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
