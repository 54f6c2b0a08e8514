"""The CLI on a pseudo-terminal: the prompt, Ctrl-C at the prompt and during apply, progress, and what goes
to stdout when it is a pipe. The sandbox runs in this process (real HTTP on 127.0.0.1); the CLI in a child
whose terminal is a pty, so the terminal itself turns Ctrl-C into SIGINT."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, generated, mutations, run_cli, server_env, write_config
from tests.support.terminal import CTRL_C, Terminal

pytestmark = pytest.mark.slow  # a pseudo-terminal, waiting for prompts

THREE_TESTS = """tests:
  - id: 381296
    state: play
  - name: Gil Test
    state: pause
  - id: 381321
    state: play
    mode: preprod
"""
PROMPT = "Only 'yes' is accepted"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    yield from generated(tmp_path, "demo")


def _env(server: SandboxServer, state_dir: Path) -> dict[str, str]:
    return {**os.environ, **server_env(server), "RECONCILER_STATE_DIR": str(state_dir)}


def test_declining_exits_1_and_changes_nothing(sandbox, tmp_path):
    config = write_config(tmp_path, THREE_TESTS)
    term = Terminal(["apply", str(config)], _env(sandbox, tmp_path), tmp_path)
    term.read_until(PROMPT)
    term.send(b"no\n")
    assert term.wait() == 1
    assert "Apply cancelled: nothing was changed." in term.text
    assert mutations(sandbox) == []


def test_ctrl_c_at_the_prompt_exits_130_at_once(sandbox, tmp_path):
    config = write_config(tmp_path, THREE_TESTS)
    term = Terminal(["apply", str(config)], _env(sandbox, tmp_path), tmp_path)
    term.read_until(PROMPT)
    sent = time.monotonic()
    term.send(CTRL_C)
    assert term.wait(timeout=10) == 130
    # Immediate (about 0.2 s here): the bound only proves no Enter was needed, with room for a loaded machine.
    assert time.monotonic() - sent < 5.0
    assert mutations(sandbox) == []


def test_ctrl_c_during_apply_reports_and_exits_130_then_a_rerun_converges(
    sandbox, tmp_path, monkeypatch, capsys
):
    config = write_config(tmp_path, THREE_TESTS)
    sandbox.set_faults(latency_ms=700)  # each change takes a while: there is time to interrupt
    env = _env(sandbox, tmp_path)
    term = Terminal(["apply", str(config), "--parallelism", "1"], env, tmp_path)
    term.read_until(PROMPT)
    term.send(b"yes\n")
    term.read_until("applied: ", timeout=30)
    term.send(CTRL_C)
    assert term.wait(timeout=60) == 130
    text = term.text
    assert "stopping. Nothing new starts" in text
    assert "Apply interrupted:" in text and "not started" in text
    sandbox.set_faults(latency_ms=0)
    # The rerun and the plan after it are not about the terminal: in-process, with the interrupted run's state
    # directory and working directory (run_cli also fails on the canary secret or a traceback in the output).
    monkeypatch.chdir(tmp_path)
    rerun_env = {**server_env(sandbox), "RECONCILER_STATE_DIR": str(tmp_path)}
    rerun = run_cli(monkeypatch, capsys, rerun_env, "apply", str(config), "--auto-approve")
    assert rerun.code == 0, rerun.err
    again = run_cli(monkeypatch, capsys, rerun_env, "plan", str(config), "--detailed-exitcode")
    assert again.code == 0, again.all
    assert CANARY_SECRET not in rerun.all + again.all


def test_progress_shows_during_a_slow_plan(sandbox, tmp_path):
    config = write_config(tmp_path, THREE_TESTS + "memberships:\n  members: []\n")
    sandbox.set_faults(latency_ms=1500)
    term = Terminal(["plan", str(config)], _env(sandbox, tmp_path), tmp_path)
    term.read_until("abtasty account 41902 pages", timeout=20)  # the live bar, before the plan is printed
    assert "Plan:" not in term.text
    assert term.wait(timeout=60) == 0


def test_quiet_shows_no_progress(sandbox, tmp_path):
    config = write_config(tmp_path, THREE_TESTS)
    sandbox.set_faults(latency_ms=500)
    term = Terminal(["plan", str(config), "--quiet"], _env(sandbox, tmp_path), tmp_path)
    assert term.wait(timeout=60) == 0
    assert " pages" not in term.text and "Plan: 0 to add, 4 to change" in term.text


def test_only_the_plan_on_stdout_when_piped(sandbox, tmp_path):
    config = write_config(tmp_path, THREE_TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(config)],
        env=_env(sandbox, tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == f"abtasty account 41902 ({config}):"
    assert lines[-1] == "Plan: 0 to add, 4 to change, 0 to remove."
    assert "\x1b" not in done.stdout and "pages" not in done.stdout
