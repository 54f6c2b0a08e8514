"""The client converges under the third round of readings of the API documents (issue 25).

For each reading alone: plan exits 2, apply exits 0, the next plan exits 0, over real HTTP, and the
sandbox's own state then holds what the config says (not only the exit codes); nothing prints the secret
or a traceback (``run_cli`` checks every output), nothing exits 3.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.abtasty.readings import DIALECTS as ABTASTY_READINGS
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.taplytics.readings import DIALECTS as TAPLYTICS_READINGS
from tests.support.e2e import CliRunner, generated, run_cli, server_env, write_config
from tests.support.taplytics import write_taplytics

ALL = "all"  # every reading above at once (link-next-example wins over next-past-end)
READINGS = [*ABTASTY_READINGS, *TAPLYTICS_READINGS, ALL]
START, STOP, ZONE = "2030-11-27T00:00:00", "2030-12-02T23:59:00", "US/Eastern"
TESTS_YAML = f"""tests:
  - id: 381296
    state: play
  - id: 381321
    state: play
    mode: preprod
  - id: 381313
    state: play
  - id: 381316
    schedule:
      start_at: "{START}"
      stop_at: "{STOP}"
      timezone: {ZONE}
script:
  update_after_apply: true
"""
USERS: list[dict[str, Any]] = [
    {"user_id": "qa-002", "custom_data": {"level": 3}},  # its undeclared cohort: "qa" must stay
    {"user_id": "user-010", "email": "Ten@Example.com"},  # on the last page at 10 a page
    {"user_id": "brand-new", "name": "Brand New", "custom_data": {"plan": "pro", "seats": 5}},
]


Log = list[dict[str, Any]]
MEMBERS = "/api/core/accounts/41902/membership"
LEA_USER = 132422  # lea.bernard's membership id; her user id differs


def _any(log: Log, method: str, path_part: str, status: int) -> bool:
    return any(r["method"] == method and path_part in r["path"] and r["status"] == status for r in log)


# Proof that the run met the reading's answers (not only that it passed), over the request log.
EVIDENCE: dict[str, Any] = {
    "token-form-only": lambda log: _any(log, "POST", "/oauth/", 400) and _any(log, "POST", "/oauth/", 200),
    "post-503-committed": lambda log: _any(log, "POST", MEMBERS, 503),
    "member-user-path": lambda log: any(
        r["method"] == "PATCH"
        and r["path"].startswith(MEMBERS + "/")
        and r["path"] != f"{MEMBERS}/{LEA_USER}"
        and r["status"] < 300
        for r in log
    ),
    "page-limit-50": lambda log: _any(log, "GET", "/v2/users", 400),
    "next-past-end": lambda log: any(r["path"] == "/v2/users" and "page=4" in r["query"] for r in log),
    "no-link": lambda log: any(r["path"] == "/v2/users" and "page=3" in r["query"] for r in log),
    "link-next-example": lambda log: any(r["path"] == "/v2/users" and "page=3" in r["query"] for r in log),
    "children-unlisted": lambda log: _any(log, "GET", "/tests/381313", 200),
}


# The paging readings with no GET /v2/users/{id}: else the two users page 1 lacks are read one by one and
# the list is never walked to its end.
WITH = {
    name: ("no-user-route",) for name in ("next-past-end", "no-link", "link-next-example", "page-limit-50")
}


@pytest.fixture(params=READINGS)
def reading(request: pytest.FixtureRequest) -> str:
    value = request.param
    assert isinstance(value, str)
    return value


@pytest.fixture
def server(tmp_path: Path, reading: str) -> Iterator[SandboxServer]:
    """The demo account at 10 a page (tests, members and users all span pages) in one reading."""
    names = [*ABTASTY_READINGS, *TAPLYTICS_READINGS, "no-user-route"] if reading == ALL else [reading]
    dialects = ",".join([*names, *WITH.get(reading, ())])
    yield from generated(tmp_path, "demo", dialects=dialects, page_cap=10)


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


def wanted_members(server: SandboxServer) -> dict[str, str]:
    """Every demo member kept but zoe.garcia (revoked), lea.bernard made admin, one member added."""
    members = {m["email"]: m["role"] for m in server.state()["members"].values()}
    members.pop("zoe.garcia@example.com")
    members["lea.bernard@example.com"] = "admin"
    members["new.person@example.com"] = "creator"
    return members


def members_yaml(members: dict[str, str]) -> str:
    lines = [f"    - email: {email}\n      role: {role}\n" for email, role in members.items()]
    return "memberships:\n  prune: true\n  members:\n" + "".join(lines)


def test_plan_apply_plan_converges_and_the_sandbox_holds_the_config(
    run: CliRunner, server: SandboxServer, tmp_path: Path, reading: str
) -> None:
    members = wanted_members(server)
    abtasty = write_config(tmp_path, TESTS_YAML + members_yaml(members))
    taplytics = write_taplytics(tmp_path, USERS)
    first = run("plan", str(abtasty), str(taplytics), "--detailed-exitcode")
    assert first.code == 2, first.all
    applied = run("apply", str(abtasty), str(taplytics), "--auto-approve")
    assert applied.code == 0, applied.all
    again = run("plan", str(abtasty), str(taplytics), "--detailed-exitcode")
    assert again.code == 0, again.all
    if reading in EVIDENCE:
        assert EVIDENCE[reading](server.requests()), f"the run never met {reading}'s answers"
    state = server.state()
    _abtasty_holds(state, members, reading)
    _taplytics_holds(state["taplytics_users"])


def _epoch(local: str) -> int:
    return int(dt.datetime.fromisoformat(local).replace(tzinfo=zoneinfo.ZoneInfo(ZONE)).timestamp())


def _abtasty_holds(state: dict[str, Any], members: dict[str, str], reading: str) -> None:
    tests = state["tests"]
    assert tests["381296"]["state"] == "play" and tests["381313"]["state"] == "play"
    preprod = tests["381321"]
    assert preprod.get("preprod") is True
    assert preprod["state"] == ("pause" if reading in ("preprod-paused", ALL) else "play")
    assert (tests["381316"]["start"], tests["381316"]["stop"]) == (_epoch(START), _epoch(STOP))
    held = {m["email"]: m["role"] for m in state["members"].values()}
    assert held == members


def _taplytics_holds(users: dict[str, Any]) -> None:
    qa = users["qa-002"]["custom_data"]
    assert qa["cohort"] == "qa" and qa["level"] in (3, "3")
    assert users["user-010"]["email"].casefold() == "ten@example.com"
    new = users["brand-new"]
    assert new["name"] == "Brand New" and new["custom_data"]["plan"] == "pro"
    assert new["custom_data"]["seats"] in (5, "5")
