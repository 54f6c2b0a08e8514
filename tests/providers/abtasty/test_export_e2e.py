"""``reconciler export`` end to end: the CLI in-process against a sandbox over HTTP on 127.0.0.1.

The round trip is the contract: what export writes, validate accepts, the JSON Schema accepts, and
``plan --detailed-exitcode`` finds in sync (exit 0). Names that would break a comment, schedules whose
timezone the config cannot name, and the request count of a whole-account read are covered here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner
from tests.support.export import Point, check_valid, requests_made, sandbox_with

ACCOUNT = "41902"


def export_to(cli: CliRunner, path: Path, *extra: str) -> str:
    result = cli("export", "--provider", "abtasty", "--account", ACCOUNT, "-o", str(path), *extra)
    assert result.code == 0, result.err
    assert result.out == ""
    return path.read_text()


def assert_in_sync(cli: CliRunner, path: Path) -> None:
    result = cli("plan", str(path), "--detailed-exitcode")
    assert result.code == 0, result.out + result.err
    assert "No changes." in result.out


def test_demo_export_round_trips(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    text = export_to(cli, path)
    loaded = check_valid(path)
    assert len(loaded.config.tests) == len(demo.state()["tests"])  # type: ignore[union-attr]
    # one token, one page of tests, one page of members (the two lists are read concurrently)
    assert sorted(requests_made(demo)) == [
        ("GET", "/api/core/accounts/41902/membership"),
        ("GET", "/api/core/accounts/41902/tests"),
        ("POST", "/oauth/v2/token"),
    ]
    assert "${ABTASTY_CLIENT_ID}" in text and "${ABTASTY_CLIENT_SECRET}" in text
    assert_in_sync(cli, path)


def test_export_is_deterministic_and_stdout_is_the_file(
    cli: CliRunner, demo: SandboxServer, tmp_path: Path
) -> None:
    first = export_to(cli, tmp_path / "a.yaml")
    refused = cli("export", "--provider", "abtasty", "--account", ACCOUNT, "-o", str(tmp_path / "a.yaml"))
    assert refused.code == 1 and "exists: refresh it with --update" in refused.err
    second = export_to(cli, tmp_path / "a.yaml", "--force")
    assert first == second
    result = cli("export", "--provider", "abtasty", "--account", ACCOUNT)
    assert result.code == 0
    # the modeline is relative to where the file goes: stdout means the current directory
    assert result.out.splitlines()[1:] == first.splitlines()[1:]


def test_export_shape(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    text = export_to(cli, tmp_path / "demo.yaml")
    lines = text.splitlines()
    assert lines[0].startswith("# yaml-language-server: $schema=")
    assert lines[4:11] == [
        "version: 1",
        "provider: abtasty",
        "account:",
        "  id: 41902",
        "  credentials:  # read from the environment when plan and apply run",
        "    client_id: ${ABTASTY_CLIENT_ID}",
        "    client_secret: ${ABTASTY_CLIENT_SECRET}",
    ]
    black_friday = lines.index('  - id: 381316  # "Black Friday"')
    assert lines[black_friday : black_friday + 6] == [
        '  - id: 381316  # "Black Friday"',
        "    state: pause",
        "    schedule:",
        '      start_at: "2019-11-29T00:00:00"',
        '      stop_at: "2019-12-02T00:00:00"',
        "      timezone: Europe/Paris",
    ]
    assert "  prune: false  # members not listed here are left alone" in lines
    ids = [int(line.split()[2]) for line in lines if line.startswith("  - id: ")]
    assert ids == sorted(ids)
    emails = [line.split()[2] for line in lines if line.startswith("    - email: ")]
    assert emails == sorted(emails, key=str.lower)


def test_modeline_points_at_the_schema_of_the_tree(
    cli: CliRunner, demo: SandboxServer, tmp_path: Path
) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "reconciler.schema.json").write_text("{}")
    text = export_to(cli, tmp_path / "accounts" / "demo.yaml")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schema/reconciler.schema.json"
    other = tmp_path.parent / f"{tmp_path.name}-other"
    other.mkdir()
    elsewhere = export_to(cli, other / "demo.yaml")
    # No schema/ in the tree: the schema is written next to the file, so the modeline resolves.
    assert elsewhere.splitlines()[0] == "# yaml-language-server: $schema=./reconciler.schema.json"
    written = json.loads((other / "reconciler.schema.json").read_text())
    assert written["$id"].endswith("reconciler.schema.json")


def test_export_names_the_files_it_wrote_with_shared_modes(
    cli: CliRunner, demo: SandboxServer, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts"
    shop, schema = accounts / "shop.yaml", accounts / "reconciler.schema.json"
    old = os.umask(0o022)
    try:
        result = cli("export", "--provider", "abtasty", "--account", ACCOUNT, "-o", str(shop))
    finally:
        os.umask(old)
    assert result.code == 0, result.err
    # Both go into git: a config holds ${VAR}s, never a secret, so neither is private (issue 31).
    assert stat.S_IMODE(shop.stat().st_mode) == 0o644
    assert stat.S_IMODE(schema.stat().st_mode) == 0o644
    lines = result.err.splitlines()
    assert lines[-3].startswith(f"Wrote {shop}: ")
    assert lines[-2] == f"Wrote {schema}: the schema the file's modeline points at."
    assert lines[-1] == f"Next: review it, then `git add {shop} {schema}` and commit."


def test_playing_tests_only_without_members(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "playing.yaml"
    text = export_to(cli, path, "--tests", "playing", "--no-members")
    loaded = check_valid(path)
    playing = {int(k) for k, t in demo.state()["tests"].items() if t["state"] == "play"}
    assert {t.id for t in loaded.config.tests} == playing  # type: ignore[union-attr]
    assert "memberships" not in text and "state: pause" not in text
    queries = [r["query"] for r in demo.requests() if r["path"].endswith("/tests")]
    assert all("filter%5Bactive%5D=1" in q or "filter[active]=1" in q for q in queries)
    assert not any(path.endswith("/membership") for _, path in requests_made(demo))
    assert_in_sync(cli, path)


def test_no_tests_and_prune(cli: CliRunner, demo: SandboxServer, tmp_path: Path) -> None:
    path = tmp_path / "members.yaml"
    text = export_to(cli, path, "--tests", "none", "--prune")
    check_valid(path)
    assert "tests" not in text
    assert "  prune: true  # members not listed here are revoked by apply" in text
    assert_in_sync(cli, path)  # every member is listed: nothing to revoke


NASTY_NAMES = {
    381296: "Price # \"quoted\" 'single'",
    381301: "two\nlines: - [x]\r\nand a tab\t",
    381311: "Ünïcödé 日本語 ✓ \u2028line sep\u2029para \x85nel",
    381312: "#starts with a hash",
    381313: "ends with a backslash \\",
    381317: "\x07bell \x1b[31mred\x1b[0m \ufeffbom",
}


def test_names_that_could_break_a_comment(cli: CliRunner, point: Point, tmp_path: Path) -> None:
    def rename(state: dict[str, Any]) -> None:
        for test_id, name in NASTY_NAMES.items():
            state["tests"][str(test_id)]["name"] = name

    with sandbox_with(tmp_path, rename) as server:
        point(server)
        path = tmp_path / "names.yaml"
        text = export_to(cli, path)
        loaded = check_valid(path)
        assert len(loaded.config.tests) == len(server.state()["tests"])  # type: ignore[union-attr]
        assert_in_sync(cli, path)
    assert len(text.splitlines()) == len(text.split("\n")) - 1  # no stray line breaks (\r, \u2028, ...)
    for test_id, name in NASTY_NAMES.items():
        [line] = [line for line in text.splitlines() if line.startswith(f"  - id: {test_id}  # ")]
        quoted = line.split("  # ", 1)[1]
        assert YAML(typ="safe").load(quoted) == name  # the comment holds the name, escaped, on one line


def _epoch(local: str, tz: str) -> int:
    from zoneinfo import ZoneInfo

    return int(dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).timestamp())


def test_schedules_the_config_cannot_name_are_left_out(cli: CliRunner, point: Point, tmp_path: Path) -> None:
    """Empty and unknown timezones, and an instant in the repeated hour of a DST change (2022-10-30 02:30
    CET in Paris, the second 02:30): left out with a comment, so plan still finds the file in sync."""

    def schedule(state: dict[str, Any]) -> None:
        tests = state["tests"]
        tests["381311"].update(start=1_700_000_000, tz="")
        tests["381312"].update(start=1_700_000_000, stop=1_700_086_400, tz="Mars/Olympus")
        second_0230 = _epoch("2022-10-30T00:30:00", "UTC") + 3600
        tests["381313"].update(start=second_0230, tz="Europe/Paris")
        tests["381320"].update(start=_epoch("2026-03-29T03:30:00", "Europe/Paris"), tz="Europe/Paris")

    with sandbox_with(tmp_path, schedule) as server:
        point(server)
        path = tmp_path / "schedules.yaml"
        result = cli("export", "--provider", "abtasty", "--account", ACCOUNT, "-o", str(path))
        assert result.code == 0
        check_valid(path)
        assert_in_sync(cli, path)
    text = path.read_text()
    assert "# schedule not exported (start 2023-11-14T22:13:20Z): no timezone is set in the account" in text
    assert "timezone 'Mars/Olympus' is unknown here" in text
    assert "start_at falls in the repeated hour of a daylight-saving change in Europe/Paris" in text
    assert '      start_at: "2026-03-29T03:30:00"' in text  # just after the skipped hour: fine
    assert result.err.count("note: test 3813") == 3


def test_export_needs_credentials_from_the_environment(
    cli: CliRunner, demo: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ABTASTY_CLIENT_SECRET")
    result = cli("export", "--provider", "abtasty", "--account", ACCOUNT)
    assert result.code == 1
    assert "environment variable ABTASTY_CLIENT_SECRET is not set" in result.err
    assert demo.requests() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --account ID"),
        (("--account", ACCOUNT, "--check"), "--add-new and --check go with --update FILE"),
        (("--account", ACCOUNT), "give --provider NAME: several providers can export"),
        (("--account", ACCOUNT, "--provider", "nope"), "Invalid value for '--provider'"),
    ],
)
def test_usage_errors(cli: CliRunner, demo: SandboxServer, args: tuple[str, ...], message: str) -> None:
    result = cli("export", *args)
    assert result.code == 1
    assert message in result.err


def test_embedded_sandbox(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--sandbox`` reads the same persistent sandbox that ``plan --sandbox`` plans against."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "ABTASTY_CLIENT_ID",
        "ABTASTY_CLIENT_SECRET",
        "ABTASTY_API_URL",
        "ABTASTY_API2_URL",
        "ABTASTY_AUTH_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "accounts" / "demo.yaml"
    export_to(cli, path, "--sandbox")
    check_valid(path)
    result = cli("plan", str(path), "--sandbox", "--detailed-exitcode")
    assert result.code == 0, result.out + result.err
