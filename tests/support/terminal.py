"""Running the CLI on a pseudo-terminal, as a person at a terminal would (stdin, stdout, stderr all a tty;
Ctrl-C is the byte 0x03, turned into SIGINT by the terminal, not a signal the test sends itself)."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

from tests.support import forkserver
from tests.support.e2e import CANARY_SECRET

CTRL_C = b"\x03"


class Terminal:
    """``reconciler ARGS`` in a child process whose controlling terminal is a pty we hold (forked from the
    zygote: tests.support.forkserver)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.forked: forkserver.Forked | None = None
        if forkserver.enabled():  # the same terminal and session, without Python's start-up again
            self.fd, tty = os.openpty()
            self.forked = forkserver.Forked(args, {**env, "TERM": "xterm"}, cwd, tty=tty)
            os.close(tty)
            self.pid = self.forked.pid
        else:
            pid, fd = pty.fork()
            if pid == 0:  # the child: exec at once, nothing else runs here
                os.chdir(cwd)
                os.execve(
                    sys.executable, [sys.executable, "-m", "reconciler", *args], {**env, "TERM": "xterm"}
                )
            self.pid, self.fd = pid, fd
        self.output = b""
        self.code: int | None = None

    def read_until(self, marker: str, timeout: float = 30.0) -> str:
        """Read until ``marker`` shows (AssertionError with what was read, if it does not in time)."""
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.output:
            if time.monotonic() > deadline or not self._read(deadline - time.monotonic()):
                raise AssertionError(f"{marker!r} not seen; got:\n{self.text}")
        return self.text

    def send(self, data: bytes) -> None:
        """Type ``data``."""
        os.write(self.fd, data)

    def wait(self, timeout: float = 30.0) -> int:
        """The exit code (128 + N when a signal N ended it), reading what is left."""
        deadline = time.monotonic() + timeout
        while self.code is None:
            self._read(0.05)
            code = self._exited()
            if code is not None:
                self.code = 128 - code if code < 0 else code
            elif time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"still running after {timeout} s; got:\n{self.text}")
        while self._read(0.05):
            pass
        os.close(self.fd)
        assert CANARY_SECRET not in self.text
        return self.code

    def _exited(self) -> int | None:
        """Popen's exit code (-N for signal N), or None while it runs."""
        if self.forked is not None:
            return self.forked.poll()
        done, status = os.waitpid(self.pid, os.WNOHANG)
        return os.waitstatus_to_exitcode(status) if done else None

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    @property
    def text(self) -> str:
        """Everything the child wrote, decoded."""
        return self.output.decode("utf-8", "replace")
