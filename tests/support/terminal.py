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

from tests.support.e2e import CANARY_SECRET

CTRL_C = b"\x03"


class Terminal:
    """``reconciler ARGS`` in a child process whose controlling terminal is a pty we hold."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: exec at once, nothing else runs here
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "reconciler", *args], {**env, "TERM": "xterm"})
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
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.code = os.waitstatus_to_exitcode(status)
                self.code = 128 - self.code if self.code < 0 else self.code
            elif time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"still running after {timeout} s; got:\n{self.text}")
        while self._read(0.05):
            pass
        os.close(self.fd)
        assert CANARY_SECRET not in self.text
        return self.code

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
