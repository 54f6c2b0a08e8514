"""``reconciler sandbox serve`` / ``reset`` as a user runs them (processes of their own: tests.support.forkserver)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.store import load_state
from tests.support import forkserver

REPO = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ABTASTY_", "TAPLYTICS_"))}
    return {**env, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **extra}


def _run(*args: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    return forkserver.run(["sandbox", *args], _env(**env), cwd, timeout=60)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["serve", "--seed", "bogus"], "--seed"),
        (["serve", "--error-rate", "2"], "--error-rate"),
        (["serve", "--port", "-1"], "--port"),
        (["reset", "--seed", "generated:tests=x"], "--seed"),
    ],
)
def test_usage_errors_exit_1_without_traceback(args: list[str], words: str) -> None:
    result = _run(*args)
    assert result.returncode == 1
    assert words in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_corrupt_state_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"format": "reconciler-sandbox/1", "acc')
    result = _run("serve", "--port", "0", "--state", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "corrupt sandbox state" in result.stderr and "reset" in result.stderr


def test_reset_writes_the_seed(tmp_path: Path) -> None:
    result = _run("reset", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(load_state(tmp_path / ".reconciler" / "sandbox.json").tests) == 29
    assert (
        _run("reset", "--state", "s.json", "--seed", "generated:tests=3,members=2", cwd=tmp_path).returncode
        == 0
    )
    state = load_state(tmp_path / "s.json")
    assert (len(state.tests), len(state.members)) == (3, 2)


def _serve(*args: str, **env: str) -> tuple[forkserver.Forked | subprocess.Popen[str], list[str]]:
    proc = forkserver.spawn(["sandbox", "serve", "--port", "0", *args], _env(**env), REPO)
    assert proc.stdout is not None
    banner = [proc.stdout.readline() for _ in range(7)]
    return proc, banner


def _wait_ready(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(f"{url}/_sandbox/state")
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("not ready")


def test_serve_prints_what_it_accepts_and_stops_on_ctrl_c() -> None:
    proc, banner = _serve("--latency", "1")
    try:
        text = "".join(banner)
        url = banner[0].strip().rsplit(" ", 1)[-1]
        assert "41902" in text and "sandbox-client-id" in text and "sandbox-client-secret" in text
        assert f"AB Tasty API: {url}\n  token URL:     {url}/oauth/v2/token\n" in text  # headed as the others
        _wait_ready(url)
        body = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret",
                "grant_type": "client_credentials"}  # fmt: skip
        assert httpx.post(f"{url}/oauth/v2/token", json=body).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Sandbox stopped." in out and "Traceback" not in err


def test_serve_takes_credentials_from_the_environment_and_masks_the_secret() -> None:
    proc, banner = _serve(ABTASTY_CLIENT_ID="env-id", ABTASTY_CLIENT_SECRET="env-secret-canary")
    try:
        text = "".join(banner)
        url = banner[0].strip().rsplit(" ", 1)[-1]
        assert "env-id" in text and "env-secret-canary" not in text and "******" in text
        _wait_ready(url)
        good = {
            "client_id": "env-id",
            "client_secret": "env-secret-canary",
            "grant_type": "client_credentials",
        }
        assert httpx.post(f"{url}/oauth/v2/token", json=good).status_code == 200
        demo = {**good, "client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
        assert httpx.post(f"{url}/oauth/v2/token", json=demo).status_code == 401
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert "env-secret-canary" not in out + err
