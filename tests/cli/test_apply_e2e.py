"""End-to-end tests of ``reconciler apply`` against the sandbox (demo account 41902, real HTTP).

Every test checks the sandbox's request log: what was mutated, in which order, and that nothing else was.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.faults import Faults
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, mutations, sandbox_server, write_config

CORE = "/api/core/accounts/41902"
INTERFACE = "/api/interface/accounts/41902"
TESTS = f"{INTERFACE}/tests"
MEMBERS = f"{CORE}/membership"
SCRIPT = ("PATCH", f"{INTERFACE}/update_script")

# Demo membership ids (reconciler/sandbox/abtasty/demo_data.py): 132420 + index in ``people``.
LEA, EMMA, ZOE, SARAH = 132422, 132424, 132430, 132432
KEPT_MEMBERS = {
    "remi@abtasty.com": "admin",
    "arthur.charbit@abtasty.com": "admin",
    "julie.martin@example.com": "user",
    "paul.durand@example.com": "creator",
    "hugo.petit@example.com": "user",
    "louis.richard@example.com": "creator",
    "chloe.moreau@example.com": "viewer",
    "jules.simon@example.com": "user",
    "ines.laurent@example.com": "user",
    "adam.michel@example.com": "creator",
    "nathan.david@example.com": "user",
}


def members_yaml(members: dict[str, str], prune: bool) -> str:
    lines = [f"    - email: {email}\n      role: {role}\n" for email, role in members.items()]
    return f"memberships:\n  prune: {str(prune).lower()}\n  members:\n" + "".join(lines)


ALL_KINDS_TESTS = """tests:
  - id: 381296
    state: play
  - id: 381321
    state: play
    mode: preprod
  - name: Gil Test
    state: pause
  - id: 381316
    state: play
    schedule:
      start_at: "2030-11-27T00:00:00"
      stop_at: "2030-12-02T23:59:00"
      timezone: Europe/Paris
  - id: 381310
    state: play
  - id: 381311
    state: pause
  - id: 367659
