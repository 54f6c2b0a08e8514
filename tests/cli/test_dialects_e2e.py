"""The client converges under every reading of the documents the sandbox plays (issue 14).

For each dialect alone, and for all compatible ones at once: plan -> apply -> plan over real HTTP, for an
AB Tasty account and a Taplytics project in one run. The apply must send exactly the expected mutations
(whatever the dialect's status codes and bodies), and the plan after it must be empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.abtasty.readings import DIALECTS as ABTASTY_READINGS
from reconciler.sandbox.dialects import known
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.taplytics.readings import DIALECTS as TAPLYTICS_READINGS
from reconciler.sandbox.vendors import vendors
from tests.support.e2e import CliRunner, generated, mutations, run_cli, server_env, write_config
from tests.support.taplytics import write_taplytics

CORE = "/api/core/accounts/41902"
TESTS = "/api/interface/accounts/41902/tests"
MEMBERS = f"{CORE}/membership"
LEA, ZOE = 132422, 132430  # demo memberships: lea.bernard (viewer), zoe.garcia

# The dialects of the two vendors this run drives: another vendor's (Flagship's) change none of its answers,
# and its own e2e plays each (tests/providers/flagship/test_e2e.py).
DIALECTS = known(v for v in vendors() if v.name in ("abtasty", "taplytics"))
# Issue 25's readings have their own e2e (tests/providers/test_readings_e2e.py), which checks the sandbox's
# state: some of them change a mutation's path or repeat one, so exact mutations are not their check.
OWN_E2E = {*ABTASTY_READINGS, *TAPLYTICS_READINGS}
# Everything but the other date shapes (a server prints its dates one way).
ALL_ISO = ",".join(d for d in DIALECTS if d not in ("dates-ms", "dates-local") and d not in OWN_E2E)
READINGS = [*(d for d in DIALECTS if d not in OWN_E2E), ALL_ISO]

TESTS_YAML = """tests:
  - id: 381296
    state: play
  - id: 381321
    state: play
    mode: preprod
  - name: Gil Test
    state: pause
  - id: 381316
    schedule:
      start_at: "2030-11-27T00:00:00"
      stop_at: "2030-12-02T23:59:00"
      timezone: US/Eastern
script:
  update_after_apply: true
