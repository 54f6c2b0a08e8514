"""``reconciler export --update`` end to end: change the sandbox with ``apply``, refresh a hand-written config,
compare the files line by line, and check that ``plan`` then finds the file in sync."""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, write_config
from tests.support.export import check_valid

HAND_WRITTEN = """\
# yaml-language-server: $schema=../schema/reconciler.schema.json
#
# Production account. Owned by the growth team: ask in #growth before changing it.

version: 1
provider:   abtasty            # aligned comments
account:
    id: 41902
    safety:
        max_pause_fraction: 1.0

tests:
    # --- homepage ---
    -   id:    365111          # Gil's master segment
        state: 'play'
        mode:  prod

    -   name: "Public API Test"   # by name on purpose
        state: pause              # paused until the launch

    -   id: 381316
        state: pause
        schedule: {start_at: "2019-11-29T00:00:00", stop_at: "2019-12-02T00:00:00", timezone: Europe/Paris}
    -   id: 381317   # summer
        schedule:
            start_at: 2019-07-01T00:00:00     # unquoted on purpose
            timezone: Europe/Paris

memberships:
    prune: false
    members:
        - {email: remi@abtasty.com, role: admin}
        - email: Julie.Martin@example.com   # capitalised in the file
          role: "user"

        - email: paul.durand@example.com
          role: creator
# the end
"""

# What someone changed by hand in the account, as a config apply can make true.
DRIFT = """\
tests:
  - id: 365111
    state: play
    mode: preprod
  - id: 381296
    state: play
  - id: 381316
    schedule:
      stop_at: "2019-12-03T00:00:00"
      timezone: Europe/Paris
  - id: 381317
    schedule:
      start_at: "2019-07-02T08:00:00"
      timezone: Europe/Paris
memberships:
  members:
    - email: remi@abtasty.com
      role: user
    - email: julie.martin@example.com
      role: viewer
"""

# Line number (1-based) -> the line after the update. Every other line must stay byte for byte.
EXPECTED_LINES = {
    16: "        mode:  preprod",
    19: "        state: play               # paused until the launch",
    23: '        schedule: {start_at: "2019-11-29T00:00:00", stop_at: "2019-12-03T00:00:00", '
    "timezone: Europe/Paris}",
    26: "            start_at: 2019-07-02T08:00:00     # unquoted on purpose",
    32: "        - {email: remi@abtasty.com, role: user}",
    34: '          role: "viewer"',
}


def drift(cli: CliRunner, tmp_path: Path, body: str) -> None:
    config = write_config(tmp_path, body, name="drift.yml")
    result = cli("apply", str(config), "--auto-approve")
    assert result.code == 0, result.out + result.err


