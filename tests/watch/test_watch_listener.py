"""The listener under abuse, over real sockets on 127.0.0.1 (issue 26): slowloris headers and bodies are
dropped at their deadline, connections over the cap are refused or evict an idle one at once (``/healthz``
still answers), bodies over the bound are refused on their declared length or while they stream, on every
hook route; at the file-descriptor limit the accept loop logs one line per episode."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import (
    GITHUB_SECRET,
    WEBHOOK_SECRET,
    Watch,
    sandbox_env,
    taplytics_config,
    wait_for,
    watching,
)

pytestmark = pytest.mark.slow  # watch in its own process

HOOKS = ("/hooks/taplytics", "/hooks/github", "/hooks/nosuchvendor")


def _env(server: SandboxServer) -> dict[str, str]:
    return {
        **sandbox_env(server),
        "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECONCILER_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
    }


def _connect(watch: Watch) -> socket.socket:
    address = urlsplit(watch.url)
    sock = socket.create_connection((address.hostname or "", address.port or 0), timeout=30)
    return sock


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (whatever it answered first)."""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _answer(sock: socket.socket) -> bytes:
    """What the server sent, up to the end of the response's headers (or the close)."""
    data = b""
    try:
        while b"\r\n\r\n" not in data and (chunk := sock.recv(4096)):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


@pytest.fixture
def opened() -> Iterator[list[socket.socket]]:
    socks: list[socket.socket] = []
    yield socks
    for sock in socks:
        sock.close()


def test_slow_headers_and_slow_bodies_are_dropped_at_their_deadline(
    tap_sandbox: SandboxServer, tmp_path: Path, opened: list[socket.socket]
) -> None:
    taplytics_config(tmp_path)
    args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0", "--request-timeout", "1s"]
    with watching(args, _env(tap_sandbox), tmp_path) as watch:
        for _ in range(5):  # headers that never end
            sock = _connect(watch)
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: watch\r\nX-Slow: 1")
            opened.append(sock)
        body = _connect(watch)  # a body that never arrives whole
        body.sendall(
            f"POST /hooks/taplytics?token={WEBHOOK_SECRET} HTTP/1.1\r\nHost: watch\r\n".encode()
            + b'Content-Length: 500\r\n\r\n{"a":'
        )
        opened.append(body)
        idle = _connect(watch)  # a connection that sends nothing at all
        opened.append(idle)
        assert all(_closed(sock) for sock in opened)  # each recv waits at most 30 s: a generous bound
        assert watch.get("/healthz").status_code == 200
    assert "the body did not arrive within 1 s" in watch.err


def test_connections_over_the_cap_are_turned_away_and_healthz_still_answers(
    tap_sandbox: SandboxServer, tmp_path: Path, opened: list[socket.socket]
) -> None:
    taplytics_config(tmp_path)
    cap = 8
    args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0", "--max-connections", str(cap)]
    args += ["--request-timeout", "1h"]  # no deadline helps: only the cap closes connections here
    with watching(args, _env(tap_sandbox), tmp_path) as watch:
        for _ in range(3 * cap):
            sock = _connect(watch)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: watch\r\n")  # headers never finished
            opened.append(sock)
        for sock in opened:
            sock.settimeout(0.05)
        # The older ones were evicted (or the newer refused) at once: at most `cap` are still open.
        wait_for(lambda: sum(not _closed(s) for s in opened) <= cap, 30, "the evictions")
        probe = _connect(watch)
        probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: watch\r\nConnection: close\r\n\r\n")
        assert _answer(probe).startswith(b"HTTP/1.1 200"), "the liveness probe got through the flood"
        probe.close()


def _auth(route: str) -> dict[str, str]:
    """The header a hook route authenticates with (a wrong signature: only its presence is checked first)."""
    if route == "/hooks/github":
        return {"x-hub-signature-256": "sha256=" + "0" * 64}
    return {"x-reconciler-token": WEBHOOK_SECRET}


def _slow_body(watch: Watch, route: str = f"/hooks/taplytics?token={WEBHOOK_SECRET}") -> socket.socket:
    """A hook request whose headers are complete (and authenticated) and whose body never ends."""
    sock = _connect(watch)
    sock.sendall(f"POST {route} HTTP/1.1\r\nHost: watch\r\nContent-Length: 500\r\n\r\n".encode() + b'{"a":')
    return sock


