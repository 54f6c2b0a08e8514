"""AB Tasty's ``Provider.health`` on a real plan against the sandbox: a paused test whose start time has
passed, and a tag-script rebuild owed by an earlier apply, make the account degraded (issue 26)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.core.plan import AccountPlan
from reconciler.engine import Session
from reconciler.loading import load_configs
from reconciler.providers.abtasty import pending
from reconciler.providers.abtasty.health import degraded
from reconciler.providers.abtasty.state import Existing, ExistingTest
from reconciler.sandbox.server import SandboxServer
from reconciler.statedirs import STATE_DIR_VARIABLE
from tests.support.e2e import canary_sandbox, server_env, write_config

SUMMER_SALE = 381317  # demo data: paused, start 2019-07-01, no stop
CHECKOUT_CTA = 381311  # demo data: paused, unscheduled


def _plan(path: Path, server: SandboxServer) -> AccountPlan:
    env = server_env(server)
    session = Session(load_configs([str(path)], env=env), env)
    return asyncio.run(session.plan())[0]


def test_a_paused_test_past_its_start_and_an_owed_script_degrade_the_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(tmp_path / "state"))
    with canary_sandbox(tmp_path, "canary-taplytics-unused") as server:
        _degraded_by_the_sandbox(server, tmp_path)


def _degraded_by_the_sandbox(server: SandboxServer, tmp_path: Path) -> None:
    body = f"tests:\n  - id: {SUMMER_SALE}\n    state: pause\n  - id: {CHECKOUT_CTA}\n    state: pause\n"
    config = write_config(tmp_path, body)
    plan = _plan(config, server)
    assert plan.changes == ()  # in sync: the health is not drift
    assert len(plan.health) == 1
    assert f'test {SUMMER_SALE} "Summer sale" is paused, yet its start time 2019-07-01' in plan.health[0]

    pending.owe(pending.marker_path(server.url, 41902))
    owed = _plan(config, server)
    assert owed.health[0].startswith("the tag script owes a rebuild")
    assert "owed" not in str(owed.to_dict()["summary"])  # the plan file does not carry health


def test_the_windows_of_a_schedule() -> None:
    now = 1_000_000
    tests = {
        1: ExistingTest(1, "ended", "pause", False, start=now - 100, stop=now - 10),
        2: ExistingTest(2, "future", "pause", False, start=now + 100),
        3: ExistingTest(3, "playing", "play", False, start=now - 100),
        4: ExistingTest(4, "due", "pause", False, start=now - 100, stop=now + 100, timezone="Europe/Paris"),
        5: ExistingTest(5, "unscheduled", "pause", False),
    }
    reasons = degraded(Existing(41902, tests=tests, fetched_at=now))
    assert reasons == [
        'test 4 "due" is paused, yet its start time 1970-01-12T14:45:00 (Europe/Paris) has passed'
    ]
    assert degraded(Existing(41902, tests=tests, fetched_at=0)) == []  # no "now": nothing is claimed
