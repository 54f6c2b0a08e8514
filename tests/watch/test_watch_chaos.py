"""Soak under abuse (issue 26's acceptance): ``watch --self-heal`` against a faulty sandbox while a webhook
flood, slowloris connections, slow bodies and oversized bodies hit the listener and the account drifts
behind its back. Checks keep their interval: an AB Tasty account the Taplytics flood never wakes makes at
least half the checks its interval makes due (so they are the interval's, not the flood's); resident memory
stays flat (start vs end, a generous margin), every change a self-heal applied is in the audit log, and the
watch stops with 0 (never 3, no traceback). The default run has the short variant; ``make soak`` the long
one."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import (
    TAPLYTICS_CANARY,
    WEBHOOK_SECRET,
    Watch,
    abtasty_config,
    sandbox_env,
    taplytics_config,
    wait_for,
    watching,
)

pytestmark = pytest.mark.slow

TAP = {"provider": "taplytics", "account": "my-app"}
QUIET = {"provider": "abtasty", "account": "41902"}  # no webhook of the flood wakes it
INTERVAL_S = 0.3
MAX_GROWTH_KIB = 24 * 1024  # generous: the point is "flat", not a figure (the soak of checks alone: 5 MiB)
APPLIED = "self-heal taplytics my-app: applied: "


def _forever(stop: threading.Event, every: float, action: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError, httpx.HTTPError):  # refused and dropped: that is the point
                action()
            stop.wait(every)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class Abuse:
    """The attackers and the drift, each in its own thread, until ``stop``."""

    def __init__(self, watch: Watch, server: SandboxServer) -> None:
        address = urlsplit(watch.url)
        self.where = (address.hostname or "", address.port or 0)
        self.watch, self.server = watch, server
        self.slow: list[socket.socket] = []
        self.bodies: list[socket.socket] = []
        self.stop = threading.Event()
        self.client = httpx.Client(timeout=10)
        self.names = itertools.count()
        self.threads = [
            _forever(self.stop, 0.02, self.webhook),
            _forever(self.stop, 0.05, self.slowloris),
            _forever(self.stop, 0.05, self.slow_body),
            _forever(self.stop, 0.1, self.oversized),
            _forever(self.stop, 0.7, self.drift),
        ]

    def webhook(self) -> None:
        self.client.post(f"{self.watch.url}/hooks/taplytics?token={WEBHOOK_SECRET}", json={"event": "x"})

    def slowloris(self) -> None:
        self.slow = [s for s in self.slow if s.fileno() != -1]
        if len(self.slow) < 40:
            sock = socket.create_connection(self.where, timeout=5)
            sock.sendall(b"POST /hooks/taplytics HTTP/1.1\r\nHost: watch\r\n")
            self.slow.append(sock)
        for sock in list(self.slow):
            try:
                sock.sendall(b"X-Slow: 1\r\n")  # a header now and then, never the end
            except OSError:
                sock.close()

    def slow_body(self) -> None:
        """Headers complete and authenticated (a valid token), then a body that trickles and never ends."""
        self.bodies = [s for s in self.bodies if s.fileno() != -1]
        if len(self.bodies) < 40:
            sock = socket.create_connection(self.where, timeout=5)
            head = f"POST /hooks/taplytics?token={WEBHOOK_SECRET} HTTP/1.1\r\nHost: watch\r\n"
            sock.sendall(head.encode() + b"Content-Length: 100000\r\n\r\n")
            self.bodies.append(sock)
        for sock in list(self.bodies):
            try:
                sock.sendall(b" ")
            except OSError:
                sock.close()

    def oversized(self) -> None:
        with socket.create_connection(self.where, timeout=5) as sock:
            sock.sendall(b"POST /hooks/github HTTP/1.1\r\nHost: watch\r\nContent-Length: 50000000\r\n\r\n")
            sock.recv(1024)
        self.client.post(f"{self.watch.url}/hooks/taplytics", content=(b"x" * 65536 for _ in range(40)))

    def drift(self) -> None:
        name = f"Drifter {next(self.names)}"
        headers = {"x-access-token": TAPLYTICS_CANARY}
        self.client.post(f"{self.server.url}/v2/users/qa-001", json={"name": name}, headers=headers)

    def end(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        for sock in [*self.slow, *self.bodies]:
            sock.close()
        self.client.close()


def _quiet(watch: Watch) -> tuple[float, float]:
    """The quiet account's checks so far, and the seconds they took."""
    return watch.total("reconciler_checks_total", **QUIET), watch.total(
        "reconciler_check_duration_seconds_sum", **QUIET
    )


