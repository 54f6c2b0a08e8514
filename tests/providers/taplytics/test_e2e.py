"""``reconciler plan`` / ``apply`` for Taplytics, end to end: the CLI in-process against a real sandbox over
HTTP on 127.0.0.1 (issue 7's acceptance list).

plan -> apply -> plan --detailed-exitcode exits 0; pagination across pages driven by the Link header, checked
in the sandbox's request log; the token only ever in the x-access-token header and in no output; a 402
reported with the server's message, sent once, the other changes still applied; ``--sandbox`` on the example.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import Result, run_cli, sandbox_server
from tests.support.taplytics import TAPLYTICS_CANARY, api_requests, write_taplytics

ROOT = Path(__file__).resolve().parents[3]
LIMIT_MESSAGE = "Request failed: the user limit of your plan is reached"


@pytest.fixture
def tap(tmp_path: Path) -> Iterator[SandboxServer]:
    """The demo project (30 users) at 10 users a page, so a full listing spans three pages."""
    with sandbox_server(seed="demo", page_cap=10, taplytics_token=TAPLYTICS_CANARY) as server:
        yield server


@pytest.fixture
def tcli(tap: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the CLI against ``tap`` with the canary token; the token may appear in no output."""
    monkeypatch.setenv("TAPLYTICS_API_URL", tap.url)
    monkeypatch.setenv("TAPLYTICS_API_TOKEN", TAPLYTICS_CANARY)

    def invoke(*args: str, **env: str) -> Result:
        result = run_cli(monkeypatch, capsys, env, *args)
        assert TAPLYTICS_CANARY not in result.all, "the Taplytics token leaked into the output"
        return result

    return invoke


DESIRED: list[dict[str, Any]] = [
    {"user_id": "qa-001", "email": "qa+001@example.com", "custom_data": {"cohort": "qa", "beta": "true"}},
    {"user_id": "qa-002", "name": "QA Two"},
    {"user_id": "qa-100", "email": "qa100@example.com", "name": "QA 100", "custom_data": {"cohort": "qa"}},
]


def posts(server: SandboxServer) -> list[tuple[str, Any]]:
    return [(r["path"], r["body"]) for r in api_requests(server) if r["method"] == "POST"]


def assert_header_only(server: SandboxServer) -> None:
    log = api_requests(server)
    assert log and all(r["token_via"] == "header" for r in log)
    assert not any("api_token" in (r.get("query") or "") for r in log)
    assert TAPLYTICS_CANARY not in json.dumps(log)


