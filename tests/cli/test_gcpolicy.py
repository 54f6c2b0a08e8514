"""The collector's policy for one-shot commands (reconciler.gcpolicy, issue 29): off until the config is
loaded, then frozen and rare; long-running commands and in-process callers keep Python's defaults."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import gcpolicy
from reconciler.sandbox.server import SandboxServer
from tests.cli.test_startup import CONFIG
from tests.support.e2e import server_env

# A new interpreter runs the console entry point; when it is about to exit, the collector's state is written
# to argv[1] (the frozen count says the load froze what was alive).
PROBE = """
import gc, json, sys
from reconciler import gcpolicy
from reconciler.cli import main
def report():
    state = {"enabled": gc.isenabled(), "threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}
    open(sys.argv[1], "w").write(json.dumps(state))
    gcpolicy_exiting()
gcpolicy_exiting = gcpolicy.exiting
gcpolicy.exiting = report
main(sys.argv[2:])
"""


@pytest.fixture
def restored() -> Iterator[None]:
    """The collector as a fresh process has it (the suite froze what collection left alive: tests/conftest.py),
    and as the suite had it afterwards."""
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    yield
    gcpolicy.stop()
    if frozen:
        gc.freeze()


def test_the_command_is_the_first_word_that_is_not_an_option() -> None:
    assert gcpolicy.command_of(["-v", "plan", "a.yaml"]) == "plan"
    assert gcpolicy.command_of(["--version"]) is None


def test_a_one_shot_command_runs_without_the_collector_until_its_config_is_loaded(restored: None) -> None:
    assert gc.get_freeze_count() == 0
    assert gcpolicy.start(["plan", "shop.yaml"])
    assert not gc.isenabled()
    gcpolicy.loaded()
    assert gc.isenabled()
    assert gc.get_threshold() == gcpolicy.THRESHOLD
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("argv", [["watch", "accounts/"], ["sandbox", "serve"], ["--help"]])
def test_long_running_commands_keep_pythons_defaults(restored: None, argv: list[str]) -> None:
    before = gc.get_threshold()
    assert not gcpolicy.start(argv)
    gcpolicy.loaded()
    gcpolicy.exiting()
    assert gc.isenabled()
    assert gc.get_threshold() == before


def test_a_plan_run_from_the_console_entry_point_collects_rarely_after_its_load(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    config = tmp_path / "shop.yaml"
    config.write_text(CONFIG)
    report = tmp_path / "gc.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), "plan", str(config)],
        env={**os.environ, **server_env(sandbox)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "No changes." in done.stdout
    state = json.loads(report.read_text())
    assert state["enabled"] is True
    assert tuple(state["threshold"]) == gcpolicy.THRESHOLD
    assert state["frozen"] > 10_000  # the modules, the config: everything alive once the load was done
