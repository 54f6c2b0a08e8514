"""Hostile YAML (issue 13, item 5): a file built to hurt the loader is refused at FILE:LINE:COL, exit 1.

A pull request writes the config and CI validates it, so every case here is a file an attacker could push:
alias bombs, deep nesting, huge integers, huge files, merge keys. Each must come back as one located
``ConfigIssue`` (``validate`` exits 1), quickly and in little memory; never a traceback, exit 3 or a crash.
Time is only bounded generously (no hang); docs/security.md records the measured figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from reconciler.config.yaml import MAX_FILE_BYTES, Document, load_document, parse_document
from reconciler.config.yaml_build import MAX_ALIAS_NODES, MAX_DEPTH, MAX_INT_DIGITS
from reconciler.errors import ConfigIssue
from tests.support import forkserver
from tests.support.e2e import run_cli

HEADER = "version: 1\nprovider: abtasty\n"
NO_HANG_SECONDS = 10  # generous: each case takes well under a second on a laptop
MB = 1024 * 1024


def billion_laughs() -> str:
    """The classic: 9 levels of 9 aliases each, 9^9 ~ 387 million strings once expanded; 370 bytes."""
    lines = [HEADER.rstrip("\n"), 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
        previous = name
    return "\n".join(lines) + "\n"


def refused(text: str) -> ConfigIssue:
    result = parse_document(text, "hostile.yaml")
    assert isinstance(result, ConfigIssue), "accepted a hostile file"
    return result


def test_billion_laughs_is_refused_at_the_alias_quickly_and_in_little_memory() -> None:
    text = billion_laughs()
    assert len(text) < 400
    tracemalloc.start()
    started = time.perf_counter()
    try:
        issue = refused(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < NO_HANG_SECONDS
    assert peak < 100 * MB, f"peak {peak / MB:.0f} MB"
    assert (issue.line, issue.column) == (8, 8)  # the first *e of f: where the total crosses the budget
    assert f"aliases repeat more than {MAX_ALIAS_NODES:,} values" in issue.message
    assert "billion laughs" in issue.message and "write the values out" in issue.message


LIMITED = """
import resource, sys
from pathlib import Path
from reconciler.config.yaml import load_document
status = Path("/proc/self/status").read_text()
size_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmSize:")))
# 100 MB of address space over what the interpreter and its imports already hold.
limit = size_kb * 1024 + 100 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
print(load_document(Path(sys.argv[1])))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_billion_laughs_fits_in_100_mb_of_address_space(tmp_path: Path) -> None:
    """In a child whose address space may grow by 100 MB at most: an expansion would die of MemoryError."""
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs())
    result = subprocess.run(
        [sys.executable, "-c", LIMITED, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}:8:8: aliases repeat more than")


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    issue = refused(HEADER + "x: &loop [1, *loop]\n")
    assert (issue.line, issue.column) == (3, 14)
    assert "alias *loop is used inside its own anchor &loop" in issue.message


def test_anchors_within_the_budget_still_work_and_are_copies() -> None:
    """A schedule shared by 5,000 tests (15,000 repeated values) is a normal use of anchors."""
    shared = "  - id: 1\n    schedule: &launch {start_at: '2031-01-01T09:00:00', timezone: Europe/Paris}\n"
    uses = "".join(f"  - id: {i}\n    schedule: *launch\n" for i in range(2, 5002))
    doc = parse_document(HEADER + "tests:\n" + shared + uses, "ok.yaml")
    assert isinstance(doc, Document)
    tests = doc.data["tests"]
    assert tests[4999]["schedule"] == {"start_at": "2031-01-01T09:00:00", "timezone": "Europe/Paris"}
    assert tests[1]["schedule"] is not tests[0]["schedule"]  # an edit of one never changes another
    # The aliased value is located at its alias; what is inside it, where the anchor wrote it.
    assert doc.positions.at(("tests", 1, "schedule")) == (7, 15)
    assert doc.positions.at(("tests", 1, "schedule", "timezone")) == (5, shared.index("Europe") - 9)


def nested_brackets(depth: int) -> str:
    return HEADER + "x: " + "[" * depth + "]" * depth + "\n"


def test_nesting_up_to_the_limit_is_accepted() -> None:
    # The top-level mapping is one level: MAX_DEPTH - 1 brackets inside it reach the limit exactly.
    assert isinstance(parse_document(nested_brackets(MAX_DEPTH - 1), "deep.yaml"), Document)


@pytest.mark.parametrize("depth", [MAX_DEPTH, 1_000, 50_000])
def test_deep_flow_nesting_is_refused_where_the_limit_is_crossed(depth: int) -> None:
    issue = refused(nested_brackets(depth))
    assert (issue.line, issue.column) == (3, 4 + MAX_DEPTH - 1)  # the bracket that opens level 65
    assert f"nesting deeper than {MAX_DEPTH} levels" in issue.message and "flatten it" in issue.message


def test_deep_block_nesting_is_refused_too() -> None:
    dashes = refused(HEADER + "x:\n" + "- " * 100_000 + "a\n")  # one line, 100,000 nested sequences
    assert (dashes.line, dashes.column) == (4, 1 + 2 * (MAX_DEPTH - 1))  # the dash that opens level 65
    indented = "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "v: 1\n"
    issue = refused(HEADER + indented)
    assert (issue.line, issue.column) == (3 + MAX_DEPTH, 1 + MAX_DEPTH)  # the mapping that opens level 65
    assert "nesting deeper" in dashes.message and "nesting deeper" in issue.message


def test_the_process_survives_nesting_that_crashed_the_c_composer(tmp_path: Path) -> None:
    """50,000 brackets segfaulted libyaml's composer: run it in a child, so a crash cannot hide as a pass."""
    path = tmp_path / "deep.yaml"
    path.write_text(nested_brackets(50_000))
    result = forkserver.run(["validate", str(path)], dict(os.environ), Path.cwd(), timeout=60)
    assert result.returncode == 1, result.stderr
    assert f"{path}:3:67: nesting deeper than {MAX_DEPTH} levels" in result.stderr


@pytest.mark.parametrize(
    ("value", "digits"),
    [("9" * 4_300, 4_300), ("9" * 5_000, 5_000), ("-" + "1" * 21, 21), ("0x" + "f" * 30, 32)],
    ids=["4300-digits", "5000-digits", "negative-21", "hex"],
)
def test_huge_integers_are_refused_at_their_column(value: str, digits: int) -> None:
    issue = refused(HEADER + "account:\n  id: " + value + "\n")
    assert (issue.line, issue.column) == (4, 7)
    assert f"an integer of {digits:,} digits: at most {MAX_INT_DIGITS}" in issue.message
    assert "quote it" in issue.message


def test_integers_up_to_20_digits_are_read() -> None:
    doc = parse_document(HEADER + f"big: {'9' * MAX_INT_DIGITS}\nsigned: -1_000\nquoted: '{'9' * 99}'\n", "x")
    assert isinstance(doc, Document)
    assert doc.data["big"] == int("9" * MAX_INT_DIGITS) and doc.data["signed"] == -1000
    assert doc.data["quoted"] == "9" * 99


def test_a_file_over_10_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HEADER + "#" * MAX_FILE_BYTES)
    size = path.stat().st_size
    started = time.perf_counter()
    issue = load_document(path)
    assert time.perf_counter() - started < NO_HANG_SECONDS
    assert isinstance(issue, ConfigIssue)
    assert str(issue).startswith(f"{path}:1:1: the file is {size:,} bytes, over the 10 MB")