def test_slow_bodies_cannot_lock_healthz_out(
    tap_sandbox: SandboxServer, tmp_path: Path, opened: list[socket.socket]
) -> None:
    taplytics_config(tmp_path)
    cap = 4
    args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0", "--max-connections", str(cap)]
    args += ["--request-timeout", "1h"]  # no deadline helps: only the cap closes connections here
    with watching(args, _env(tap_sandbox), tmp_path) as watch:
        for _ in range(cap):  # the lockout: as many slow bodies as the cap
            opened.append(_slow_body(watch))
            opened[-1].settimeout(0.05)
        # Bodies may hold the cap but two slots (kept for requests without one): the oldest were evicted.
        wait_for(lambda: sum(not _closed(s) for s in opened) <= cap - 2, 30, "the evictions")
        for _ in range(3):
            probe = _connect(watch)
            probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: watch\r\nConnection: close\r\n\r\n")
            assert _answer(probe).startswith(b"HTTP/1.1 200"), "the liveness probe got through the bodies"
            probe.close()
            opened.append(_slow_body(watch))  # renewed as fast as they are evicted
        # A full cap of connections (slow bodies and slowloris headers) is evicted oldest first.
        for _ in range(cap):
            sock = _connect(watch)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: watch\r\n")
            opened.append(sock)
        probe = _connect(watch)
        probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: watch\r\nConnection: close\r\n\r\n")
        assert _answer(probe).startswith(b"HTTP/1.1 200")
        probe.close()


def test_a_stop_does_not_wait_for_a_slow_body(
    tap_sandbox: SandboxServer, tmp_path: Path, opened: list[socket.socket]
) -> None:
    """SIGTERM with a body still arriving: the watch closes that connection and stops (exit 0, no traceback),
    not when the body's hour-long deadline ends (``watching`` gives the stop 30 s, then fails)."""
    taplytics_config(tmp_path)
    args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0", "--request-timeout", "1h"]
    with watching(args, _env(tap_sandbox), tmp_path) as watch:
        opened.append(_slow_body(watch))
        probe = _connect(watch)  # answered after the body's headers were read (one loop, in order)
        probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: watch\r\nConnection: close\r\n\r\n")
        assert _answer(probe).startswith(b"HTTP/1.1 200")
        probe.close()


def test_a_hook_without_its_secret_header_is_refused_before_its_body(
    tap_sandbox: SandboxServer, tmp_path: Path, opened: list[socket.socket]
) -> None:
    taplytics_config(tmp_path)
    args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0", "--request-timeout", "1h"]
    with watching(args, _env(tap_sandbox), tmp_path) as watch:
        for route in ("/hooks/taplytics", "/hooks/taplytics?token=", "/hooks/github", "/hooks/nosuchvendor"):
            sock = _slow_body(watch, route)  # the body never ends: only a refusal before it answers
            opened.append(sock)
            assert _answer(sock).startswith(b"HTTP/1.1 401"), route
    assert "no secret or signature header" in watch.err


def test_oversized_bodies_are_refused_on_every_hook_route(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(tmp_path)
    args = [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0", "--max-body", "64KiB"]
    with watching(args, _env(tap_sandbox), tmp_path) as watch:
        for route in HOOKS:
            declared = _connect(watch)  # declares 10 MB, sends none of it: refused unread
            declared.sendall(f"POST {route} HTTP/1.1\r\nHost: w\r\nContent-Length: 10000000\r\n\r\n".encode())
            assert _answer(declared).startswith(b"HTTP/1.1 413"), route
            declared.close()

            def chunked() -> Iterator[bytes]:
                for _ in range(100):  # 100 x 8 KiB, no length declared: counted while it streams
                    yield b"x" * 8192

            # With its auth header (the body is counted before the signature or token is checked).
            assert watch.post(route, content=chunked(), headers=_auth(route)).status_code == 413, route
        small = watch.post(
            f"/hooks/taplytics?token={WEBHOOK_SECRET}", content=b'{"x": "' + b"y" * 60_000 + b'"}'
        )
        assert small.status_code == 202
        assert watch.get("/healthz").status_code == 200


_EMFILE_SCRIPT = textwrap.dedent(
    """
    import asyncio, logging, os, resource, socket, sys
    from reconciler.watch.listener import AcceptEpisodes

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")

    async def main():
        episodes = AcceptEpisodes()
        episodes.install(asyncio.get_running_loop())

        class Hello(asyncio.Protocol):
            def connection_made(self, transport):
                episodes.accepted()
                transport.write(b"hello")
                transport.close()

        server = await asyncio.get_running_loop().create_server(Hello, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        await asyncio.get_running_loop().run_in_executor(None, int)  # its thread exists before the limit
        fillers = []
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        try:
            while True:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            pass
        print(port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for fd in fillers:
            os.close(fd)
        print("freed", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    asyncio.run(main())
    """
)


def test_out_of_descriptors_is_one_line_per_episode(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _EMFILE_SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        port = int(proc.stdout.readline())
        waiting = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(5)]
        # Let asyncio retry accept() a few times (it does, every second) before descriptors come back.
        for sock in waiting:
            sock.settimeout(2.5)
        assert all(not _closed(sock) for sock in waiting[:1])  # nothing accepted while out of descriptors
        proc.stdin.write("free\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "freed"
        for sock in waiting:
            sock.settimeout(30)
            assert _answer(sock) == b"hello"
            sock.close()
        proc.stdin.write("done\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read()
    assert err.count("not accepting connections") == 1, err
    assert err.count("accepting connections again after") == 1, err
    assert "Traceback" not in err, err
