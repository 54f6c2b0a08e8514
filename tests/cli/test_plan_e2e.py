"""``reconciler plan`` end to end: the CLI in-process against a real sandbox over HTTP on 127.0.0.1.

Covers issue 4's acceptance list: every change kind, in sync, paging with a small page cap, name
resolution and its errors, bad or missing credentials, injected faults, token expiry, the request log
(no mutation during a plan, the exact request count of a full listing), the three formats and ``-v``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from reconciler.sandbox.faults import Faults
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, mutations, sandbox_server
from tests.support.e2e import write_config as write

TOKEN_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{48}(?![0-9a-f])")  # the sandbox issues secrets.token_hex(24)

Server = Callable[..., AbstractContextManager[SandboxServer]]


def token_posts(server: SandboxServer) -> int:
    return sum(r["method"] == "POST" and r["path"] == "/oauth/v2/token" for r in server.requests())


def yaml_tests(state: dict[str, Any], ids: list[int] | None = None) -> str:
    """A ``tests:`` block declaring exactly the current state of ``ids`` (all tests by default)."""
    lines = ["tests:"]
    for key, test in sorted(state["tests"].items()):
        if ids is not None and int(key) not in ids:
            continue
        lines.append(f"  - id: {key}\n    state: {test['state']}")
        if test["state"] == "play":
            lines.append(f"    mode: {'preprod' if test.get('preprod') else 'prod'}")
    return "\n".join(lines) + "\n"


def yaml_members(state: dict[str, Any], prune: bool = False, skip: tuple[str, ...] = ()) -> str:
    lines = [f"memberships:\n  prune: {str(prune).lower()}\n  members:"]
    for member in sorted(state["members"].values(), key=lambda m: m["email"]):
        if member["email"] not in skip:
            lines.append(f"    - email: {member['email']}\n      role: {member['role']}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def server(tmp_path: Path) -> Server:
    """Start another sandbox (own seed, page cap, faults) with the e2e credentials."""

    def start(
        seed: str = "demo", page_cap: int = 100, **faults: Any
    ) -> AbstractContextManager[SandboxServer]:
        return sandbox_server(
            seed=seed,
            page_cap=page_cap,
            faults=Faults(**faults),
            client_id=CLIENT_ID,
            client_secret=CANARY_SECRET,
        )

    return start


def at(srv: SandboxServer) -> dict[str, str]:
    """Env overrides that point a ``cli`` run at ``srv`` rather than the default sandbox."""
    return {"ABTASTY_API_URL": srv.url, "ABTASTY_API2_URL": srv.api2_url, "ABTASTY_AUTH_URL": srv.token_url}


ALL_KINDS = """\
tests:
  - id: 381296
    state: play
  - name: Gil Test
    state: pause
  - id: 367659
    state: play
    mode: preprod
  - id: 381316
    schedule:
      start_at: "2026-11-27T00:00:00"
      stop_at: "2026-11-30T23:59:00"
      timezone: Europe/Paris
"""
ALL_KINDS_LINES = [
    '~ test 365111 "Gil Test": state play (prod) -> pause',
    '~ test 367659 "test": state play (prod) -> play (preprod)',
    '~ test 381296 "Public API Test": state pause -> play (prod)',
    '~ test 381316 "Black Friday": schedule 2019-11-29T00:00:00 .. 2019-12-02T00:00:00 Europe/Paris'
    " -> 2026-11-27T00:00:00 .. 2026-11-30T23:59:00 Europe/Paris",
    "- member hugo.petit@example.com (user)",
    "~ member julie.martin@example.com: role user -> admin",
    "+ member new@example.com (viewer)",
    "~ tag script: rebuild after the test changes",
    "Plan: 1 to add, 6 to change, 1 to remove.",
]


def all_kinds_config(tmp_path: Path, srv: SandboxServer) -> Path:
    members = yaml_members(srv.state(), prune=True, skip=("hugo.petit@example.com",))
    members = members.replace(
        "julie.martin@example.com\n      role: user", "Julie.Martin@Example.com\n      role: admin"
    )
    members += "    - email: new@example.com\n      role: viewer\n"
    return write(tmp_path, ALL_KINDS + members)


def plan_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip()]


# 1, 2, 8 --------------------------------------------------------------------------------------------


def test_every_change_kind_with_exact_lines_and_counts(sandbox, cli, tmp_path):
    path = all_kinds_config(tmp_path, sandbox)
    result = cli("plan", str(path), "--detailed-exitcode")
    assert result.code == 2, result.err
    lines = plan_lines(result.out)
    assert lines[0] == f"abtasty account 41902 ({path}):"
    assert lines[1:] == ALL_KINDS_LINES  # exact, complete, in deterministic order
    assert cli("plan", str(path)).code == 0  # without the flag, pending changes still exit 0
    assert mutations(sandbox) == []


def test_in_sync_is_no_changes_and_exit_zero(sandbox, cli, tmp_path):
    state = sandbox.state()
    path = write(tmp_path, yaml_tests(state) + yaml_members(state, prune=True))
    result = cli("plan", str(path), "--detailed-exitcode")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "No changes. The account matches the configuration."
    assert "(no changes)" in result.out
    assert mutations(sandbox) == []


# 3 --------------------------------------------------------------------------------------------------

SCHEDULED = """\
tests:
  - id: 367659
    schedule:
      start_at: "2026-12-01T09:00:00"
      stop_at: "2026-12-31T23:00:00"
      timezone: Europe/Paris
