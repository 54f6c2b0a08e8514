"""Run the sandbox with uvicorn: in a background thread (tests, benchmarks) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from reconciler.errors import ReconcilerError
from reconciler.sandbox import dialects
from reconciler.sandbox.app import build_app, build_sandbox
from reconciler.sandbox.auth import TOKEN_PATH
from reconciler.sandbox.context import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_TAPLYTICS_TOKEN,
    Credentials,
    Sandbox,
)
from reconciler.sandbox.control import apply_faults
from reconciler.sandbox.faults import Faults

T = TypeVar("T")
STARTUP_TIMEOUT_S = 30.0


class SandboxStartError(ReconcilerError):
    """The sandbox could not start (port in use, ...)."""


def resolve_credentials(
    client_id: str | None,
    client_secret: str | None,
    env: Mapping[str, str] | None = None,
    taplytics_token: str | None = None,
) -> Credentials:
    """Explicit values first, then ABTASTY_CLIENT_ID / ABTASTY_CLIENT_SECRET / TAPLYTICS_API_TOKEN, then the
    demo values. The ``*_from_env`` flags tell the banner which values to mask."""
    env = os.environ if env is None else env
    env_secret = env.get("ABTASTY_CLIENT_SECRET") if client_secret is None else None
    env_token = env.get("TAPLYTICS_API_TOKEN") if taplytics_token is None else None
    return Credentials(
        client_id=client_id if client_id is not None else env.get("ABTASTY_CLIENT_ID") or DEMO_CLIENT_ID,
        client_secret=client_secret if client_secret is not None else env_secret or DEMO_CLIENT_SECRET,
        secret_from_env=bool(env_secret),
        taplytics_token=taplytics_token if taplytics_token is not None else env_token or DEMO_TAPLYTICS_TOKEN,
        taplytics_token_from_env=bool(env_token),
    )


def dialect_names(value: str | Iterable[str] | None) -> frozenset[str]:
    """The dialects asked for (None: from ``RECONCILER_SANDBOX_DIALECT``); a bad name stops the start."""
    try:
        return dialects.from_environment() if value is None else dialects.parse_dialects(value)
    except dialects.DialectError as err:
        raise SandboxStartError(f"{dialects.ENV_VAR if value is None else 'dialects'}: {err}") from None


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise SandboxStartError(f"Cannot listen on {host}:{port}: {err.strerror}") from None
    return sock


def uvicorn_server(sandbox: Sandbox, loop_box: list[asyncio.AbstractEventLoop]) -> uvicorn.Server:
    config = uvicorn.Config(
        build_app(sandbox, loop_box), log_level="warning", access_log=False, lifespan="on", loop="asyncio"
    )
    return uvicorn.Server(config)


class SandboxServer:
    """A running sandbox. Methods other than ``url`` & co. run on the server's loop, so they are thread-safe."""

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, api2_port: int = 0) -> None:
        self.sandbox = sandbox
        self._sock = bind_socket(host, port)
        self._host = host
        self.port: int = self._sock.getsockname()[1]
        self._sockets = [self._sock]
        if sandbox.plays("two-hosts"):  # api2.abtasty.com gets a port of its own
            self._sockets.append(bind_socket(host, api2_port))
            sandbox.api2_port = self._sockets[1].getsockname()[1]
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._server = uvicorn_server(sandbox, self._loops)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The first host: every route, or (``two-hosts``) AB Tasty's api.abtasty.com routes and Taplytics."""
        return self._url(self.port)

    @property
    def api2_url(self) -> str:
        """AB Tasty's api2.abtasty.com routes (token, membership, script): a second port with ``two-hosts``,
        else the same server as ``url``."""
        return self._url(self.sandbox.api2_port or self.port)

    def _url(self, port: int) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        return self.api2_url + TOKEN_PATH

    @property
    def account_id(self) -> int:
        return self.sandbox.store.account_id

    @property
    def client_id(self) -> str:
        return self.sandbox.credentials.client_id

    @property
    def client_secret(self) -> str:
        return self.sandbox.credentials.client_secret

    @property
    def taplytics_token(self) -> str:
        """The Taplytics REST API key (``api_token``) this sandbox accepts."""
        return self.sandbox.credentials.taplytics_token

    def environment(self) -> dict[str, str]:
        """The variables that point each provider's client at this server with its credentials (what
        ``--sandbox`` passes to every provider's ``default_endpoint``)."""
        return {
            "ABTASTY_API_URL": self.url,
            "ABTASTY_API2_URL": self.api2_url,
            "ABTASTY_AUTH_URL": self.token_url,
            "ABTASTY_CLIENT_ID": self.client_id,
            "ABTASTY_CLIENT_SECRET": self.client_secret,
            "TAPLYTICS_API_URL": self.url,
            "TAPLYTICS_API_TOKEN": self.taplytics_token,
        }

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": self._sockets}, daemon=True
        )
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(STARTUP_TIMEOUT_S / 0.01)):
            if self._server.started or not self._thread.is_alive():
                break
            deadline.wait(0.01)
        if not self._server.started:
            self.stop()
            raise SandboxStartError("The sandbox server did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        for sock in self._sockets:
            sock.close()

    def _call(self, fn: Callable[[], T]) -> T:
        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loops[0]).result(timeout=30)

    def requests(self) -> list[dict[str, Any]]:
        """The request log (``/_sandbox/*`` excluded): method, path, query, body, status[, fault]; Taplytics
        entries add ``token_via``. Secrets and tokens are shown as ``***``."""
        return self._call(lambda: [dict(e) for e in self.sandbox.log])

    def clear_requests(self) -> None:
        self._call(self.sandbox.clear_log)

    def set_faults(self, **changes: Any) -> Faults:
        """Same as ``POST /_sandbox/faults``: merge fields (``forced=[{...}]`` too); ``expire_tokens=True``,
        ``reset=True``."""
        return self._call(lambda: apply_faults(self.sandbox, changes))

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock ``seconds`` forward: tokens expire and the rate-limit bucket refills as if
        that time had passed (a test hook, instead of sleeping; see ``reconciler.sandbox.clock``)."""
        self._call(lambda: self.sandbox.clock.advance(seconds))

    def wait_idle(self, quiet_s: float = 0.05, timeout: float = 30.0) -> None:
        """Return once no API request is being served and none has arrived for ``quiet_s``: a test calls it
        after killing a client, so that the requests the client left in flight (a latency fault delays them)
        have landed before the next run reads the state. ``TimeoutError`` after ``timeout``. A test hook:
        nothing in the sandbox calls it."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            received, in_flight = self._call(lambda: (self.sandbox.received, self.sandbox.in_flight))
            if in_flight == 0 and received == last:
                return
            last = received if in_flight == 0 else -1
            time.sleep(quiet_s)
        raise TimeoutError(f"the sandbox was still serving requests after {timeout:g} s")

    def issued_tokens(self) -> list[str]:
        """Every access token the token endpoint issued: the secrets suite greps every output for them."""
        return self._call(self.sandbox.tokens.issued)

    def state(self) -> dict[str, Any]:
        return self._call(self.sandbox.store.to_dict)

    def persistence_stats(self) -> dict[str, float]:
        committer = self.sandbox.committer
        if committer is None:
            return {"writes": 0, "seconds": 0.0}
        return self._call(lambda: {"writes": committer.writes, "seconds": committer.write_seconds})


@contextlib.contextmanager
def serve_in_thread(
    seed: str = "demo",
    state_path: str | Path | None = None,
    page_cap: int = 100,
    faults: Faults | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    taplytics_token: str | None = None,
    dialects: str | Iterable[str] | None = None,
    page_cache: bool = False,
) -> Iterator[SandboxServer]:
    """Run a sandbox on ``host:port`` (a free port by default) until the block ends.

    ``dialects`` (``"dates-iso,two-hosts"`` or names) are the readings it plays; None takes
    ``RECONCILER_SANDBOX_DIALECT`` (so ``--sandbox`` and ``make demo`` follow it), else none.
    ``page_cache`` keeps list pages serialised until the next mutation (``reconciler.sandbox.pages``).
    """
    credentials = resolve_credentials(client_id, client_secret, taplytics_token=taplytics_token)
    path = Path(state_path) if state_path is not None else None
    chosen = dialect_names(dialects)
    sandbox = build_sandbox(
        seed, path, credentials, faults or Faults(), page_cap=page_cap, dialects=chosen, page_cache=page_cache
    )
    server = SandboxServer(sandbox, host=host, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