def test_update_keeps_every_line_but_the_drifted_values(
    cli: CliRunner, demo: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "prod.yaml"
    path.write_text(HAND_WRITTEN)
    assert cli("plan", str(path), "--detailed-exitcode").code == 0  # in sync to begin with
    drift(cli, tmp_path, DRIFT)

    result = cli("export", "--update", str(path), "--tests", "none")
    assert result.code == 0, result.err
    before, after = HAND_WRITTEN.splitlines(), path.read_text().splitlines()
    assert len(after) == len(before)
    for number, (old, new) in enumerate(zip(before, after, strict=True), start=1):
        assert new == EXPECTED_LINES.get(number, old), f"line {number}"
    p = str(path)
    assert result.out.splitlines() == [
        f"{p}:16: tests[0] (id 365111): mode prod -> preprod",
        f'{p}:19: tests[1] (name "Public API Test", id 381296): state pause -> play',
        f"{p}:23: tests[2] (id 381316): schedule.stop_at 2019-12-02T00:00:00 -> 2019-12-03T00:00:00",
        f"{p}:26: tests[3] (id 381317): schedule.start_at 2019-07-01T00:00:00 -> 2019-07-02T08:00:00",
        f"{p}:32: memberships.members[0] (remi@abtasty.com): role admin -> user",
        f"{p}:34: memberships.members[1] (Julie.Martin@example.com): role user -> viewer",
        *[line for line in result.out.splitlines() if line.startswith("not in the file: member ")],
        f"Updated {p}: 6 value(s) changed, 12 in the account but not in the file (--add-new appends them).",
    ]
    check_valid(path, schema=False)
    assert cli("plan", str(path), "--detailed-exitcode").code == 0
    again = cli("export", "--update", str(path), "--check", "--tests", "none")
    assert again.code == 0
    assert again.out.endswith(
        f"Up to date: {p}: no value changed, 12 in the account but not in the file "
        "(--add-new appends them).\n"
    )


def test_check_writes_nothing_and_exits_2(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "prod.yaml"
    path.write_text(HAND_WRITTEN)
    drift(cli, tmp_path, DRIFT)
    result = cli("export", "--update", str(path), "--check", "--no-members", "--tests", "none")
    assert result.code == 2
    assert path.read_text() == HAND_WRITTEN
    assert f"Would update {path}: 4 value(s) changed." in result.out
    assert f"{path}:19: tests[1]" in result.out  # lines of the file as it is


def test_mode_lines_follow_the_state(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    """A mode line goes with a paused test, and comes for a test now playing in preprod."""
    body = (
        "tests:\n"
        "- id: 381314     # a zero-indent list\n"
        "  state: play\n"
        "  mode: preprod  # QA first\n"
        "- id: 381296\n"
        "  state: pause\n"
        "- id: 381310\n"
        "  state: play\n"
    )
    path = write_config(tmp_path, body)
    drift(
        cli, tmp_path, "tests:\n- id: 381314\n  state: pause\n- id: 381296\n  state: play\n  mode: preprod\n"
    )
    result = cli("export", "--update", str(path), "--tests", "none")
    assert result.code == 0, result.err
    assert path.read_text().split("tests:\n")[1] == (
        "- id: 381314     # a zero-indent list\n"
        "  state: pause\n"
        "- id: 381296\n"
        "  state: play\n"
        "  mode: preprod\n"
        "- id: 381310\n"
        "  state: play\n"
    )
    assert result.out.splitlines() == [
        f"{path}:7: tests[0] (id 381314): state play -> pause",
        f"{path}:8: tests[0] (id 381314): mode preprod: removed (the test is paused)",  # where it was
        f"{path}:9: tests[1] (id 381296): state pause -> play (line 10 before the update)",
        f"{path}:10: tests[1] (id 381296): mode (prod) -> preprod: added",
        f"Updated {path}: 4 value(s) changed.",
    ]
    assert cli("plan", str(path), "--detailed-exitcode").code == 0


def test_check_and_write_report_both_files_lines(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    """--check numbers the file as it is, the write as it becomes; a moved line names the other, labelled
    (issue 31: the two runs' numbers disagreed without saying why)."""
    body = "tests:\n- id: 381314\n  state: play\n  mode: preprod\n- id: 381296\n  state: pause\n"
    path = write_config(tmp_path, body)
    drift(cli, tmp_path, "tests:\n- id: 381314\n  state: pause\n- id: 381296\n  state: play\n")
    check = cli("export", "--update", str(path), "--tests", "none", "--check")
    assert check.code == 2, check.err
    assert f"{path}:10: tests[1] (id 381296): state pause -> play (line 9 after the update)" in check.out
    assert f"{path}:7: tests[0] (id 381314): state play -> pause" in check.out  # not moved: no label
    written = cli("export", "--update", str(path), "--tests", "none")
    assert f"{path}:9: tests[1] (id 381296): state pause -> play (line 10 before the update)" in written.out


def test_gone_entries_are_reported_not_dropped(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    body = (
        "tests:\n"
        "  - id: 999999\n"
        "    state: play\n"
        "  - name: No Such Test\n"
        "    state: pause\n"
        "memberships:\n"
        "  prune: true\n"
        "  members:\n"
        "    - email: left.the.company@example.com\n"
        "      role: user\n"
    )
    path = write_config(tmp_path, body)
    result = cli("export", "--update", str(path), "--tests", "none")
    assert result.code == 0, result.err
    assert path.read_text().endswith(body)
    p = str(path)
    assert f"{p}:6: tests[0] (id 999999): not in account 41902 any more; left in the file" in result.out
    assert f'{p}:8: tests[1] (name "No Such Test"): no test has this name in account 41902' in result.out
    assert (
        f"{p}:13: memberships.members[0] (left.the.company@example.com): not a member of account 41902 any more"
        in result.out
    )
    assert (
        "not in the file: member remi@abtasty.com (admin); apply would revoke them (prune: true)"
        in result.out
    )
    assert "not in the file: test" not in result.out  # --tests none
    assert cli("export", "--update", str(path), "--check", "--tests", "none").code == 2


def test_add_new_appends_in_the_file_s_own_style(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    body = (
        "tests:\n"
        "- id: 365111  # Gil\n"
        "  state: play\n"
        "memberships:\n"
        "  members:\n"
        "  - email: remi@abtasty.com\n"
        "    role: admin\n"
        "# end of the members\n"
    )
    path = write_config(tmp_path, body)
    result = cli("export", "--update", str(path), "--add-new", "--tests", "playing")
    assert result.code == 0, result.err
    text = path.read_text()
    assert text.startswith(
        "version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n- id: 365111  # Gil\n  state: play\n"
        '- id: 367659  # "test"\n  state: play\n  mode: prod\n'
    )
    assert "  - email: arthur.charbit@abtasty.com\n    role: admin\n" in text
    assert text.endswith("# end of the members\n")
    assert "state: pause" not in text
    loaded = check_valid(path)
    playing = {int(k) for k, t in demo.state()["tests"].items() if t["state"] == "play"}
    assert {t.id for t in loaded.config.tests} == playing
    assert len(loaded.config.memberships.members) == len(demo.state()["members"])
    assert f"{path}:8: tests: added {len(playing) - 1} at the end of the list: test 367659" in result.out
    assert cli("plan", str(path), "--detailed-exitcode").code == 0


def test_crlf_and_account_mismatch(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "windows.yaml"
    original = "version: 1\r\nprovider: abtasty\r\naccount:\r\n  id: 41902\r\ntests:\r\n  - id: 381296\r\n    state: play\r\n"
    path.write_bytes(original.encode())
    result = cli("export", "--update", str(path))
    assert result.code == 0, result.err
    assert path.read_bytes() == original.replace("state: play", "state: pause").encode()
    wrong = cli("export", "--update", str(path), "--account", "1")
    assert wrong.code == 1 and "describes account 41902, not 1" in wrong.err