"""
ALL_KINDS_MEMBERS = {
    **KEPT_MEMBERS,
    "lea.bernard@example.com": "admin",  # viewer -> admin
    "emma.robert@example.com": "user",  # admin -> user
    "new.person@example.com": "creator",  # added
}  # zoe.garcia and sarah.bertrand are not listed: revoked (prune)
ALL_KINDS_EXPECTED = [
    ("PATCH", f"{TESTS}/381296/play"),
    ("PATCH", f"{TESTS}/381321/play"),
    ("PATCH", f"{TESTS}/365111/pause"),
    ("PATCH", f"{TESTS}/381316/schedule"),
    ("PATCH", f"{TESTS}/381316/play"),
    ("POST", MEMBERS),
    ("PATCH", f"{MEMBERS}/{LEA}"),
    ("PATCH", f"{MEMBERS}/{EMMA}"),
    ("DELETE", f"{MEMBERS}/{ZOE}"),
    ("DELETE", f"{MEMBERS}/{SARAH}"),
    SCRIPT,
]


@pytest.fixture
def all_kinds(tmp_path: Path) -> Path:
    return write_config(tmp_path, ALL_KINDS_TESTS + members_yaml(ALL_KINDS_MEMBERS, prune=True))


def in_sync(cli, config: Path) -> None:
    result = cli("plan", str(config), "--detailed-exitcode")
    assert result.code == 0, result.all


def test_each_change_kind_applied_with_exactly_the_planned_requests(cli, sandbox, all_kinds):
    sandbox.clear_requests()
    result = cli("apply", str(all_kinds), "--auto-approve")
    assert result.code == 0, result.all
    assert "Apply complete: 11 applied, 0 failed, 0 skipped." in result.out
    log = mutations(sandbox)
    assert Counter(log) == Counter(ALL_KINDS_EXPECTED)
    assert log[-1] == SCRIPT
    assert log.index(("PATCH", f"{TESTS}/381316/schedule")) < log.index(("PATCH", f"{TESTS}/381316/play"))
    grants = max(log.index(("POST", MEMBERS)), log.index(("PATCH", f"{MEMBERS}/{LEA}")))
    takes = [("PATCH", f"{MEMBERS}/{EMMA}"), ("DELETE", f"{MEMBERS}/{ZOE}"), ("DELETE", f"{MEMBERS}/{SARAH}")]
    assert all(log.index(t) > grants for t in takes)

    state = sandbox.state()
    tests, members = state["tests"], state["members"]
    assert tests["381296"]["state"] == "play" and "preprod" not in tests["381296"]
    assert tests["381321"]["state"] == "play" and tests["381321"]["preprod"] is True
    assert tests["365111"]["state"] == "pause"
    assert tests["381316"]["state"] == "play" and tests["381316"]["tz"] == "Europe/Paris"
    assert state["script"]["updates"] == 1
    roles = {m["email"]: m["role"] for m in members.values()}
    assert roles == ALL_KINDS_MEMBERS
    in_sync(cli, all_kinds)


def test_second_apply_sends_no_mutation(cli, sandbox, all_kinds):
    assert cli("apply", str(all_kinds), "--auto-approve").code == 0
    sandbox.clear_requests()
    result = cli("apply", str(all_kinds), "--auto-approve")
    assert result.code == 0, result.all
    assert mutations(sandbox) == []


def issued_tokens(server: SandboxServer) -> list[str]:
    return list(server.sandbox.tokens._expiry)


def test_saved_plan_applies_and_holds_no_secret(cli, sandbox, all_kinds, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(all_kinds), "--out", str(plan_file)).code == 0
    text = plan_file.read_text()
    assert CANARY_SECRET not in text and "access_token" not in text.lower()
    assert issued_tokens(sandbox) and not any(token in text for token in issued_tokens(sandbox))
    sandbox.clear_requests()
    result = cli("apply", str(all_kinds), "--plan", str(plan_file), "--auto-approve")
    assert result.code == 0, result.all
    assert Counter(mutations(sandbox)) == Counter(ALL_KINDS_EXPECTED)
    in_sync(cli, all_kinds)


def pause_with_own_token(server: SandboxServer, test_id: int) -> None:
    """Someone else changes the account between plan and apply."""
    token = httpx.post(
        server.token_url,
        json={"client_id": CLIENT_ID, "client_secret": CANARY_SECRET, "grant_type": "client_credentials"},
    ).json()["access_token"]
    answer = httpx.patch(
        f"{server.url}{TESTS}/{test_id}/play",
        json={"mode": "preprod"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 204


def test_stale_saved_plan_refused_without_mutation(cli, sandbox, all_kinds, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(all_kinds), "--out", str(plan_file)).code == 0
    pause_with_own_token(sandbox, 381296)
    sandbox.clear_requests()
    result = cli("apply", str(all_kinds), "--plan", str(plan_file), "--auto-approve")
    assert result.code == 1
    assert "stale plan" in result.err and "test 381296" in result.err
    assert "365111" not in result.err  # only what drifted is named
    assert mutations(sandbox) == []


def test_saved_plan_from_another_version_refused(cli, sandbox, all_kinds, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(all_kinds), "--out", str(plan_file)).code == 0
    document = json.loads(plan_file.read_text())
    document["reconciler_version"] = "0.0.1"
    plan_file.write_text(json.dumps(document))
    sandbox.clear_requests()
    result = cli("apply", str(all_kinds), "--plan", str(plan_file), "--auto-approve")
    assert result.code == 1
    assert "0.0.1" in result.err and "run plan again" in result.err
    assert mutations(sandbox) == []


def test_saved_plan_with_changed_config_refused(cli, sandbox, all_kinds, tmp_path):
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(all_kinds), "--out", str(plan_file)).code == 0
    all_kinds.write_text(all_kinds.read_text().replace("mode: preprod", "mode: prod"))
    sandbox.clear_requests()
    result = cli("apply", str(all_kinds), "--plan", str(plan_file), "--auto-approve")
    assert result.code == 1
    assert "config changed" in result.err and str(all_kinds) in result.err
    assert mutations(sandbox) == []


def test_non_tty_apply_without_auto_approve_refused(cli, sandbox, all_kinds):
    sandbox.clear_requests()
    result = cli("apply", str(all_kinds))
    assert result.code == 1
    assert "not a terminal" in result.err and "--auto-approve" in result.err
    assert sandbox.requests() == []


# --- safety rails -------------------------------------------------------------------------------------

REVOKE_FOUR = KEPT_MEMBERS  # lea, emma, zoe and sarah are not listed: 4 of 15 revoked


def test_delete_fraction_refused_then_forced(cli, sandbox, tmp_path):
    config = write_config(tmp_path, members_yaml(REVOKE_FOUR, prune=True))
    sandbox.clear_requests()
    result = cli("apply", str(config), "--auto-approve")
    assert result.code == 1
    assert (
        "revoke or demote 4 of 15 members" in result.err and "26.67%" in result.err and "25.00%" in result.err
    )
    assert "--force" in result.err
    assert mutations(sandbox) == []
    result = cli("apply", str(config), "--auto-approve", "--force")
    assert result.code == 0, result.all
    assert sorted(mutations(sandbox)) == sorted(("DELETE", f"{MEMBERS}/{i}") for i in (LEA, EMMA, ZOE, SARAH))
    in_sync(cli, config)


def test_min_admins_refused_even_with_force(cli, sandbox, tmp_path):
    demoted = {
        "remi@abtasty.com": "user",
        "arthur.charbit@abtasty.com": "user",
        "emma.robert@example.com": "user",
    }
    config = write_config(tmp_path, members_yaml(demoted, prune=False))
    sandbox.clear_requests()
    for extra in ((), ("--force",)):
        result = cli("apply", str(config), "--auto-approve", *extra)
        assert result.code == 1
        assert "min_admins" in result.err and "leaves 0 admin(s) (now 3)" in result.err
    assert mutations(sandbox) == []


@pytest.fixture
def big(tmp_path: Path) -> Iterator[SandboxServer]:
    with sandbox_server(
        seed="generated:tests=40,members=30",
        state_path=tmp_path / "big.json",
        faults=Faults(),
        client_id=CLIENT_ID,
        client_secret=CANARY_SECRET,
    ) as server:
        yield server


def test_pause_fraction_refused_then_forced(big, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("ABTASTY_API_URL", big.url)
    monkeypatch.setenv("ABTASTY_API2_URL", big.api2_url)
    monkeypatch.setenv("ABTASTY_AUTH_URL", big.token_url)
    playing = sorted(int(i) for i, t in big.state()["tests"].items() if t["state"] == "play")
    assert len(playing) >= 10
    pause = playing[: len(playing) // 2 + 1]
    body = "tests:\n" + "".join(
        f"  - id: {i}\n    state: {'pause' if i in pause else 'play'}\n" for i in playing
    )
    config = write_config(tmp_path, body)
    result = cli("apply", str(config), "--auto-approve")
    assert result.code == 1
    assert f"stop {len(pause)} of {len(playing)} playing tests of the account" in result.err
    assert "max_pause_fraction 50.00%" in result.err and "--force" in result.err
    assert mutations(big) == []
    result = cli("apply", str(config), "--auto-approve", "--force")
    assert result.code == 0, result.all
    expected = [("PATCH", f"{TESTS}/{i}/pause") for i in pause] + [SCRIPT]
    assert Counter(mutations(big)) == Counter(expected)
    in_sync(cli, config)


# --- partial failure ----------------------------------------------------------------------------------

PARTIAL = """tests:
  - id: 381296
    state: play
  - id: 381316
    state: play
    schedule:
      stop_at: "2019-11-01T00:00:00"
      timezone: Europe/Paris
