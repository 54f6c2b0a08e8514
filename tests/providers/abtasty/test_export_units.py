"""Pure parts of export: YAML text helpers, rendering a snapshot, and --update's edits on hand-written files
(no network: the account is an ``Existing`` built here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.errors import ConfigError
from reconciler.loading import load_configs
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.export.render import ExportOptions, render_export
from reconciler.providers.abtasty.export.update import UpdateOptions, update_text
from reconciler.providers.abtasty.state import Existing, ExistingMember, ExistingTest, local_to_epoch
from reconciler.yamledit.result import UpdateResult
from reconciler.yamledit.text import comment_text, double_quoted, is_plain_safe, scalar

HEADER = "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n"
PARIS = "Europe/Paris"


def epoch(local: str, tz: str = PARIS) -> int:
    return local_to_epoch(local, tz)


def account(*tests: ExistingTest, members: dict[str, str] | None = None) -> Existing:
    people = None
    if members is not None:
        people = {e.lower(): ExistingMember(i, e, r) for i, (e, r) in enumerate(sorted(members.items()))}
    return Existing(41902, tests={t.id: t for t in tests}, members=people)


def refresh(
    tmp_path: Path, body: str, existing: Existing, env: dict[str, str] | None = None, **options: object
) -> UpdateResult:
    path = tmp_path / "account.yaml"
    path.write_text(HEADER + body)
    [loaded] = load_configs([path], env=env or {})
    assert isinstance(loaded.config, AbTastyConfig)
    result = update_text(str(path), HEADER + body, loaded.config, existing, UpdateOptions(**options))  # type: ignore[arg-type]
    path.write_text(result.new_text)
    load_configs([path], env=env or {})  # still valid
    return result


# -- text -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["plain", 'a "quote"', "back\\slash", "tab\tnew\nline\r", "\x00\x07\x1b\x7f", "é日本✓", "\u2028\u2029\x85",
     "\ufeffbom", "\U0001f600 emoji", "# hash: colon", ""],
)  # fmt: skip
def test_double_quoted_reads_back_as_the_same_string(text: str) -> None:
    written = double_quoted(text)
    assert "\n" not in written and "\r" not in written and "\u2028" not in written
    assert YAML(typ="safe").load(f"key: {written}\n") == {"key": text}


@pytest.mark.parametrize(
    ("text", "plain"),
    [("a@b.co", True), ("Europe/Paris", True), ("Etc/GMT+1", True), ("no", False), ("yes", False),
     ("Off", False), ("null", False), ("~", False), ("123", False), ("1e3", False), ("0x1F", False),
     ("-dash", False), ("a b", False), ("", False), ("${ABTASTY_CLIENT_ID}", True)],
)  # fmt: skip
def test_plain_only_when_every_reader_agrees(text: str, plain: bool) -> None:
    assert is_plain_safe(text) is plain
    assert YAML(typ="safe").load(f"k: {scalar(text)}\n")["k"] == text


def test_comment_text() -> None:
    assert comment_text("") == "(no name)"
    assert comment_text('say "hi"\n') == '"say \\"hi\\"\\n"'


# -- render ---------------------------------------------------------------------------------------------


def test_render_is_deterministic_and_sorted() -> None:
    tests = [ExistingTest(i, f"t{i}", "pause", False) for i in (30, 10, 20)]
    one = render_export(account(*tests, members={"b@x.io": "user", "A@x.io": "admin"}), ExportOptions())
    two = render_export(
        account(*reversed(tests), members={"A@x.io": "admin", "b@x.io": "user"}), ExportOptions()
    )
    assert one.text == two.text
    lines = one.text.splitlines()
    assert [line for line in lines if line.startswith("  - id:")] == [
        '  - id: 10  # "t10"',
        '  - id: 20  # "t20"',
        '  - id: 30  # "t30"',
    ]
    assert [line for line in lines if "email" in line] == ["    - email: A@x.io", "    - email: b@x.io"]


def test_empty_account_is_still_a_valid_file(tmp_path: Path) -> None:
    text = render_export(account(members={}), ExportOptions()).text
    assert "tests: []" in text and "  members: []" in text
    (tmp_path / "empty.yaml").write_text(text)
    load_configs([tmp_path / "empty.yaml"])


def test_what_the_config_cannot_say_is_left_out_with_a_reason() -> None:
    weird = ExistingMember(7, "root@localhost", "admin")  # the config wants a dotted domain
    owner = ExistingMember(8, "boss@example.com", "owner")  # a role the config does not know
    existing = Existing(41902, members={"root@localhost": weird, "boss@example.com": owner})
    exported = render_export(existing, ExportOptions(tests="none"))
    assert "members: \n" not in exported.text
    assert len(exported.notes) == 2
    assert "    # member 'boss@example.com' not exported: role: " in exported.text


def test_schedule_in_the_test_s_own_timezone() -> None:
    start, stop = epoch("2026-12-01T09:00:00"), epoch("2026-12-31T23:00:00")
    text = render_export(
        account(ExistingTest(1, "x", "play", True, start, stop, PARIS)), ExportOptions()
    ).text
    assert '      start_at: "2026-12-01T09:00:00"\n      stop_at: "2026-12-31T23:00:00"\n' in text
    assert "    mode: preprod\n" in text


# -- update ---------------------------------------------------------------------------------------------


def test_unmanaged_values_are_not_touched(tmp_path: Path) -> None:
    body = "tests:\n  - id: 1\n  - id: 2\n    schedule:\n      start_at: '2026-01-01T00:00:00'\n      timezone: UTC\n"
    moved = ExistingTest(2, "b", "play", True, epoch("2026-01-01T00:00:00", "UTC"), 99999999999, "UTC")
    result = refresh(tmp_path, body, account(ExistingTest(1, "a", "play", True), moved))
    assert not result.changed  # no state declared; the stop is not managed
    assert result.findings == []


def test_a_value_from_a_variable_never_reaches_the_updater(tmp_path: Path) -> None:
    # ${VAR} is refused outside the credentials (issue 13), so the config fails to load before any edit.
    body = "tests:\n  - id: 1\n    state: ${WANTED}\n"
    with pytest.raises(ConfigError, match=r"only allowed in the credentials"):
        refresh(tmp_path, body, account(ExistingTest(1, "a", "pause", False)), env={"WANTED": "play"})


def test_mode_on_the_dash_line_is_a_hand_edit_and_the_state_stays(tmp_path: Path) -> None:
    body = "tests:\n  - mode: preprod\n    id: 1\n    state: play\n"
    result = refresh(tmp_path, body, account(ExistingTest(1, "a", "pause", False)))
    assert not result.changed  # half an edit (state without the mode line) would be an invalid file
    assert [f.kind for f in result.findings] == ["manual"]
    assert "'mode' shares its line with what comes before it" in result.findings[0].message


def test_an_anchor_is_not_rewritten(tmp_path: Path) -> None:
    body = "tests:\n  - id: 1\n    state: &live play\n  - id: 2\n    state: *live\n"
    tests = ExistingTest(1, "a", "pause", False), ExistingTest(2, "b", "play", False)
    result = refresh(tmp_path, body, account(*tests))
    assert not result.changed
    assert "shared through a YAML alias" in result.findings[0].message


@pytest.mark.parametrize("drifted", [(1,), (1, 2)], ids=["one-drifted", "both-drifted"])
def test_a_schedule_shared_through_an_alias_is_never_edited(tmp_path: Path, drifted: tuple[int, ...]) -> None:
    body = (
        "tests:\n"
        "  - id: 1\n"
        '    schedule: &launch {start_at: "2026-01-01T00:00:00", timezone: Europe/Paris}\n'
        "  - id: 2\n"
        "    schedule: *launch\n"
    )
    moved = epoch("2026-03-01T00:00:00")
    tests = [
        ExistingTest(
            i, "t", "pause", False, moved if i in drifted else epoch("2026-01-01T00:00:00"), 0, PARIS
        )
        for i in (1, 2)
    ]
    result = refresh(tmp_path, body, account(*tests))
    assert not result.changed  # test 2 (in sync) must not be rescheduled through the shared node
    assert len(result.findings) == len(drifted)
    assert all("shared through a YAML alias" in f.message for f in result.findings)


def test_schedule_fields_the_account_dropped_are_removed(tmp_path: Path) -> None:
    body = (
        "tests:\n"
        "  - id: 1\n"
        "    schedule:\n"
        '      start_at: "2026-01-01T00:00:00"\n'
        '      stop_at: "2026-02-01T00:00:00"   # end of the campaign\n'
        "      timezone: Europe/Paris\n"
        "  - id: 2\n"
        "    schedule:\n"
        '      stop_at: "2026-02-01T00:00:00"\n'
        "      timezone: Europe/Paris\n"
        "    state: pause\n"
    )
    one = ExistingTest(1, "a", "pause", False, epoch("2026-01-01T00:00:00"), 0, PARIS)
    two = ExistingTest(2, "b", "pause", False, 0, 0, PARIS)
    result = refresh(tmp_path, body, account(one, two))
    assert result.new_text == HEADER + (
        "tests:\n"
        "  - id: 1\n"
        "    schedule:\n"
        '      start_at: "2026-01-01T00:00:00"\n'
        "      timezone: Europe/Paris\n"
        "  - id: 2\n"
        "    state: pause\n"
    )


def test_a_timezone_change_rewrites_the_local_times(tmp_path: Path) -> None:
    body = "tests:\n  - id: 1\n    schedule: {start_at: '2026-06-01T09:00:00', timezone: Europe/Paris}\n"
    same_instant = ExistingTest(1, "a", "pause", False, epoch("2026-06-01T09:00:00"), 0, "America/New_York")
    result = refresh(tmp_path, body, account(same_instant))
    assert result.new_text.endswith(
        "    schedule: {start_at: '2026-06-01T03:00:00', timezone: America/New_York}\n"
    )


def test_an_unknown_account_timezone_leaves_the_schedule(tmp_path: Path) -> None:
    body = "tests:\n  - id: 1\n    schedule:\n      start_at: '2026-06-01T09:00:00'\n      timezone: UTC\n"
    result = refresh(tmp_path, body, account(ExistingTest(1, "a", "pause", False, 1, 0, "")))
    assert not result.changed
    assert "schedule left as written: no timezone is set in the account" in result.findings[0].message


def test_add_new_into_an_empty_list_and_a_missing_one(tmp_path: Path) -> None:
    tests = ExistingTest(5, "five", "play", False), ExistingTest(6, 'six "6"', "pause", False)
    result = refresh(tmp_path, "tests: []  # none yet\n", account(*tests), add_new=True)
    assert result.new_text == HEADER + (
        'tests:   # none yet\n  - id: 5  # "five"\n    state: play\n    mode: prod\n'
        '  - id: 6  # "six \\"6\\""\n    state: pause\n'
    )
    result = refresh(tmp_path, "script:\n  update_after_apply: false", account(*tests), add_new=True)
    assert result.new_text.endswith(
        'update_after_apply: false\ntests:\n  - id: 5  # "five"\n    state: play\n'
        '    mode: prod\n  - id: 6  # "six \\"6\\""\n    state: pause\n'
    )
    assert result.report(True)[0].endswith(
        ':7: tests: added 2 at the end of the list: test 5 "five", test 6 "six \\"6\\""'
    )


def test_names_resolve_exactly_and_ambiguity_is_reported(tmp_path: Path) -> None:
    body = "tests:\n  - name: Twin\n    state: play\n  - name: twin\n    state: play\n"
    tests = (
        ExistingTest(1, "Twin", "play", False),
        ExistingTest(2, "Twin", "play", False),
        ExistingTest(3, "twin", "pause", False),
    )
    result = refresh(tmp_path, body, account(*tests), tests="none")
    assert [f.kind for f in result.findings] == ["gone", "changed"]
    assert "2 tests have this name (1, ...)" in result.findings[0].message
    assert result.findings[1].message == 'tests[1] (name "twin", id 3): state play -> pause'


def test_add_new_without_a_tests_list_puts_it_before_the_memberships_that_end_the_file(
    tmp_path: Path,
) -> None:
    body = "memberships:\n  members:\n    - email: a@example.com\n      role: admin\n"
    existing = account(
        ExistingTest(7, "seven", "pause", False),
        members={"a@example.com": "admin", "b@example.com": "viewer"},
    )
    result = refresh(tmp_path, body, existing, add_new=True)  # refresh() re-validates the written file
    assert result.new_text.index("tests:") < result.new_text.index("memberships:")
    assert "b@example.com" in result.new_text.split("memberships:")[1]
