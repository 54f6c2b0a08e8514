"""Every file under tests/config/bad/ is invalid: validate must exit 1, print the expected FILE:LINE:COL
message from the file's ``# expect:`` header, and never a traceback.

Each file is validated in-process (``run_cli``: the same ``run()`` the entry point calls, ~0.5 s of
interpreter start-up less per file); the run over the whole directory goes through ``python -m reconciler``,
so the entry point, its exit code and its stderr are proved on a real process once.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import forkserver
from tests.support.e2e import Result, run_cli

HERE = Path(__file__).parent
BAD = sorted((HERE / "bad").glob("*.yaml"))
EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")


@pytest.fixture
def validate(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``reconciler validate PATHS`` in-process (``run_cli`` also fails the test on a traceback)."""

    def invoke(*paths: Path) -> Result:
        return run_cli(monkeypatch, capsys, {}, "validate", *map(str, paths))

    return invoke


def run_validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    """``python -m reconciler validate PATHS`` in its own process."""
    return forkserver.run(["validate", *map(str, paths)], dict(os.environ), Path.cwd(), timeout=60)


def expectation(path: Path) -> tuple[int, int, str]:
    text = path.read_text()
    match = EXPECT.match(text.splitlines()[0] if text else "")
    if match is None:  # an empty file cannot carry a header: its expectation is fixed here
        return 1, 1, "empty file"
    return int(match.group(1)), int(match.group(2)), match.group(3)


def test_there_are_at_least_30_bad_configs() -> None:
    assert len(BAD) >= 30


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_config_is_reported_at_its_line(path: Path, validate: Callable[..., Result]) -> None:
    line, col, message = expectation(path)
    result = validate(path)
    assert result.code == 1, result.err
    assert "Traceback" not in result.all
    prefix = f"{path}:{line}:{col}: "
    located = [out for out in result.err.splitlines() if out.startswith(prefix)]
    assert located, f"no line starting with {prefix!r} in:\n{result.err}"
    assert any(message in out for out in located), f"{message!r} not in {located}"


def test_same_account_in_two_files_names_both(validate: Callable[..., Result]) -> None:
    pair = HERE / "bad_pair"
    result = validate(pair)
    assert result.code == 1
    assert (
        f"{pair / 'b.yaml'}:5:7: abtasty account 41902 is also declared in {pair / 'a.yaml'}:4" in result.err
    )


def test_all_errors_of_all_files_at_once_sorted() -> None:
    result = run_validate(HERE / "bad")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(HERE))]
    assert len({line.split(":")[0] for line in lines}) == len(BAD)
    assert result.stderr.strip().endswith("problems found.")
