"""``python -m reconciler ARGS`` as a real process of its own, forked from a process that has already imported
the CLI, instead of started from nothing.

A ``watch`` process spent about 0.6 s of its 0.9 s of CPU starting Python and importing its modules, and the
watch tests start some fifty of them: the imports were a third of those tests' cost. Each test worker starts
one *zygote* (a Python process that imports the CLI and the watch, then only waits), and each ``spawn`` asks
it to fork: the child takes the caller's pipes, environment, working directory and arguments, then runs
``reconciler`` as ``python -m`` would. It is a process like any other: its own pid, signals, exit code,
memory. What it shares with its siblings is only what start-up would have made the same (the modules).

The zygote is single-threaded (forking is safe), reaps its children and sends each exit code back on the
connection its spawn came by. It exits when its worker does (the end of its stdin).
``RECONCILER_TEST_FORKSERVER=0`` starts every process from nothing again.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
_MAX_MESSAGE = 1 << 20


def enabled() -> bool:
    return os.environ.get("RECONCILER_TEST_FORKSERVER", "1") != "0"


class Forked:
    """The part of ``subprocess.Popen`` the tests use, for a process the zygote forked."""

    def __init__(
        self, args: Sequence[str], env: dict[str, str], cwd: Path, tty: int | None = None, quiet: bool = False
    ) -> None:
        """``tty``: the terminal side of a pty, to be the child's stdin, stdout, stderr and controlling
        terminal (as ``pty.fork`` makes it); else /dev/null and two pipes, ``stdout`` and ``stderr``, or
        /dev/null for those too when ``quiet``."""
        self.args = list(args)
        self.returncode: int | None = None
        out_r = err_r = -1
        if tty is not None:
            given = [tty]
        elif quiet:
            given = [os.open(os.devnull, os.O_RDONLY), os.open(os.devnull, os.O_WRONLY)]
            given.append(os.dup(given[1]))
        else:
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            given = [os.open(os.devnull, os.O_RDONLY), out_w, err_w]
        self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._conn.connect(str(_zygote()))
            request = json.dumps({"args": self.args, "env": env, "cwd": str(cwd), "tty": tty is not None})
            socket.send_fds(self._conn, [request.encode()], given)
            self.pid: int = json.loads(self._conn.recv(_MAX_MESSAGE))["pid"]
        finally:
            for fd in given if tty is None else ():  # the child has its own copies now
                os.close(fd)
        self.stdout: IO[str] | None = None
        self.stderr: IO[str] | None = None
        if out_r >= 0:
            # Text, as Popen(text=True); left open as Popen leaves its pipes, for the caller to read.
            self.stdout = open(out_r)  # noqa: SIM115
            self.stderr = open(err_r)  # noqa: SIM115

    def poll(self) -> int | None:
        return self._collect(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._collect(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def _collect(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            self._conn.settimeout(timeout)
            try:
                self.returncode = int(json.loads(self._conn.recv(_MAX_MESSAGE))["code"])
            except (TimeoutError, BlockingIOError):
                return None
            self._conn.close()
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Both pipes read to their end (each by a thread, so neither fills up), then the exit code."""
        read: dict[str, str] = {}
        readers = [
            threading.Thread(target=lambda k=k, f=f: read.__setitem__(k, f.read()), daemon=True)
            for k, f in (("out", self.stdout), ("err", self.stderr))
            if f is not None
        ]
        for reader in readers:
            reader.start()
        self.wait(timeout)
        for reader in readers:
            reader.join(timeout)
        return read.get("out", ""), read.get("err", "")

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # not once it has exited: its pid may be another process's by then
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def spawn(args: Sequence[str], env: dict[str, str], cwd: Path) -> Forked | subprocess.Popen[str]:
    """``python -m reconciler ARGS`` with exactly ``env``, in ``cwd``; stdout and stderr piped (text), no
    stdin. Forked from the zygote, or started from nothing under ``RECONCILER_TEST_FORKSERVER=0``."""
    if enabled():
        return Forked(args, env, cwd)
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(
    args: Sequence[str], env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """``spawn`` to its end, as ``subprocess.run(..., capture_output=True, text=True)`` gives it."""
    proc = spawn(args, env, cwd)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
    code = proc.wait()
    return subprocess.CompletedProcess([sys.executable, "-m", "reconciler", *args], code, out, err)


_lock = threading.Lock()
_address: Path | None = None


def _zygote() -> Path:
    """This worker's zygote, started on first use; the socket it listens on."""
    global _address
    with _lock:
        if _address is None:
            directory = Path(tempfile.mkdtemp(prefix="reconciler-zygote-"))
            address = directory / "socket"
            log = directory / "log"
            with log.open("w") as stderr:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        "from tests.support.forkserver import serve; serve()",
                        str(address),
                    ],
                    cwd=REPO,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    stdin=subprocess.PIPE,  # the zygote exits at its end: when this worker exits
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            _ZYGOTES.append(proc)
            if not _wait_for_socket(address, proc):
                raise AssertionError("the fork server did not start:\n" + log.read_text())
            _address = address
        return _address