def test_plan_apply_then_in_sync(tcli: Any, tap: SandboxServer, tmp_path: Path) -> None:
    config = str(write_taplytics(tmp_path, DESIRED))
    planned = tcli("plan", config, "--detailed-exitcode")
    assert planned.code == 2, planned.err
    assert planned.out.splitlines() == [
        f"taplytics project my-app ({config}):",
        '  ~ user qa-001 "QA Tester 1": custom_data.beta (unset) -> "true"',
        '  ~ user qa-002 "QA Tester 2": name "QA Tester 2" -> "QA Two"',
        '  + user qa-100 "QA 100": email "qa100@example.com", name "QA 100", custom_data.cohort "qa"',
        "",
        "Plan: 1 to add, 2 to change, 0 to remove.",
    ]
    assert posts(tap) == []  # a plan never writes
    tap.clear_requests()
    applied = tcli("apply", config, "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 3 applied, 0 failed, 0 skipped." in applied.out
    assert sorted(posts(tap)) == [  # what differs, one POST per user; custom_data whole (issue 25, item 2)
        ("/v2/users/qa-001", {"custom_data": {"cohort": "qa", "beta": "true"}}),
        ("/v2/users/qa-002", {"name": "QA Two"}),
        (
            "/v2/users/qa-100",
            {"email": "qa100@example.com", "name": "QA 100", "custom_data": {"cohort": "qa"}},
        ),
    ]
    users = tap.state()["taplytics_users"]
    assert users["qa-001"]["custom_data"] == {"cohort": "qa", "beta": "true"}
    again = tcli("plan", config, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert "No changes." in again.out
    assert_header_only(tap)


def test_pagination_follows_the_link_header_across_three_pages(
    tcli: Any, tap: SandboxServer, tmp_path: Path
) -> None:
    # Users on pages 2 and 3 (10 a page), more than the pages left: the links are followed, not each read.
    wanted = [f"beta-{k:03d}" for k in range(1, 9)] + [f"user-{k:03d}" for k in range(1, 11)]
    config = str(write_taplytics(tmp_path, [{"user_id": u, "custom_data": {"seen": True}} for u in wanted]))
    tap.clear_requests()
    result = tcli("plan", config, "--format", "json", "-v")
    assert result.code == 0, result.err
    log = api_requests(tap)
    assert [(r["method"], r["path"], r["query"]) for r in log] == [
        ("GET", "/v2/users", "page=1&per_page=100"),  # what we ask; the server caps it at 10
        ("GET", "/v2/users", "page=2&per_page=10"),  # the Link header's next URLs, as given
        ("GET", "/v2/users", "page=3&per_page=10"),
    ]
    assert_header_only(tap)
    changes = json.loads(result.out)["accounts"][0]["changes"]
    assert sorted(c["resource"]["id"] for c in changes) == sorted(wanted)
    assert {c["kind"] for c in changes} == {"user_update"}
    assert "3 requests" in result.err


def test_token_appears_nowhere(tcli: Any, tap: SandboxServer, tmp_path: Path) -> None:
    config = str(write_taplytics(tmp_path, DESIRED))
    plan_file = tmp_path / "plan.json"
    assert tcli("plan", config, "-v", "--out", str(plan_file)).code == 0
    assert TAPLYTICS_CANARY not in plan_file.read_text()
    applied = tcli("apply", config, "--auto-approve", "-v", "--plan", str(plan_file))
    assert applied.code == 0, applied.err
    bad = tcli("plan", config, "-v", TAPLYTICS_API_TOKEN="wrong-" + TAPLYTICS_CANARY)
    assert bad.code == 1
    assert "GET /v2/users -> 401: Unauthorized: invalid API key (sent in the header)" in bad.err
    assert_header_only(tap)


def test_402_is_reported_sent_once_and_the_rest_applied(
    tcli: Any, tap: SandboxServer, tmp_path: Path
) -> None:
    tap.set_faults(
        forced=[
            {
                "method": "POST",
                "path": "/v2/users/qa-402",
                "status": 402,
                "message": LIMIT_MESSAGE,
                "times": None,
            }
        ]
    )
    desired = [*DESIRED, {"user_id": "qa-402", "name": "Over the limit"}]
    config = str(write_taplytics(tmp_path, desired))
    tap.clear_requests()
    result = tcli("apply", config, "--auto-approve")
    assert result.code == 1
    assert "Apply complete: 3 applied, 1 failed, 0 skipped." in result.out
    assert "failed: user qa-402" in result.err
    assert f"POST /v2/users/qa-402 -> 402: {LIMIT_MESSAGE}" in result.err
    assert [p for p, _ in posts(tap)].count("/v2/users/qa-402") == 1  # never repeated
    users = tap.state()["taplytics_users"]
    assert "qa-100" in users and users["qa-002"]["name"] == "QA Two" and "qa-402" not in users
    tap.set_faults(forced=[])
    assert tcli("apply", config, "--auto-approve").code == 0  # once the cause is gone, apply converges
    assert tcli("plan", config, "--detailed-exitcode").code == 0


def test_stale_saved_plan_is_refused(tcli: Any, tap: SandboxServer, tmp_path: Path) -> None:
    config = str(write_taplytics(tmp_path, DESIRED))
    plan_file = tmp_path / "plan.json"
    assert tcli("plan", config, "--out", str(plan_file)).code == 0
    (tmp_path / "elsewhere").mkdir()  # someone renames qa-002 between the plan and the apply
    other = write_taplytics(tmp_path / "elsewhere", [{"user_id": "qa-002", "name": "Renamed by hand"}])
    assert tcli("apply", str(other), "--auto-approve").code == 0
    stale = tcli("apply", config, "--auto-approve", "--plan", str(plan_file))
    assert stale.code == 1
    assert "stale plan:" in stale.err and "user qa-002 changed since the plan was made" in stale.err


def test_missing_token_variable_names_the_line(
    tcli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(write_taplytics(tmp_path, DESIRED))
    monkeypatch.delenv("TAPLYTICS_API_TOKEN")
    result = tcli("plan", config)
    assert result.code == 1
    assert f"{config}:4: environment variable TAPLYTICS_API_TOKEN is not set" in result.err  # project:


def test_example_runs_with_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(ROOT / "examples" / "taplytics.yaml", tmp_path / "taplytics.yaml")
    monkeypatch.chdir(tmp_path)  # the --sandbox state file lives under ./.reconciler
    monkeypatch.delenv("TAPLYTICS_API_TOKEN", raising=False)  # --sandbox needs no credentials
    assert run_cli(monkeypatch, capsys, {}, "validate", "taplytics.yaml").code == 0
    planned = run_cli(monkeypatch, capsys, {}, "plan", "taplytics.yaml", "--sandbox", "--detailed-exitcode")
    assert planned.code == 2 and "Plan: 1 to add, 3 to change, 0 to remove." in planned.out
    applied = run_cli(monkeypatch, capsys, {}, "apply", "taplytics.yaml", "--sandbox", "--auto-approve")
    assert applied.code == 0, applied.err
    again = run_cli(monkeypatch, capsys, {}, "plan", "taplytics.yaml", "--sandbox", "--detailed-exitcode")
    assert again.code == 0, again.out


def test_abtasty_and_taplytics_in_one_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(ROOT / "examples" / "taplytics.yaml", tmp_path / "taplytics.yaml")
    shutil.copy(ROOT / "examples" / "demo.yaml", tmp_path / "demo.yaml")
    monkeypatch.chdir(tmp_path)
    result = run_cli(monkeypatch, capsys, {}, "plan", ".", "--sandbox", "--format", "markdown")
    assert result.code == 0, result.err
    assert "**`abtasty account 41902`** (`demo.yaml`)" in result.out
    assert "**`taplytics project my-app`** (`taplytics.yaml`)" in result.out