def _audit_applied(path: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [line for line in lines if line["outcome"] == "applied"]


@pytest.fixture
def faulty(tap_sandbox: SandboxServer) -> Iterator[SandboxServer]:
    tap_sandbox.set_faults(error_rate=0.1, latency_ms=5, jitter_ms=5)
    yield tap_sandbox


def chaos(server: SandboxServer, tmp_path: Path, seconds: float) -> None:
    taplytics_config(tmp_path)
    abtasty_config(tmp_path, server)
    audit = tmp_path / "audit.jsonl"
    env = {**sandbox_env(server), "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET}
    args = [
        str(tmp_path),
        "--interval",
        f"{INTERVAL_S}s",
        "--listen",
        "127.0.0.1:0",
        "--self-heal",
        "--settle",
        "1s",
    ]
    args += [
        "--audit-log",
        str(audit),
        "--max-connections",
        "32",
        "--request-timeout",
        "1s",
        "--max-body",
        "64KiB",
    ]
    with watching(args, env, tmp_path) as watch:
        wait_for(lambda: watch.total("reconciler_checks_total", **QUIET) >= 3, 30, "the first checks")
        abuse = Abuse(watch, server)
        try:
            time.sleep(min(3.0, seconds / 3))  # the abuse settles in before the baseline
            baseline, checks, busy = watch.rss_kib(), *_quiet(watch)
            started = time.monotonic()
            time.sleep(seconds)
            end, after, busy_after = watch.rss_kib(), *_quiet(watch)
            elapsed = time.monotonic() - started
            assert watch.get("/healthz").status_code == 200
        finally:
            abuse.end()
        heals = watch.total("reconciler_self_heal_applies_total", outcome="success", **TAP)
    growth = end - baseline
    # The waits the interval makes due: the time not spent checking (a faulty answer is retried inside the
    # check, and a loaded machine slows the checks themselves), over the interval. Half of them is the bar:
    # a flood that woke the account, or held its timer, would miss it.
    due = (elapsed - (busy_after - busy)) / INTERVAL_S
    print(
        f"\nchaos soak {seconds:g} s: {after - checks:.0f} checks of the quiet account ({due:.1f} due), "
        f"{heals:.0f} heals; RSS "
        f"{baseline / 1024:.1f} -> {end / 1024:.1f} MiB ({growth:+d} KiB)"
    )
    assert after - checks >= due / 2, f"checks fell behind their interval: {after - checks:.0f} of {due:.1f}"
    assert heals >= 1
    applied_lines = [line for line in watch.err.splitlines() if APPLIED in line]
    audited = _audit_applied(audit)
    assert applied_lines and len(audited) == len(applied_lines), (
        "a self-heal change missing from the audit log"
    )
    assert all(line["run"]["command"] == "watch --self-heal" for line in audited)  # type: ignore[index]
    assert growth < MAX_GROWTH_KIB, f"resident memory grew by {growth} KiB"


def test_chaos_soak_short(faulty: SandboxServer, tmp_path: Path) -> None:
    chaos(faulty, tmp_path, 8.0)


@pytest.mark.soak
def test_chaos_soak_long(faulty: SandboxServer, tmp_path: Path) -> None:
    chaos(faulty, tmp_path, 180.0)