_ZYGOTES: list[subprocess.Popen[bytes]] = []  # kept referenced: their stdin pipe is their lifeline


@atexit.register
def _stop_zygotes() -> None:
    """Reap the zygote at the worker's exit, so that its CPU (and its children's) counts as the worker's."""
    for proc in _ZYGOTES:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)
    if _address is not None:
        shutil.rmtree(_address.parent, ignore_errors=True)


def _wait_for_socket(address: Path, proc: subprocess.Popen[bytes]) -> bool:
    selector = selectors.DefaultSelector()
    pidfd = os.pidfd_open(proc.pid)
    try:
        for _ in range(600):  # up to 60 s on a loaded machine; it is listening after its imports
            if address.exists():
                return True
            selector.register(pidfd, selectors.EVENT_READ)
            exited = selector.select(0.1)
            selector.unregister(pidfd)
            if exited:
                return False
        return False
    finally:
        selector.close()
        os.close(pidfd)


# What ``reconciler watch`` and ``reconciler sandbox`` import (what is left out is imported by the child: slower, the same result).
_WARM = (
    "reconciler.cli",
    "reconciler.cli.watch",
    "reconciler.providers.abtasty.provider",
    "reconciler.providers.flagship.provider",
    "reconciler.providers.taplytics.provider",
    "reconciler.sandbox.server",
    "reconciler.watch",
    "reconciler.watch.listener",
)


def serve() -> None:
    """The zygote's loop: accept a spawn, fork it, report each child's exit code when it is reaped."""
    for module in _WARM:
        importlib.import_module(module)
    address = sys.argv[1]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address + ".tmp")
    listener.listen(64)
    os.rename(address + ".tmp", address)  # it exists only once it listens
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "spawn")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    while True:
        for key, _ in selector.select():
            if key.data == "parent":
                if not os.read(0, 4096):
                    os._exit(0)  # the worker is gone; children it left running are its business
            elif key.data == "spawn":
                conn, _ = listener.accept()
                _fork(conn, listener, selector)
            else:
                pid, conn = key.data
                selector.unregister(key.fileobj)
                os.close(key.fd)
                _, status = os.waitpid(pid, 0)
                conn.send(json.dumps({"code": os.waitstatus_to_exitcode(status)}).encode())
                conn.close()


def _fork(conn: socket.socket, listener: socket.socket, selector: selectors.BaseSelector) -> None:
    message, fds, _, _ = socket.recv_fds(conn, _MAX_MESSAGE, 3)
    request: dict[str, Any] = json.loads(message)
    pid = os.fork()
    if pid == 0:
        _child(request, fds, [conn, listener], selector)
    for fd in fds:
        os.close(fd)
    conn.send(json.dumps({"pid": pid}).encode())
    selector.register(os.pidfd_open(pid), selectors.EVENT_READ, (pid, conn))


def _child(request: dict[str, Any], fds: list[int], sockets: list[socket.socket], selector: Any) -> None:
    """In the forked child: become ``python -m reconciler ARGS`` (never returns: SystemExit ends it)."""
    for key in list(selector.get_map().values()):  # the zygote's other children and connections
        if isinstance(key.data, tuple):
            os.close(key.fd)
            key.data[1].close()
    selector.close()
    for sock in sockets:
        sock.close()
    if request["tty"]:
        os.login_tty(fds[0])  # a session of its own, the pty its controlling terminal and its 0, 1, 2
    else:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    sys.argv = ["reconciler", *request["args"]]
    runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
    raise SystemExit(0)
