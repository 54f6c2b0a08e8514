"""tests.support.forkserver: a forked ``reconciler`` is a process of its own, like one started from nothing:
the caller's arguments, environment and working directory, its own pid, and Popen's exit codes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.support import forkserver


def test_a_forked_run_has_the_callers_env_cwd_and_exit_codes(tmp_path: Path) -> None:
    env = {**os.environ, "RECONCILER_STATE_DIR": str(tmp_path / "state")}
    done = forkserver.run(["validate", "missing.yaml"], env, tmp_path, timeout=60)
    assert done.returncode == 1 and "missing.yaml" in done.stderr, done.stderr  # relative to its cwd
    assert done.args[-2:] == ["validate", "missing.yaml"]

    serving = forkserver.spawn(["sandbox", "serve", "--port", "0", "--state", "s.json"], env, tmp_path)
    assert serving.stdout is not None
    assert "http://127.0.0.1:" in serving.stdout.readline()  # listening: the banner's first line
    assert serving.pid != os.getpid() and serving.poll() is None
    serving.send_signal(signal.SIGKILL)
    assert serving.wait(timeout=30) == -signal.SIGKILL  # as Popen reports a death by signal
    assert serving.poll() == -signal.SIGKILL