"""


def test_an_applied_schedule_is_not_planned_again(sandbox, cli, tmp_path):
    path = write(tmp_path, SCHEDULED + "script:\n  update_after_apply: false\n")
    first = cli("plan", str(path), "--detailed-exitcode")
    assert first.code == 2
    assert "schedule (none) -> 2026-12-01T09:00:00 .. 2026-12-31T23:00:00 Europe/Paris" in first.out
    assert cli("apply", str(path), "--auto-approve").code == 0
    sandbox.clear_requests()
    again = cli("plan", str(path), "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes." in again.out
    assert mutations(sandbox) == []


def test_same_instant_in_another_timezone_is_no_change(sandbox, cli, tmp_path):
    # Black Friday starts 2019-11-29T00:00:00 Europe/Paris = 2019-11-28T23:00:00 Europe/London. Instants
    # decide (issue 25, item 3: a server may not store the timezone); a minute later is a change.
    body = 'tests:\n  - id: 381316\n    schedule:\n      start_at: "{}"\n      timezone: {}\n'
    same = write(tmp_path, body.format("2019-11-29T00:00:00", "Europe/Paris"), "same.yaml")
    assert cli("plan", str(same), "--detailed-exitcode").code == 0
    other_zone = write(tmp_path, body.format("2019-11-28T23:00:00", "Europe/London"), "zone.yaml")
    assert cli("plan", str(other_zone), "--detailed-exitcode").code == 0
    moved = write(tmp_path, body.format("2019-11-28T23:01:00", "Europe/London"), "moved.yaml")
    result = cli("plan", str(moved), "--detailed-exitcode")
    assert result.code == 2
    assert "schedule 2019-11-29T00:00:00 .. … Europe/Paris -> 2019-11-28T23:01:00 .. … Europe/London" in (
        result.out
    )


def test_only_start_at_leaves_stop_alone(sandbox, cli, tmp_path):
    # Black Friday runs 2019-11-29T00:00:00 .. 2019-12-02T00:00:00 Paris: start a day earlier.
    body = 'tests:\n  - id: 381316\n    schedule:\n      start_at: "2019-11-28T00:00:00"\n      timezone: Europe/Paris\n'
    path = write(tmp_path, body)
    result = cli("plan", str(path))
    assert (
        '~ test 381316 "Black Friday": schedule 2019-11-29T00:00:00 .. … Europe/Paris'
        " -> 2019-11-28T00:00:00 .. … Europe/Paris"
    ) in result.out
    assert "2019-12-02" not in result.out
    assert cli("apply", str(path), "--auto-approve").code == 0
    patch = [r for r in sandbox.requests() if r["path"].endswith("/381316/schedule")]
    assert len(patch) == 1 and "stop_at" not in json.dumps(patch[0].get("body"))
    assert sandbox.state()["tests"]["381316"]["stop"] == 1575241200
    assert cli("plan", str(path), "--detailed-exitcode").code == 0


# 4, 9 ------------------------------------------------------------------------------------------------


def listing(srv: SandboxServer, suffix: str) -> list[int]:
    return sorted(
        int(parse_qs(r["query"])["_page"][0])
        for r in srv.requests()
        if r["method"] == "GET" and r["path"].endswith(suffix) and r.get("status") == 200
    )


def test_several_pages_with_a_small_page_cap(cli, server, tmp_path):
    with server(page_cap=3) as srv:
        state = srv.state()
        ids = sorted(map(int, state["tests"]))[:25]
        body = yaml_tests(state, ids).replace("id: 381296\n    state: pause", "id: 381296\n    state: play")
        path = write(
            tmp_path, body + yaml_members(state) + "    - email: new@example.com\n      role: viewer\n"
        )
        result = cli("plan", str(path), **at(srv))
        assert result.code == 0, result.err
        assert plan_lines(result.out)[1:] == [
            '~ test 381296 "Public API Test": state pause -> play (prod)',
            "+ member new@example.com (viewer)",
            "~ tag script: rebuild after the test changes",
            "Plan: 1 to add, 2 to change, 0 to remove.",
        ]
        assert listing(srv, "/tests") == list(range(1, 11))  # 29 tests, 3 a page
        assert listing(srv, "/membership") == list(range(1, 6))  # 15 members
        assert mutations(srv) == []


def test_few_tests_of_many_pages_are_read_one_by_one(cli, server, tmp_path):
    with server(page_cap=3) as srv:
        path = write(
            tmp_path, "tests:\n  - name: Gil Test\n    state: play\n  - id: 381296\n    state: play\n"
        )
        result = cli("plan", str(path), **at(srv))
        assert plan_lines(result.out)[1] == '~ test 381296 "Public API Test": state pause -> play (prod)'
        gets = [r for r in srv.requests() if r["method"] == "GET"]
        # page 1, the name filter's single page, and the one-item count of playing tests (the pause rail's)
        assert listing(srv, "/tests") == [1, 1, 1]
        assert any(
            "filter%5Bactive%5D=1" in r.get("query", "") or "filter[active]=1" in r.get("query", "")
            for r in gets
        )
        assert any(r["path"].endswith("/tests/381296") for r in gets)


def test_request_count_of_a_full_listing(cli, server, tmp_path):
    with server(seed="generated:tests=250,members=120") as srv:
        state = srv.state()
        path = write(tmp_path, yaml_tests(state) + yaml_members(state))
        result = cli("plan", str(path), "--detailed-exitcode", **at(srv))
        assert result.code == 0, result.out + result.err
        log = srv.requests()
        assert token_posts(srv) == 1
        assert listing(srv, "/tests") == [1, 2, 3]
        assert listing(srv, "/membership") == [1, 2]
        assert len(log) == 1 + 3 + 2  # nothing more


# 5 ---------------------------------------------------------------------------------------------------


def test_name_resolution_and_resolution_errors(sandbox, cli, tmp_path):
    ok = write(tmp_path, "tests:\n  - name: Gil Test\n    state: pause\n", "ok.yaml")
    assert '~ test 365111 "Gil Test": state play (prod) -> pause' in cli("plan", str(ok)).out
    bad = write(
        tmp_path,
        "tests:\n  - id: 999999\n    state: play\n  - name: No Such Test\n    state: play\n",
        "bad.yaml",
    )
    result = cli("plan", str(bad))
    assert result.code == 1
    assert f"{bad}:6: test 999999 does not exist in account 41902" in result.err
    assert f"{bad}:8: no test is named 'No Such Test' in account 41902; use its id" in result.err
    typo = write(tmp_path, "tests:\n  - name: Gil Tset\n    state: pause\n", "typo.yaml")
    result = cli("plan", str(typo))
    assert result.code == 1
    assert (
        f"{typo}:6: no test is named 'Gil Tset' in account 41902; did you mean 'Gil Test'? Else use its id"
        in (result.err)
    )
    twice = write(
        tmp_path,
        "tests:\n  - id: 365111\n    state: play\n  - name: Gil Test\n    state: pause\n",
        "twice.yaml",
    )
    result = cli("plan", str(twice))
    assert result.code == 1
    assert f"{twice}:8: test 365111 is already declared at {twice}:6" in result.err
    assert mutations(sandbox) == []


# 6 ---------------------------------------------------------------------------------------------------


def test_bad_credentials(sandbox, cli, tmp_path):
    path = write(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    result = cli("plan", str(path), ABTASTY_CLIENT_SECRET="wrong-secret-123")
    assert result.code == 1
    assert "401" in result.err and "credentials" in result.err
    assert "wrong-secret-123" not in result.all


def test_unset_secret_names_the_variable_and_sends_nothing(sandbox, cli, tmp_path, monkeypatch):
    path = write(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    monkeypatch.delenv("ABTASTY_CLIENT_SECRET")
    result = cli("plan", str(path))
    assert result.code == 1
    assert "ABTASTY_CLIENT_SECRET" in result.err
    assert sandbox.requests() == []


# 7 ---------------------------------------------------------------------------------------------------


# The seeds are chosen (by replaying FaultInjector.decide) so that the 7 first attempts (token, page 1 of
# the tests and of the members, the 4 tests read one by one beside page 1) and their retries meet at most
# 4 faults: no request can exhaust its 5 attempts, whatever the order in which the concurrent requests
# reach the server, and the count is the same in every order. An unseeded 0.3 error rate fails now and then.
@pytest.mark.parametrize(
    ("page_cap", "faults"),
    [
        pytest.param(100, {"error_rate": 0.3, "fault_seed": 14}, id="5xx"),
        pytest.param(3, {"rate_limit_rps": 5}, id="429"),
        pytest.param(100, {"drop_rate": 0.2, "fault_seed": 15}, id="drops"),
    ],
)
def test_plan_is_right_despite_faults(cli, server, tmp_path, page_cap, faults):
    with server(page_cap=page_cap) as srv:
        path = all_kinds_config(tmp_path, srv)
        srv.set_faults(**faults)
        result = cli("plan", str(path), **at(srv))
        assert result.code == 0, result.err
        assert plan_lines(result.out)[1:] == ALL_KINDS_LINES
        log = srv.requests()
        if "rate_limit_rps" in faults:
            assert [r["status"] for r in log].count(429) >= 1
        elif "error_rate" in faults:
            assert sum(r["status"] in (500, 502, 503, 504) for r in log) == 4
        else:
            assert sum(bool(r.get("fault")) for r in log) == 3
        assert mutations(srv) == []


def test_token_expiring_mid_run_is_refreshed(cli, server, tmp_path):
    with server(page_cap=3, token_ttl=1, latency_ms=150) as srv:
        path = all_kinds_config(tmp_path, srv)
        result = cli("plan", str(path), "--parallelism", "1", **at(srv))
        assert result.code == 0, result.err
        assert plan_lines(result.out)[1:] == ALL_KINDS_LINES
        assert token_posts(srv) > 1
        assert mutations(srv) == []


# 10, 11 ----------------------------------------------------------------------------------------------


def test_json_markdown_and_out_file(sandbox, cli, tmp_path):
    path = all_kinds_config(tmp_path, sandbox)
    doc = json.loads(cli("plan", str(path), "--format", "json").out)
    assert doc["format_version"] == "2.0"
    assert doc["summary"] == {"add": 1, "change": 6, "remove": 1}
    changes = doc["accounts"][0]["changes"]
    assert [c["kind"] for c in changes][:3] == ["test_state"] * 3
    assert changes[2]["resource"] == {"type": "test", "id": 381296, "name": "Public API Test"}
    assert changes[2]["before"] == {"state": "pause", "mode": None}
    assert changes[2]["after"] == {"state": "play", "mode": "prod"}
    assert all({"kind", "resource", "before", "after"} <= set(c) for c in changes)

    md = cli("plan", str(path), "--format", "markdown").out.splitlines()
    assert md[0] == "<!-- reconciler:plan -->"
    assert "Plan: 1 to add, 6 to change, 1 to remove." in md[1]
    assert "| | Resource | Change |" in md and "|---|---|---|" in md
    assert "| `+` | `member new@example.com` | `(viewer)` |" in md

    out = tmp_path / "plan.json"
    assert cli("plan", str(path), "--out", str(out)).code == 0
    saved = out.read_text()
    assert json.loads(saved)["summary"] == doc["summary"]
    for needle in (CANARY_SECRET, "Bearer", "access_token"):
        assert needle not in saved
    assert not TOKEN_RE.search(saved)
    assert mutations(sandbox) == []


@pytest.fixture
def fresh_logging() -> Iterator[None]:
    """``-v`` installs a stderr handler once per process: drop stale ones so this run's stderr gets it."""
    logger = logging.getLogger("reconciler")
    handlers, level = logger.handlers[:], logger.level
    logger.handlers.clear()
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_verbose_logs_each_request_and_never_the_token(sandbox, cli, tmp_path, fresh_logging, caplog):
    # Tokens are fresh random hex per request to the token endpoint: the pattern covers the one the run gets.
    first = httpx.post(
        sandbox.token_url,
        json={"client_id": CLIENT_ID, "client_secret": CANARY_SECRET, "grant_type": "client_credentials"},
    ).json()["access_token"]
    assert TOKEN_RE.fullmatch(first)
    path = all_kinds_config(tmp_path, sandbox)
    sandbox.clear_requests()
    result = cli("plan", str(path), "-v")
    assert result.code == 0
    lines = result.err.splitlines()
    request_lines = [ln for ln in lines if re.fullmatch(r"(GET|POST) \S+ \d{3} \d+ms attempt \d+", ln)]
    # Token, page 1 of the tests and of the members, and the 4 managed tests read one by one beside page 1
    # (all in the first round trip: the account turns out to be small, but they are already under way).
    assert len(request_lines) == len(sandbox.requests()) == 7
    assert any(ln.startswith("POST /oauth/v2/token 200 ") for ln in request_lines)
    assert any(re.match(r"GET /api/core/accounts/41902/tests\?\S+ 200 \d+ms attempt 1", ln) for ln in lines)
    assert lines[-1] == "7 requests"
    for text in (result.all, caplog.text):
        assert not TOKEN_RE.search(text), "an access token leaked"
        assert CANARY_SECRET not in text
