"""scripts/demo.sh as a new user meets it: bold steps on a terminal, plain text in a pipe or under NO_COLOR,
and no line about directories nobody asked to search (issue 31)."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOLD = b"\x1b[1m"
STEP = ["bash", "-c", "source scripts/style.sh && step reconciler plan"]


def _on_a_pty(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run ``argv`` with stdout (and stdin, stderr) on a pseudo-terminal: its exit code and output."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    output = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        try:
            chunk = os.read(fd, 65536) if ready else b""
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            break
        output += chunk
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return {**env, "TERM": "xterm", **extra}


def test_a_step_is_bold_on_a_terminal() -> None:
    code, out = _on_a_pty(STEP, _env(), ROOT)
    assert code == 0 and BOLD + b"$ reconciler plan" in out


def test_a_step_is_plain_in_a_pipe() -> None:
    done = subprocess.run(STEP, cwd=ROOT, env=_env(), capture_output=True, check=True)
    assert done.stdout == b"\n$ reconciler plan\n"


@pytest.mark.parametrize(("value", "bold"), [("1", False), ("", True)])
def test_no_color_set_to_anything_turns_bold_off(value: str, bold: bool) -> None:
    code, out = _on_a_pty(STEP, _env(NO_COLOR=value), ROOT)  # an empty NO_COLOR is unset (no-color.org)
    assert code == 0 and (BOLD in out) is bold and b"$ reconciler plan" in out


@pytest.mark.slow
def test_the_whole_demo_on_a_terminal(tmp_path: Path) -> None:
    """The real script in a copy of the layout it expects (so its sandbox state is its own)."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    code, out = _on_a_pty(["bash", "scripts/demo.sh"], _env(), tmp_path)
    text = out.decode("utf-8", "replace")
    assert code == 0, text
    assert BOLD + b"$ reconciler validate examples/" in out
    assert "hidden directory" not in text  # examples/ci/.github and .gitlab are tools' own
    assert "(exit 0: the account matches the configuration)" in text
