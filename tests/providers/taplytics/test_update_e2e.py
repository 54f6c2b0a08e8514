"""``reconciler export --update`` on a Taplytics config end to end: a hand-formatted file (comments, odd
indentation, quoting styles, flow mappings, CRLF) refreshed from a sandbox whose users drifted; every line but
the drifted values stays byte for byte, and ``plan`` then finds the file in sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e import CliRunner
from tests.support.export import Aim, check_valid
from tests.support.taplytics import taplytics_sandbox

HAND_WRITTEN = """\
# yaml-language-server: $schema=../schema/reconciler.schema.json
#
# QA project. Ask in #qa before changing it.

version: 1
provider:   taplytics          # aligned comments
project:
    name: my-app
    api_token: ${TAPLYTICS_API_TOKEN}

users:
    # --- QA cohort ---
    -   user_id: 'qa-001'          # the first tester
        email:   qa+001@example.com
        name:    "QA Tester 1"
        custom_data:
            cohort: qa

    -   user_id: "qa-002"
        name: QA Tester 2        # renamed below
    - {user_id: beta-001, name: Beta User 1, custom_data: {plan: pro, score: 10}}
    - user_id: "beta-002"
      custom_data:
        early_access: true     # a boolean
        beta: "true"           # a string
        plan: free
    - user_id: gone-001        # deleted from the project
      name: Gone
# the end
"""

# The project now: drifted values, a user gone, two users the file lacks.
PROJECT_USERS: list[dict[str, Any]] = [
    {
        "user_id": "qa-001",
        "email": "qa+001@example.com",
        "name": "QA Tester One",
        "custom_data": {"cohort": "qa"},
    },
    {"user_id": "qa-002", "name": "yes", "custom_data": {"cohort": "qa"}},
    {"user_id": "beta-001", "name": "Beta User 1", "custom_data": {"plan": "007", "score": 11.5}},
    {"user_id": "beta-002", "custom_data": {"early_access": False, "beta": True, "plan": "free"}},
    {"user_id": "new-001", "name": "New # one"},
    {"user_id": "007", "custom_data": {"x": "yes"}},
]

# Line number (1-based) -> the line after the update. Every other line must stay byte for byte.
EXPECTED_LINES = {
    15: '        name:    "QA Tester One"',
    20: '        name: "yes"              # renamed below',
    21: '    - {user_id: beta-001, name: Beta User 1, custom_data: {plan: "007", score: 11.5}}',
    24: "        early_access: false    # a boolean",
    25: "        beta: true             # a string",
}


def write(path: Path, text: str, newline: str = "\n") -> None:
    path.write_bytes(text.replace("\n", newline).encode())


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_update_keeps_every_line_but_the_drifted_values(
    tap: CliRunner, aim: Aim, tmp_path: Path, newline: str
) -> None:
    path = tmp_path / "app.yaml"
    write(path, HAND_WRITTEN, newline)
    with taplytics_sandbox(tmp_path, PROJECT_USERS) as server:
        aim(server)
        result = tap("export", "--update", str(path))
        assert result.code == 0, result.err
        raw = path.read_bytes().decode()
        assert raw.count("\n") == raw.count(newline)  # no line ending changed kind
        before, after = HAND_WRITTEN.splitlines(), raw.split(newline)[:-1]
        assert len(after) == len(before)
        for number, (old, new) in enumerate(zip(before, after, strict=True), start=1):
            assert new == EXPECTED_LINES.get(number, old), f"line {number}"
        p = str(path)
        assert result.out.splitlines() == [
            f'{p}:15: users[0] (qa-001): name "QA Tester 1" -> "QA Tester One"',
            f'{p}:20: users[1] (qa-002): name "QA Tester 2" -> "yes"',
            f'{p}:21: users[2] (beta-001): custom_data.plan "pro" -> "007"',
            f"{p}:21: users[2] (beta-001): custom_data.score 10 -> 11.5",
            f"{p}:24: users[3] (beta-002): custom_data.early_access true -> false",
            f'{p}:25: users[3] (beta-002): custom_data.beta "true" -> true',
            f"{p}:27: users[4] (gone-001): not in project my-app any more; left in the file",
            "not in the file: user 007",
            'not in the file: user new-001 "New # one"',
            f"Updated {p}: 6 value(s) changed, 1 declared but gone from the account, "
            "2 in the account but not in the file (--add-new appends them).",
        ]
        check_valid(path, schema=False)
        assert tap("export", "--update", str(path), "--check").code == 2  # gone-001 is still declared
        write(
            path,
            raw.replace(
                f"    - user_id: gone-001        # deleted from the project{newline}      name: Gone{newline}",
                "",
            ),
        )
        assert tap("plan", str(path), "--detailed-exitcode").code == 0
        again = tap("export", "--update", str(path), "--check")
        assert again.code == 0 and again.out.startswith("not in the file: user 007\n")


def test_check_writes_nothing_and_exits_2(tap: CliRunner, aim: Aim, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    write(path, HAND_WRITTEN, "\r\n")
    with taplytics_sandbox(tmp_path, PROJECT_USERS) as server:
        aim(server)
        result = tap("export", "--update", str(path), "--check")
        assert result.code == 2
        assert path.read_bytes() == HAND_WRITTEN.replace("\n", "\r\n").encode()
        assert f"Would update {path}: 6 value(s) changed" in result.out
        assert f"{path}:20: users[1] (qa-002)" in result.out
        assert not [r for r in server.requests() if r["method"] != "GET"]


def test_add_new_appends_users_written_as_export_writes_them(
    tap: CliRunner, aim: Aim, tmp_path: Path
) -> None:
    path = tmp_path / "app.yaml"
    head = HAND_WRITTEN[: HAND_WRITTEN.index("    - user_id: gone-001")]
    write(path, head, "\r\n")
    with taplytics_sandbox(tmp_path, PROJECT_USERS) as server:
        aim(server)
        result = tap("export", "--update", str(path), "--add-new")
        assert result.code == 0, result.err
        assert f"{path}:27: users: added 2 at the end of the list: 007, new-001" in result.out
        raw = path.read_bytes().decode()
        assert raw.count("\n") == raw.count("\r\n")
        assert raw.endswith(
            # laid out like the list's first entry (`-   user_id`), CRLF like the rest of the file
            '        plan: free\r\n    -   user_id: "007"\r\n        custom_data:\r\n          x: "yes"\r\n'
            '    -   user_id: "new-001"\r\n        name: "New # one"\r\n'
        )
        assert tap("plan", str(path), "--detailed-exitcode").code == 0
        assert tap("export", "--update", str(path), "--check").code == 0


def test_an_empty_file_adopts_the_whole_project(tap: CliRunner, aim: Aim, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("version: 1\nprovider: taplytics\nproject:\n  name: my-app\nusers: []  # none yet\n")
    with taplytics_sandbox(tmp_path, page_cap=10) as server:
        aim(server)
        result = tap("export", "--update", str(path), "--add-new")
        assert result.code == 0, result.err
        assert "users: added 30 at the end of the list: beta-001, beta-002," in result.out
        loaded = check_valid(path)
        assert len(loaded.config.users) == 30  # type: ignore[union-attr]
        assert tap("plan", str(path), "--detailed-exitcode").code == 0


ODD_FILE = """\
version: 1
provider: taplytics
project:
  name: my-app
