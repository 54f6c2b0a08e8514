"""docs/watch.md's container recipe, as far as this machine allows (issue 26): the config on a read-only
mount (a read-only bind mount in a private mount namespace when we are root and may make one, else a
directory chmod 0555, which binds every other user), the working directory inside it, and the state and
lock directories elsewhere. Self-heal runs, writes its state where it was told, and nothing under the
config."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import server_env
from tests.support.watch import WEBHOOK_SECRET, sandbox_env, wait_for, watching

pytestmark = pytest.mark.slow  # watch in its own process


def _read_only(directory: Path) -> list[str]:
    """Make ``directory`` read-only for the watch; the command prefix that does it (none for chmod)."""
    for child in directory.iterdir():
        child.chmod(0o444)
    directory.chmod(0o555)
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        return []
    mount = f"mount --bind -o ro {directory} {directory}"
    if subprocess.run([unshare, "-m", "sh", "-c", mount], capture_output=True).returncode != 0:
        return []  # no namespaces here (a locked-down container): root ignores the mode, the test still runs
    return [unshare, "-m", "sh", "-c", f'{mount} && exec "$@"', "sh"]


def test_self_heal_with_a_read_only_config_and_the_state_elsewhere(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    accounts, state, locks = tmp_path / "accounts", tmp_path / "state", tmp_path / "locks"
    accounts.mkdir()
    test = min(tap_sandbox.state()["tests"].values(), key=lambda t: t["id"])
    wanted = "pause" if test["state"] == "play" else "play"
    (accounts / "shop.yaml").write_text(
        f"version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n  - id: {test['id']}\n    state: {wanted}\n"
    )
    prefix = _read_only(accounts)
    env = {
        **sandbox_env(tap_sandbox),
        **server_env(tap_sandbox),
        "RECONCILER_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RECONCILER_STATE_DIR": str(state),
        "RECONCILER_LOCK_DIR": str(locks),
    }
    args = [str(accounts), "--interval", "0.5s", "--listen", "127.0.0.1:0", "--self-heal", "--settle", "1s"]
    try:
        with watching(args, env, accounts, prefix) as watch:
            wait_for(
                lambda: watch.total("reconciler_self_heal_applies_total", outcome="success"), 30, "the heal"
            )
        assert tap_sandbox.state()["tests"][str(test["id"])]["state"] == wanted
        assert sorted(p.name for p in accounts.iterdir()) == ["shop.yaml"], "watch wrote under the config"
        assert (state / "pending").is_dir() and locks.is_dir(), "the state went where it was told"
    finally:
        accounts.chmod(0o755)
