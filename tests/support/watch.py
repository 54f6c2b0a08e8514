"""What the watch tests share: ``reconciler watch`` in its own process (tests.support.forkserver) against a sandbox, its metrics, a
notification receiver, and configs that match the demo account."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from reconciler.sandbox.server import SandboxServer
from tests.support import forkserver
from tests.support.e2e import CANARY_SECRET, CLIENT_ID

TAPLYTICS_CANARY = "canary-taplytics-3c9e0b7d41"
WEBHOOK_SECRET = "canary-webhook-8d2f4e6a10"
GITHUB_SECRET = "canary-github-hook-7a1c5e9b22"
NOTIFY_TOKEN = "canary-notify-token-0f9e8d7c6b5a"  # a path segment of the receiver's URL, like Slack's
WATCH_TOKEN = "canary-watch-token-5b7d9f1e3a"  # RECONCILER_WATCH_TOKEN: who may read / and /metrics
CANARIES = (CANARY_SECRET, TAPLYTICS_CANARY, WEBHOOK_SECRET, GITHUB_SECRET, NOTIFY_TOKEN, WATCH_TOKEN)
_LISTENING = re.compile(r"listening on (http://\S+?):? ")
REPO = Path(__file__).resolve().parents[2]


def sandbox_env(server: SandboxServer) -> dict[str, str]:
    """Every provider pointed at ``server`` with the canary credentials."""
    return {
        "ABTASTY_API_URL": server.url,
        "ABTASTY_AUTH_URL": server.token_url,
        "ABTASTY_CLIENT_ID": CLIENT_ID,
        "ABTASTY_CLIENT_SECRET": CANARY_SECRET,
        "TAPLYTICS_API_URL": server.url,
        "TAPLYTICS_API_TOKEN": TAPLYTICS_CANARY,
    }


def taplytics_config(directory: Path, users: str = "", name: str = "my-app", file: str = "app.yaml") -> Path:
    """A Taplytics project whose users qa-001 .. qa-003 match the demo account, plus ``users``."""
    body = "".join(
        f"  - user_id: qa-{k:03d}\n    email: qa+{k:03d}@example.com\n    name: QA Tester {k}\n"
        f"    custom_data:\n      cohort: qa\n"
        for k in (1, 2, 3)
    )
    path = directory / file
    path.write_text(f"version: 1\nprovider: taplytics\nproject:\n  name: {name}\nusers:\n{body}{users}")
    return path


def abtasty_config(directory: Path, server: SandboxServer) -> Path:
    """An AB Tasty account that manages one test, in the state it has now (in sync)."""
    test = min(server.state()["tests"].values(), key=lambda t: t["id"])
    path = directory / "shop.yaml"
    path.write_text(
        f"version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n  - id: {test['id']}\n    state: {test['state']}\n"
    )
    return path


def change_user(server: SandboxServer, user_id: str, **fields: Any) -> None:
    """Change a user through the sandbox's API, behind the tool's back."""
    response = httpx.post(
        f"{server.url}/v2/users/{user_id}", json=fields, headers={"x-access-token": TAPLYTICS_CANARY}
    )
    response.raise_for_status()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` (a generous bound)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class Watch:
    """``python -m reconciler watch ...`` in its own process; stderr collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, prefix: Sequence[str] = ()) -> None:
        full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.proc: forkserver.Forked | subprocess.Popen[str]
        if prefix:  # a command that execs the rest (unshare, sh -c)
            self.proc = subprocess.Popen(
                [*prefix, sys.executable, "-m", "reconciler", "watch", *args],
                env=full_env,
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        else:  # a process of its own all the same, without paying Python's start-up and imports again
            self.proc = forkserver.spawn(["watch", *args], full_env, cwd)
        self.lines: list[str] = []
        self.out = ""
        # One client for every poll of /metrics (every 50 ms while a test waits): httpx.get would build a new
        # client, and its TLS context, each time, which made polling cost more CPU than the watch it polls.
        token = env.get("RECONCILER_WATCH_TOKEN")
        self.http = httpx.Client(timeout=10, headers={"authorization": f"Bearer {token}"} if token else {})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = wait_for(self._url, 60, "the listening line")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def _url(self) -> str | None:
        for line in list(self.lines):
            match = _LISTENING.search(line)
            if match:
                return match.group(1)
        if self.proc.poll() is not None:
            raise AssertionError("watch exited early:\n" + "".join(self.lines))
        return None

    @property
    def err(self) -> str:
        return "".join(self.lines)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(self.url + path, **kwargs)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics, by (name, sorted labels)."""
        samples = {}
        for family in text_string_to_metric_families(self.get("/metrics").text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    def value(self, name: str, **labels: str) -> float | None:
        """One sample (None when the series does not exist yet)."""
        return self.metrics().get((name, tuple(sorted(labels.items()))))

    def total(self, name: str, **labels: str) -> float:
        """The sum of every sample of ``name`` whose labels include ``labels``."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.metrics().items() if n == name and want <= set(ls))

    def rss_kib(self) -> int:
        """The process's resident memory."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal it, wait for it, return its exit code."""
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self._reader.join(timeout=10)
        assert self.proc.stdout is not None
        self.out = self.proc.stdout.read()
        return code


@contextmanager
def watching(args: list[str], env: dict[str, str], cwd: Path, prefix: Sequence[str] = ()) -> Iterator[Watch]:
    """A running watch, stopped (SIGTERM, exit 0 expected) at the end of the block."""
    watch = Watch(args, env, cwd, prefix)
    try:
        yield watch
    finally:
        code = watch.stop()
        assert code == 0, f"watch exited {code}:\n{watch.err}"
        assert "Traceback" not in watch.err, watch.err


class Receiver:
    """A tiny HTTP server that records every JSON POST (a notification target)."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                paths.append(self.path)
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify/{NOTIFY_TOKEN}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in list(self.received) if e.get("event") == kind]


def github_signature(body: bytes, secret: str = GITHUB_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def register_webhook(server: SandboxServer, url: str) -> None:
    """Ask the sandbox to POST its Taplytics events to ``url``."""
    httpx.post(f"{server.url}/_sandbox/webhooks", json={"url": url}).raise_for_status()