def test_a_file_exactly_at_the_limit_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "full.yaml"
    path.write_text(HEADER + "#" * (MAX_FILE_BYTES - len(HEADER)))
    assert isinstance(load_document(path), Document)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_read_only_up_to_the_limit() -> None:
    """A device or FIFO reports a size of 0: reading stops one character past the limit."""
    issue = load_document(Path("/dev/zero"))
    assert isinstance(issue, ConfigIssue)
    assert f"more than {MAX_FILE_BYTES:,} bytes" in issue.message


def test_text_over_the_limit_is_refused_by_parse_document() -> None:
    issue = refused(HEADER + "#" * MAX_FILE_BYTES)
    assert "over the 10 MB" in issue.message


def test_merge_keys_are_refused_with_the_reason() -> None:
    text = HEADER + textwrap.dedent(
        """\
        base: &base {state: play}
        tests:
          - <<: *base
            id: 1
        """
    )
    issue = refused(text)
    assert (issue.line, issue.column) == (5, 5)
    assert issue.message.startswith("merge keys (<<) are not supported: a reviewer cannot see")
    assert "syntax error" not in issue.message


HOSTILE = {
    "billion-laughs": (billion_laughs(), "8:8: aliases repeat more than"),
    "recursive-alias": (HEADER + "x: &r [*r]\n", "3:8: alias *r is used inside its own anchor"),
    "1000-brackets": (nested_brackets(1_000), "3:67: nesting deeper than 64 levels"),
    "huge-integer": (HEADER + "account:\n  id: " + "9" * 4_300 + "\n", "4:7: an integer of 4,300 digits"),
    "merge-key": (HEADER + "a: &a {x: 1}\nb:\n  <<: *a\n", "5:3: merge keys (<<) are not supported"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_validate_exits_1_naming_file_line_and_column(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = HOSTILE[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    result = run_cli(monkeypatch, capsys, {}, "validate", str(path))  # asserts no traceback
    assert result.code == 1
    assert f"{path}:{expected}" in result.err


def test_validate_refuses_an_oversized_file_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HEADER + "#" * MAX_FILE_BYTES)
    result = run_cli(monkeypatch, capsys, {}, "validate", str(path))
    assert result.code == 1
    assert f"{path}:1:1: the file is {path.stat().st_size:,} bytes" in result.err


@pytest.mark.parametrize("value", ["!!int abc", "!!float abc", '!!int "-"', "!!bool maybe", '!!int ""'])
def test_an_explicit_tag_the_value_does_not_fit_is_refused_at_its_place(value: str) -> None:
    issue = refused(f"version: 1\nprovider: abtasty\naccount:\n  id: {value}\n")
    assert (issue.line, issue.column) == (4, 7)
    assert "is not a valid" in issue.message and "remove the tag or fix the value" in issue.message