"""
ABTASTY_EXPECTED = [
    ("PATCH", f"{TESTS}/381296/play"),
    ("PATCH", f"{TESTS}/381321/play"),
    ("PATCH", f"{TESTS}/365111/pause"),
    ("PATCH", f"{TESTS}/381316/schedule"),
    ("POST", MEMBERS),
    ("PATCH", f"{MEMBERS}/{LEA}"),
    ("DELETE", f"{MEMBERS}/{ZOE}"),
    ("PATCH", "/api/interface/accounts/41902/update_script"),
]
USERS: list[dict[str, Any]] = [
    {"user_id": "qa-002", "name": "QA Two", "custom_data": {"cohort": "qa"}},
    {"user_id": "user-010", "email": "ten@example.com"},  # on the last page at 10 a page
    {"user_id": "brand-new", "name": "Brand New", "custom_data": {"plan": "pro"}},
]
TAPLYTICS_EXPECTED = [
    ("POST", "/v2/users/user-010"),
    ("POST", "/v2/users/brand-new"),
    ("POST", "/v2/users/qa-002"),
]


Log = list[dict[str, Any]]


def _refused_page_size(log: Log) -> bool:
    return any(r["status"] == 400 and "_max_per_page=100" in r["query"] for r in log)


def _stepped_down_to_100(log: Log) -> bool:
    refused = any(r["status"] == 400 and "_max_per_page=1000" in r["query"] for r in log)
    return refused and any(r["status"] == 200 and "_max_per_page=100" in r["query"] for r in log)


def _followed_cursor(log: Log) -> bool:
    return any("paginationToken=" in r["query"] for r in log)


def _probed_user_route(log: Log) -> bool:
    return any(r["path"].startswith("/v2/users/qa-") and r["status"] == 404 for r in log)


# Proof that the run met the dialect's answers (not just that it passed): over the request log.
EVIDENCE = {
    "strict-page-size": _refused_page_size,
    "page-size-unnamed": _stepped_down_to_100,
    "cursor": _followed_cursor,
    "no-user-route": _probed_user_route,
    "hal-no-count": lambda log: any(r["path"].endswith("/tests") and "_page=3" in r["query"] for r in log),
    "post-201": lambda log: any(r["method"] == "POST" and r["status"] == 201 for r in log),
    "writes-200": lambda log: any(r["method"] == "DELETE" and r["status"] == 200 for r in log),
}


def members_yaml(server: SandboxServer) -> str:
    """Every demo member kept but zoe.garcia (revoked), lea.bernard made admin, one member added."""
    members = {m["email"]: m["role"] for m in server.state()["members"].values()}
    members.pop("zoe.garcia@example.com")
    members["lea.bernard@example.com"] = "admin"
    members["new.person@example.com"] = "creator"
    lines = [f"    - email: {email}\n      role: {role}\n" for email, role in members.items()]
    return "memberships:\n  prune: true\n  members:\n" + "".join(lines)


@pytest.fixture(params=READINGS, ids=lambda d: "all-but-other-dates" if d == ALL_ISO else d)
def reading(request: pytest.FixtureRequest) -> str:
    value = request.param
    assert isinstance(value, str)
    return value


@pytest.fixture
def server(tmp_path: Path, reading: str) -> Iterator[SandboxServer]:
    """The demo account at 10 a page (tests, members and users all span pages) in one reading."""
    yield from generated(tmp_path, "demo", dialects=reading, page_cap=10)


@pytest.fixture
def run(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CliRunner:
    for key, value in {**server_env(server), "TAPLYTICS_API_URL": server.url}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TAPLYTICS_API_TOKEN", server.taplytics_token)

    def invoke(*args: str) -> Any:
        return run_cli(monkeypatch, capsys, {}, *args)

    return invoke


def test_plan_apply_plan_converges_with_exactly_the_planned_mutations(
    run: CliRunner, server: SandboxServer, tmp_path: Path, reading: str
) -> None:
    abtasty = write_config(tmp_path, TESTS_YAML + members_yaml(server))
    taplytics = write_taplytics(tmp_path, USERS)
    first = run("plan", str(abtasty), str(taplytics), "--detailed-exitcode")
    assert first.code == 2, first.all
    server.clear_requests()
    applied = run("apply", str(abtasty), str(taplytics), "--auto-approve")
    assert applied.code == 0, applied.all
    assert Counter(mutations(server)) == Counter(ABTASTY_EXPECTED + TAPLYTICS_EXPECTED)
    if reading in EVIDENCE:  # alone: combined, one reading can hide another (cursor skips the user route)
        assert EVIDENCE[reading](server.requests()), f"the run never met {reading}'s answers"
    again = run("plan", str(abtasty), str(taplytics), "--detailed-exitcode")
    assert again.code == 0, again.all
    if "two-hosts" in reading:
        _each_route_on_its_host(server)


def _each_route_on_its_host(server: SandboxServer) -> None:
    abtasty = [r for r in server.requests() if not r["path"].startswith("/v2/")]
    hosts = {(r["host"], r["status"] != 404) for r in abtasty}
    assert hosts == {("api", True), ("api2", True)}, hosts  # both hosts used, nothing on the wrong one
    api2 = {r["path"].split("/")[-1] for r in abtasty if r["host"] == "api2"}
    assert {"token", "membership", "update_script"} <= api2


def test_unmanaged_scheduled_test_with_iso_dates_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tests 381316 and 381317 are scheduled; under dates-iso their dates are ISO strings. A plan that reads
    every page (it manages other tests) and an export of the whole account read them without a crash."""
    for server in generated(tmp_path, "demo", dialects="dates-iso", page_cap=10):
        for key, value in server_env(server).items():
            monkeypatch.setenv(key, value)
        config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: pause\n")
        plan = run_cli(monkeypatch, capsys, {}, "plan", str(config), "--detailed-exitcode")
        assert plan.code == 0, plan.all
        export = run_cli(monkeypatch, capsys, {}, "export", "--provider", "abtasty", "--account", "41902")
        assert export.code == 0, export.all
        assert 'timezone: "Europe/Paris"' in export.out or "timezone: Europe/Paris" in export.out
