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
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.control import apply_faults
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.vendor import MAIN_HOST, Credentials, SandboxVendor
from reconciler.sandbox.vendors import vendors

T = TypeVar("T")
STARTUP_TIMEOUT_S = 30.0


class SandboxStartError(ReconcilerError):
    """The sandbox could not start (port in use, ...)."""


def resolve_credentials(
    given: Mapping[str, str | None] | None = None,
    env: Mapping[str, str] | None = None,
    among: Iterable[SandboxVendor] | None = None,
) -> Credentials:
    """Each vendor's credentials (``CredentialSpec``): the value given, then its environment variable, then
    its demo value. ``from_env`` tells the banner which values to mask."""
    env = os.environ if env is None else env
    given = given or {}
    values: dict[str, str] = {}
    from_env: set[str] = set()
    for vendor in vendors() if among is None else among:
        for spec in vendor.credentials:
            explicit = given.get(spec.name)
            env_value = env.get(spec.env) if explicit is None else None
            values[spec.name] = explicit if explicit is not None else env_value or spec.demo
            if env_value:
                from_env.add(spec.name)
    return Credentials(values, frozenset(from_env))


def host_urls(host: str, ports: Mapping[str, int]) -> dict[str, str]:
    """Host name -> base URL, for the main port and each extra host's."""
    name = f"[{host}]" if ":" in host else host
    return {key: f"http://{name}:{port}" for key, port in ports.items()}


def extra_hosts(sandbox: Sandbox) -> list[str]:
    """The extra hosts the sandbox's vendors ask for under its dialects, in vendor order."""
    return [h for vendor in sandbox.vendors for h in vendor.extra_hosts(sandbox.dialects)]


def environment(sandbox: Sandbox, urls: Mapping[str, str]) -> dict[str, str]:
    """The variables that point each provider's client at this server with its credentials."""
    found: dict[str, str] = {}
    for vendor in sandbox.vendors:
        found.update(vendor.environment(urls, sandbox.credentials))
    return found


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

    def __init__(
        self,
        sandbox: Sandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_ports: Mapping[str, int] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self._sock = bind_socket(host, port)
        self._host = host
        self.port: int = self._sock.getsockname()[1]
        self._sockets = [self._sock]
        for name in extra_hosts(sandbox):  # each on a port of its own (``extra_ports`` asks for one)
            sock = bind_socket(host, (extra_ports or {}).get(name, 0))
            self._sockets.append(sock)
            sandbox.host_ports[name] = sock.getsockname()[1]
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._server = uvicorn_server(sandbox, self._loops)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The first host: every route but those a vendor serves on an extra host."""
        return self.urls()[MAIN_HOST]

    def urls(self) -> dict[str, str]:
        """Host name -> base URL: the main host and the extra ones."""
        return host_urls(self._host, {MAIN_HOST: self.port, **self.sandbox.host_ports})

    def __getattr__(self, name: str) -> Any:
        """A credential (``server.client_secret``) or a vendor's named URL (``server.token_url``)."""
        sandbox = self.__dict__.get("sandbox")
        if sandbox is None:
            raise AttributeError(name)
        if name in sandbox.credentials.values:
            return sandbox.credentials[name]
        for vendor in sandbox.vendors:
            named = vendor.urls(self.urls())
            if name in named:
                return named[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def account_id(self) -> int:
        return self.sandbox.store.account_id

    def environment(self) -> dict[str, str]:
        """The variables that point each provider's client at this server with its credentials (what
        ``--sandbox`` passes to every provider's ``default_endpoint``)."""
        return environment(self.sandbox, self.urls())

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
        """The request log (``/_sandbox/*`` excluded): method, path, query, body, status[, fault], plus what
        the path's vendor adds (``SandboxVendor.log_fields``). Secrets and tokens are shown as ``***``."""
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
    port: int = 0,
    host: str = "127.0.0.1",
    dialects: str | Iterable[str] | None = None,
    page_cache: bool = False,
    **credentials: str | None,
) -> Iterator[SandboxServer]:
    """Run a sandbox on ``host:port`` (a free port by default) until the block ends.

    ``dialects`` (``"dates-iso,two-hosts"`` or names) are the readings it plays; None takes
    ``RECONCILER_SANDBOX_DIALECT`` (so ``--sandbox`` and ``make demo`` follow it), else none.
    ``page_cache`` keeps list pages serialised until the next mutation (``reconciler.sandbox.pages``).
    ``credentials`` are values the vendors accept, by ``CredentialSpec.name`` (``client_secret=...``);
    any other comes from its variable, else its demo value.
    """
    accepted = resolve_credentials(credentials)
    unknown = sorted(set(credentials) - set(accepted.values))
    if unknown:
        raise TypeError(f"serve_in_thread() got unexpected keyword argument(s) {', '.join(unknown)}")
    path = Path(state_path) if state_path is not None else None
    chosen = dialect_names(dialects)
    sandbox = build_sandbox(
        seed, path, accepted, faults or Faults(), page_cap=page_cap, dialects=chosen, page_cache=page_cache
    )
    server = SandboxServer(sandbox, host=host, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
