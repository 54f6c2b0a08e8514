"""The canary secret never reaches the lease's new output: the refusal that quotes another run's record,
and the apply that takes and releases a lease."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.engine import lock_key, provider_for
from reconciler.loading import load_configs
from reconciler.locks.file_lease import FileLeaseStore
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CliRunner, server_env, write_config


def test_the_lease_record_and_the_refusal_hold_no_secret(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    env = server_env(sandbox)
    [loaded] = load_configs([str(config)], env=env)
    key, _label = lock_key(loaded, provider_for(loaded).default_endpoint(env))
    leases = tmp_path / "leases"
    leases.mkdir()
    path = FileLeaseStore(str(leases))._path(key)
    # A live holder (its lease expires far ahead): the run is refused, quoting its record.
    path.write_text(json.dumps({"who": "ci", "where": "runner-7 pid 1", "since": "s", "expires": 4e9}))
    refused = cli("apply", str(config), "--auto-approve", RECONCILER_LEASE=str(leases))
    assert refused.code == 1 and "ci on runner-7 pid 1 since s" in refused.err
    assert CANARY_SECRET not in refused.all
    path.unlink()
    applied = cli("apply", str(config), "--auto-approve", RECONCILER_LEASE=str(leases), USER="tester")
    assert applied.code == 0 and CANARY_SECRET not in applied.all
    assert list(leases.iterdir()) == []  # released after the apply
