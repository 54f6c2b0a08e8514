"""The state file: restart keeps it, a corrupt file is a clear error, writes are atomic and grouped, and a
SIGKILL during a burst of mutations loses nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from reconciler.errors import ReconcilerError
from reconciler.sandbox.server import SandboxServer, serve_in_thread
from reconciler.sandbox.store import SandboxStateError, load_state
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, CORE, INTERFACE, authed

REPO = Path(__file__).resolve().parents[2]


def _serve(path: Path, seed: str = "demo") -> AbstractContextManager[SandboxServer]:
    return serve_in_thread(seed=seed, state_path=path, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


def _mutate(server: SandboxServer) -> None:
    with authed(server) as api:
        assert api.patch(f"{INTERFACE}/tests/381296/play", json={"mode": "preprod"}).status_code == 204
        assert api.patch(f"{INTERFACE}/tests/365111/pause").status_code == 204
        body = {"start_at": "2031-01-01T00:00:00", "stop_at": "2031-02-01T00:00:00", "timezone": "Asia/Tokyo"}
        assert api.patch(f"{INTERFACE}/tests/381301/schedule", json=body).status_code == 204
        assert (
            api.post(f"{CORE}/membership", json={"email": "kept@example.com", "role": "viewer"}).status_code
            == 200
        )
        assert api.patch(f"{CORE}/membership/132419", json={"role": "user"}).status_code == 204
        assert api.delete(f"{CORE}/membership/80397").status_code == 204
        assert api.patch(f"{INTERFACE}/update_script").status_code == 204


def test_restart_keeps_the_state(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with _serve(path) as server:
        assert path.exists()
        _mutate(server)
        before = server.state()
        with authed(server) as api:
            answers = [api.get(f"{CORE}/tests/{i}").json() for i in (381296, 365111, 381301)]
    assert json.loads(path.read_text()) == before
    with _serve(path, seed="empty") as server:  # the file wins over the seed
        assert server.state() == before
        with authed(server) as api:
            assert [api.get(f"{CORE}/tests/{i}").json() for i in (381296, 365111, 381301)] == answers
            emails = [
                m["_embedded"]["user"]["email"]
                for m in api.get(f"{CORE}/membership?_max_per_page=100").json()["_embedded"]["items"]
            ]
    assert "kept@example.com" in emails and "remi@abtasty.com" not in emails
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp files left behind


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"format": "reconciler-sandbox/1", "account_id": 41902, "tests": {', "not valid json"),
        ("[]", "not a json object"),
        ('{"format": "other", "account_id": 1, "tests": {}, "members": {}}', "format"),
        (
            '{"format": "reconciler-sandbox/1", "account_id": 41902, "tests": {"1": {"id": 2}}, "members": {}}',
            "tests",
        ),
        ("", "not valid json"),
    ],
)
def test_a_corrupt_file_is_a_clear_error(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(SandboxStateError) as info, _serve(path):
        pass
    assert isinstance(info.value, ReconcilerError)
    assert str(path) in str(info.value) and words in str(info.value).lower()
    assert path.read_text() == content  # never silently reset


async def test_concurrent_mutations_share_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with _serve(path) as server:
        token_client = authed(server)
        headers = dict(token_client.headers)
        token_client.close()
        writes_before = server.persistence_stats()["writes"]
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as api:
            responses = await asyncio.gather(
                *(
                    api.post(f"{CORE}/membership", json={"email": f"g{i}@example.com", "role": "user"})
                    for i in range(40)
                )
            )
        assert all(r.status_code == 200 for r in responses)
        writes = server.persistence_stats()["writes"] - writes_before
    saved = load_state(path)
    assert {f"g{i}@example.com" for i in range(40)} <= {m["email"] for m in saved.members.values()}
    print(f"\n40 concurrent mutations -> {writes:.0f} writes")
    assert 1 <= writes < 40


def _start_cli(path: Path) -> tuple[subprocess.Popen[str], str, str]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ABTASTY_CLIENT_ID": CLIENT_ID,
        "ABTASTY_CLIENT_SECRET": CLIENT_SECRET,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0", "--state", str(path)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    url = banner.strip().rsplit(" ", 1)[-1]
    assert url.startswith("http://127.0.0.1:"), banner
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "client_credentials"}
    for _ in range(200):
        try:
            token = httpx.post(f"{url}/oauth/v2/token", json=body).json()["access_token"]
            return proc, url, token
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the sandbox did not start")


async def _burst(
    url: str, token: str, acked: list[str], kill_after: int, proc: subprocess.Popen[str]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    counter = iter(range(10_000))

    async def worker(api: httpx.AsyncClient) -> None:
        for i in counter:
            try:
                response = await api.post(
                    f"{CORE}/membership", json={"email": f"k{i}@example.com", "role": "user"}
                )
            except httpx.TransportError:
                return
            if response.status_code == 200:
                acked.append(f"k{i}@example.com")
            if len(acked) >= kill_after and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as api:
        await asyncio.gather(*(worker(api) for _ in range(8)))


async def test_sigkill_during_a_burst_keeps_every_acknowledged_mutation(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    proc, url, token = _start_cli(path)
    acked: list[str] = []
    try:
        await asyncio.wait_for(_burst(url, token, acked, 60, proc), timeout=30)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    saved = load_state(path)  # loads: the file was never torn
    emails = {m["email"] for m in saved.members.values()}
    assert len(acked) >= 60 and set(acked) <= emails
    with _serve(path) as server, authed(server) as api:
        assert api.get(f"{CORE}/membership").json()["total"] == len(saved.members)
