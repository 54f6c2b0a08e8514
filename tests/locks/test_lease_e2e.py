"""The lease across machines: two processes with two lock directories (two "machines") and one lease store,
applying one account. The sandbox is slowed so the first holds the lease while the second tries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, mutations, server_env, write_config

PLAY = "tests:\n  - id: 381296\n    state: play\n"


def _holder(config: Path, tmp_path: Path, sandbox: SandboxServer, lease: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **server_env(sandbox),
        "RECONCILER_LOCK_DIR": str(tmp_path / "machine-a"),
        "RECONCILER_LEASE": str(lease),
        "RECONCILER_LEASE_TTL": "1",
        "RECONCILER_LEASE_SKEW": "0",
    }
    cmd = [sys.executable, "-m", "reconciler", "apply", str(config), "--auto-approve"]
    return subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(condition: object, bound_s: float = 60.0) -> None:
    """Poll ``condition`` (a callable); the bound only stops a broken test from hanging."""
    deadline = time.monotonic() + bound_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def test_second_machine_is_refused_naming_the_holder_and_a_killed_holder_stops_blocking(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    lease = tmp_path / "shared-leases"
    sandbox.set_faults(latency_ms=2000)  # the holder's fetch lasts while the other machine tries
    holder = _holder(config, tmp_path, sandbox, lease)
    try:
        _wait_for(lambda: lease.is_dir() and any(lease.glob("*.lease")))
        machine_b = {
            "RECONCILER_LOCK_DIR": str(tmp_path / "machine-b"),
            "RECONCILER_LEASE": str(lease),
            "RECONCILER_LEASE_SKEW": "0",
        }
        refused = cli("apply", str(config), "--auto-approve", **machine_b)
        assert refused.code == 1, refused.all
        assert "is being applied by another run" in refused.err
        assert f"pid {holder.pid}" in refused.err and "since" in refused.err
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        sandbox.set_faults(reset=True)
        assert any(lease.glob("*.lease"))  # a killed holder leaves its lease: only its TTL ends it
        results = []

        def applied() -> bool:
            results.append(cli("apply", str(config), "--auto-approve", **machine_b))
            return results[-1].code == 0

        _wait_for(applied)
        assert all("is being applied by another run" in r.err for r in results[:-1])
        assert not any(lease.glob("*.lease"))  # released at the end of the apply
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(30)


def test_an_unusable_lease_store_refuses_rather_than_writes(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAY)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    sandbox.clear_requests()
    result = cli("apply", str(config), "--auto-approve", RECONCILER_LEASE=str(blocker / "leases"))
    assert result.code == 1, result.all
    assert "the lease store" in result.err and "nothing was applied" in result.err
    assert mutations(sandbox) == []
