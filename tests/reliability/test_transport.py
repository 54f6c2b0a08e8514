"""Only https leaves the machine: an http:// URL to a host that is not loopback is refused before any
request, wherever the URL comes from (environment or config, API or token endpoint, either provider).

A listener on one of this machine's own non-loopback addresses stands in for the remote server: it would
see the connection if one were attempted, so "zero connections" is observed, not assumed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.e2e import CANARY_SECRET, CLIENT_ID, HEADER, run_cli

CREDENTIALS = (
    "  credentials:\n    client_id: ${ABTASTY_CLIENT_ID}\n    client_secret: ${ABTASTY_CLIENT_SECRET}\n"
)
TAPLYTICS = (
    "version: 1\nprovider: taplytics\nproject:\n  name: app\nusers:\n  - user_id: qa-001\n    name: QA\n"
)


def local_non_loopback_address() -> str:
    """An address of this machine that is not loopback (the route towards TEST-NET-1; nothing is sent),
    or TEST-NET-1 itself, which nothing answers, when the machine has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
        except OSError:
            return "192.0.2.1"
    return "192.0.2.1" if address.startswith("127.") else address


class Listener:
    """A TCP listener that counts the connections it accepts."""

    def __init__(self, host: str) -> None:
        self.connections = 0
        self.sock = socket.socket()
        try:
            self.sock.bind((host, 0))
        except OSError:  # TEST-NET-1 is not ours: nothing can connect, nothing to count
            self.sock.close()
            self.url = f"http://{host}:9"
            return
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()

    def close(self) -> None:
        if hasattr(self, "thread"):
            self.stop.set()
            self.thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(local_non_loopback_address())
    yield server
    server.close()


def abtasty_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "account.yaml"
    path.write_text(HEADER + extra + CREDENTIALS + "tests:\n  - id: 381296\n    state: play\n")
    return path


@pytest.mark.parametrize("which", ["ABTASTY_API_URL", "ABTASTY_API2_URL", "ABTASTY_AUTH_URL"])
def test_plain_http_from_the_environment_is_refused(
    which: str,
    listener: Listener,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "ABTASTY_API_URL": "https://api.invalid",
        "ABTASTY_AUTH_URL": "https://auth.invalid/oauth/v2/token",
        "ABTASTY_CLIENT_ID": CLIENT_ID,
        "ABTASTY_CLIENT_SECRET": CANARY_SECRET,
        which: listener.url + ("/oauth/v2/token" if which == "ABTASTY_AUTH_URL" else ""),
    }
    for command in (("plan",), ("apply", "--auto-approve")):
        result = run_cli(monkeypatch, capsys, env, *command, str(abtasty_config(tmp_path)))
        assert result.code == 1, result.all
        assert "over plain http" in result.err and "use an https:// URL" in result.err
    assert listener.connections == 0


def test_plain_http_for_taplytics_is_refused(
    listener: Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "taplytics.yaml"
    config.write_text(TAPLYTICS)
    env = {"TAPLYTICS_API_URL": listener.url, "TAPLYTICS_API_TOKEN": "transport-token-1234"}
    result = run_cli(monkeypatch, capsys, env, "plan", str(config))
    assert result.code == 1
    assert "over plain http" in result.err and "transport-token-1234" not in result.all
    assert listener.connections == 0


def test_plain_http_in_the_config_is_refused_at_its_line(
    listener: Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = abtasty_config(tmp_path, extra=f"  api_url: {listener.url}\n")
    monkeypatch.delenv("ABTASTY_API_URL", raising=False)
    env = {"ABTASTY_CLIENT_ID": CLIENT_ID, "ABTASTY_CLIENT_SECRET": CANARY_SECRET}
    result = run_cli(monkeypatch, capsys, env, "plan", str(config))
    assert result.code == 1
    assert f"{config}:5:" in result.err and "https" in result.err
    assert listener.connections == 0


def test_the_listener_does_count_connections(listener: Listener) -> None:
    """The control: when the address is ours, a plain connection to it is seen."""
    if listener.url.endswith(":9"):
        assert listener.url.startswith("http://192.0.2.1")  # no local non-loopback address: nothing to count
        return
    host, port = listener.url.removeprefix("http://").split(":")
    socket.create_connection((host, int(port)), timeout=2).close()
    for _ in range(50):
        if listener.connections:
            break
        threading.Event().wait(0.05)
    assert listener.connections == 1