users:
  - user_id: "a"
    name: A
    custom_data: &shared
      cohort: qa
  - user_id: "b"
    custom_data: *shared
  - user_id: "c"
    email: c@example.com
    custom_data: {tags: x, left: 1}
  - user_id: "d"
    email: d@example.com
    name: D
  - user_id: "e"
    name: E
"""


def test_what_cannot_be_written_is_left_for_a_hand_edit(tap: CliRunner, aim: Aim, tmp_path: Path) -> None:
    users: list[dict[str, Any]] = [
        {"user_id": "a", "name": "A", "custom_data": {"cohort": "qa"}},
        {"user_id": "b", "custom_data": {"cohort": "beta"}},  # through the alias
        {
            "user_id": "c",
            "email": "c@example.com",
            "custom_data": {"tags": ["x", "y"]},
        },  # a list; left is gone
        {"user_id": "d", "email": "d\u0430@example.com"},  # lookalike letter; name gone
        {"user_id": "e", "custom_data": {"k": 1}},  # its only declared field gone
    ]
    path = tmp_path / "odd.yaml"
    path.write_text(ODD_FILE)
    with taplytics_sandbox(tmp_path, users) as server:
        aim(server)
        result = tap("export", "--update", str(path))
        assert result.code == 0, result.err
    p = str(path)
    assert result.out.splitlines() == [
        f'{p}:9: users[1] (b): custom_data.cohort "qa" -> "beta": edit it by hand (it is shared through a '
        "YAML alias, so the edit would change every entry that uses it)",
        f'{p}:14: users[2] (c): custom_data.tags "x" -> ["x", "y"]: edit it by hand (the value is a list; '
        "custom_data holds strings, numbers and booleans)",
        f"{p}:14: users[2] (c): custom_data.left 1: removed (the user has none any more): edit it by hand "
        "(the key is in a flow mapping { ... })",
        f'{p}:16: users[3] (d): email "d@example.com" -> "d\u0430@example.com": edit it by hand (it has '
        "U+0430 CYRILLIC SMALL LETTER A: add allow_unicode_email: true to the entry if it is meant)",
        f'{p}:17: users[3] (d): name "D": removed (the user has none any more)',
        f'{p}:18: users[4] (e): name "E": removed (the user has none any more): edit it by hand (the entry '
        "would declare nothing: remove the user, or write custom_data: {}) (line 19 before the update)",
        f"Updated {p}: 1 value(s) changed, 5 to edit by hand.",
    ]
    assert path.read_text() == ODD_FILE.replace("    name: D\n", "")
