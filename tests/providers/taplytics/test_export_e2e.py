"""``reconciler export --provider taplytics`` end to end: the CLI in-process against a sandbox over HTTP.

The round trip is the contract, as for AB Tasty: what export writes, validate and the JSON Schema accept, and
``plan --detailed-exitcode`` finds in sync (exit 0), under Link paging and cursor paging alike. Values that
need quotes keep their JSON type; what the config language cannot say is left out with a comment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.seed import initial_state
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, Result
from tests.support.export import Aim, check_valid
from tests.support.taplytics import TAPLYTICS_CANARY, taplytics_sandbox

PROJECT = "my-app"


def export_to(tap: CliRunner, path: Path, *extra: str) -> Result:
    result = tap("export", "--provider", "taplytics", "--account", PROJECT, "-o", str(path), *extra)
    assert result.code == 0, result.err
    assert result.out == ""
    return result


def assert_in_sync(tap: CliRunner, path: Path) -> None:
    result = tap("plan", str(path), "--detailed-exitcode")
    assert result.code == 0, result.out + result.err
    assert "No changes." in result.out


def user_gets(server: SandboxServer) -> list[str]:
    return [r["query"] for r in server.requests() if r["method"] == "GET" and r["path"] == "/v2/users"]


def test_a_three_page_project_round_trips(tap: CliRunner, aim: Aim, tmp_path: Path) -> None:
    with taplytics_sandbox(tmp_path, page_cap=10) as server:  # the demo's 30 users: 3 pages of 10
        aim(server)
        path = tmp_path / "app.yaml"
        result = export_to(tap, path, "-v")
        assert len(user_gets(server)) == 3
        assert [r["path"] for r in server.requests()] == ["/v2/users"] * 3  # nothing else
        assert "Wrote " + str(path) + ": 30 user(s).\n" in result.err
        assert result.err.endswith(f"`git add {path} {tmp_path / 'reconciler.schema.json'}` and commit.\n")
        loaded = check_valid(path)
        ids = [u.user_id for u in loaded.config.users]  # type: ignore[union-attr]
        assert ids == sorted(server.state()["taplytics_users"])
        assert_in_sync(tap, path)
        update = tap("export", "--update", str(path), "--check", "-v")
        assert update.code == 0 and "Up to date" in update.out
    text = path.read_text()
    assert "  api_token: ${TAPLYTICS_API_TOKEN}  # read from the environment" in text
    files = {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    assert not [p for p, content in files.items() if TAPLYTICS_CANARY in content]


def test_shape_and_determinism(tap: CliRunner, aim: Aim, tmp_path: Path) -> None:
    with taplytics_sandbox(tmp_path) as server:
        aim(server)
        first = tmp_path / "a.yaml"
        export_to(tap, first)
        export_to(tap, first, "--force", "--tests", "playing", "--no-members")  # ignored: nothing to select
        again = first.read_text()
        stdout = tap("export", "--provider", "taplytics", "--account", PROJECT)
    lines = again.splitlines()
    assert lines[0].startswith("# yaml-language-server: $schema=")
    assert stdout.out.splitlines()[1:] == lines[1:]  # the modeline is relative to where the file goes
    start = lines.index("version: 1")
    assert lines[start : start + 6] == [
        "version: 1",
        "provider: taplytics",
        "project:",
        "  name: my-app  # a label: the API token picks the project",
        "  api_token: ${TAPLYTICS_API_TOKEN}  # read from the environment when plan and apply run",
        "users:",
    ]
    beta = lines.index('  - user_id: "beta-001"')
    assert lines[beta : beta + 8] == [
        '  - user_id: "beta-001"',
        "    email: beta1@example.com",
        '    name: "Beta User 1"',
        "    custom_data:",
        "      cohort: beta",
        "      early_access: true",
        "      plan: pro",
        "      score: 10",
    ]
    user_004 = lines.index('  - user_id: "user-004"')  # no email in the project: not managed
    assert lines[user_004 : user_004 + 2] == ['  - user_id: "user-004"', '    name: "User 4"']


ODD_VALUES: dict[str, Any] = {
    "octal": "007",
    "str-true": "true",
    "yes": "yes",
    "no": "No",
    "null-word": "null",
    "hash": "# not a comment",
    "inner-hash": "a #b",
    "colon": "key: value",
    "dash": "- item",
    "empty": "",
    "unicode": "Ünïcödé ✓\u2028",
    "bool": False,
    "int": 7,
    "big-int": 10**19,
    "negative": -(10**19),
    "float": -0.5,
    "exp": 1e20,
    "tiny": 1e-7,
    "true": "a key that reads as a boolean",
    "with space": 1,
}
ODD_USERS: list[dict[str, Any]] = [
    {"user_id": "007", "name": "yes", "custom_data": ODD_VALUES},
    {"user_id": "true", "email": "t@example.com", "name": "# hash name"},
    {"user_id": "1.5", "name": "on"},
    {"user_id": "a b #c", "name": 'quote " and \\ backslash'},
]


def test_values_needing_quotes_keep_their_type(tap: CliRunner, aim: Aim, tmp_path: Path) -> None:
    with taplytics_sandbox(tmp_path, ODD_USERS) as server:
        aim(server)
        path = tmp_path / "odd.yaml"
        export_to(tap, path)
        loaded = check_valid(path)
        assert_in_sync(tap, path)
    users = {u.user_id: u for u in loaded.config.users}  # type: ignore[union-attr]
    assert sorted(users) == sorted(u["user_id"] for u in ODD_USERS)
    data = dict(users["007"].custom_data or {})
    assert data == ODD_VALUES
    assert {k: type(v) for k, v in data.items()} == {k: type(v) for k, v in ODD_VALUES.items()}
    assert users["007"].name == "yes" and users["true"].name == "# hash name"
    assert users["a b #c"].name == 'quote " and \\ backslash'
    text = path.read_text()
    assert '  - user_id: "007"' in text and '      octal: "007"' in text and "      exp: 1.0e+20" in text


def test_what_the_config_cannot_say_is_left_out_with_a_comment(
    tap: CliRunner, aim: Aim, tmp_path: Path
) -> None:
    users: list[dict[str, Any]] = [
        {"user_id": ".", "name": "Dot"},
        {"user_id": "a/b", "name": "Slash"},
        {"user_id": "lists", "name": "L", "custom_data": {"tags": ["a"], "nested": {"x": 1}, "gone": None}},
        {"user_id": "huge", "custom_data": {"n": 10**25, "ok": 1}},
        {"user_id": "unicode", "email": "p\u0430ul@example.com"},
        {"user_id": "bad-email", "email": "not-an-email", "name": "Kept"},
        {"user_id": "variable", "name": "${TAPLYTICS_API_TOKEN}", "custom_data": {"v": "x${HOME}"}},
        {"user_id": "bare"},
    ]
    with taplytics_sandbox(tmp_path, users) as server:
        aim(server)
        path = tmp_path / "odd.yaml"
        result = export_to(tap, path)
        loaded = check_valid(path)
        assert_in_sync(tap, path)
    text = path.read_text()
    assert "  # user \".\" not exported: user_id: user_id '.' cannot be used in a URL path" in text
    assert '  # user "a/b" not exported:' in text
    lists = text[text.index('user_id: "lists"') :]
    assert "    # custom_data.gone not written: the value is null;" in lists
    assert "    # custom_data.nested not written: the value is a mapping;" in lists
    assert "    # custom_data.tags not written: the value is a list;" in lists
    assert "    # custom_data.n not written: the value is an integer of 26 digits" in text
    assert "      ok: 1" in text
    # written escaped, flagged for the reviewer, and declared as meant
    assert (
        '    email: "p\\u0430ul@example.com"\n    allow_unicode_email: true\n    # email p\\u0430ul' in text
    )
    assert users_by_id(loaded)["unicode"].email == "p\u0430ul@example.com"
    assert "    # email not written: email: 'not-an-email' is not a valid email address" in text
    assert "    # name not written: it holds '${'" in text
    assert "    custom_data: {}  # nothing else to declare: the user exists" in text
    declared = {u.user_id for u in loaded.config.users}  # type: ignore[union-attr]
    assert declared == {"lists", "huge", "unicode", "bad-email", "variable", "bare"}
    assert result.err.count("note: ") == 10


def users_by_id(loaded: Any) -> dict[str, Any]:
    return {u.user_id: u for u in loaded.config.users}


def test_cursor_paging(tap: CliRunner, aim: Aim, tmp_path: Path) -> None:
    """The vendor's users reference pages by cursor (nextPaginationToken): every page is read too."""
    with taplytics_sandbox(tmp_path, dialects="cursor", page_cap=10) as server:
        aim(server)
        path = tmp_path / "cursor.yaml"
        export_to(tap, path)
        queries = user_gets(server)
        assert len(queries) == 3
        assert "paginationToken" not in queries[0]
        assert all("paginationToken=" in q for q in queries[1:])
        loaded = check_valid(path)
        assert len(loaded.config.users) == len(initial_state("demo")["taplytics_users"])  # type: ignore[union-attr]
        assert_in_sync(tap, path)


@pytest.mark.parametrize(
    ("account", "message"),
    [("${X}", "name the Taplytics project with a label"), ("a\nb", "one line")],
)
def test_bad_project_label(tap: CliRunner, aim: Aim, tmp_path: Path, account: str, message: str) -> None:
    with taplytics_sandbox(tmp_path) as server:
        aim(server)
        result = tap("export", "--provider", "taplytics", "--account", account)
        assert result.code == 1 and message in result.err
        assert server.requests() == []


def test_no_token_no_request(tap: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with taplytics_sandbox(tmp_path) as server:
        monkeypatch.setenv("TAPLYTICS_API_URL", server.url)
        monkeypatch.delenv("TAPLYTICS_API_TOKEN", raising=False)
        result = tap("export", "--provider", "taplytics", "--account", PROJECT)
        assert result.code == 1 and "TAPLYTICS_API_TOKEN is not set" in result.err
        assert server.requests() == []