"""


def test_partial_failure_reports_counts_and_rerun_converges(cli, sandbox, tmp_path):
    # 381316 starts on 2019-11-28: a stop on 2019-11-01 is refused by the API (400), so its play is
    # skipped; 381296 plays and the script update still runs (one test change succeeded).
    config = write_config(tmp_path, PARTIAL + members_yaml({"new.person@example.com": "user"}, prune=False))
    sandbox.clear_requests()
    result = cli("apply", str(config), "--auto-approve")
    assert result.code == 1
    assert "Apply complete: 3 applied, 1 failed, 1 skipped." in result.out
    assert 'failed: test 381316 "Black Friday": schedule' in result.err and "stop_at" in result.err
    assert 'skipped: test 381316 "Black Friday"' in result.err
    assert "depends on failed test_schedule test:381316" in result.err
    assert Counter(mutations(sandbox)) == Counter(
        [("PATCH", f"{TESTS}/381296/play"), ("PATCH", f"{TESTS}/381316/schedule"), ("POST", MEMBERS), SCRIPT]
    )
    # The cause goes away (someone clears the old start date in the UI); apply again converges.
    sandbox._call(lambda: sandbox.sandbox.store.tests[381316].pop("start"))
    sandbox.clear_requests()
    result = cli("apply", str(config), "--auto-approve")
    assert result.code == 0, result.all
    assert Counter(mutations(sandbox)) == Counter(
        [("PATCH", f"{TESTS}/381316/schedule"), ("PATCH", f"{TESTS}/381316/play"), SCRIPT]
    )
    in_sync(cli, config)
