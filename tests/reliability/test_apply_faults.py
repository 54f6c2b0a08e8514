"""Apply under injected faults and after being killed: it must converge, never duplicate a member and
never touch what the config does not manage."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import (
    apply_then_kill,
    assert_no_duplicate_member,
    big_change_config,
    generated,
    mutations,
)

pytestmark = pytest.mark.slow  # apply under faults and kills

TEST_PATH = re.compile(r"/tests/(\d+)(?:/|$)")
MEMBER_PATH = re.compile(r"/membership/(\d+)$")


@pytest.fixture
def large(tmp_path: Path) -> Iterator[SandboxServer]:
    yield from generated(tmp_path, "generated:tests=150,members=120")


def managed_ids(config_text: str, state: dict) -> tuple[set[int], set[int]]:
    """(test ids, membership ids) the config manages, membership ids read from the final state."""
    tests = {int(i) for i in re.findall(r"- id: (\d+)", config_text)}
    emails = set(re.findall(r"- email: (\S+)", config_text))
    members = {m["id"] for m in state["members"].values() if m["email"] in emails}
    return tests, members


def test_200_changes_converge_in_one_run_under_faults(large, cli_for, tmp_path):
    config = big_change_config(tmp_path, large.state(), n_tests=100, n_adds=60, n_roles=40)
    cli = cli_for(large)
    large.set_faults(
        error_rate=0.2,
        # 60/s with a burst of 4 still answers about 12% of requests 429 (asserted > 3% below); at 30/s the
        # run spent twice as long (~28 s) waiting out Retry-After, which proves nothing more.
        rate_limit_rps=60,
        rate_limit_burst=4,
        drop_rate=0.05,
        drop_phase="random",
        fault_seed=2,
    )
    large.clear_requests()
    started = time.monotonic()
    result = cli("apply", str(config), "--auto-approve")
    elapsed = time.monotonic() - started
    log = large.requests()
    large.set_faults(reset=True)
    faults = Counter(r.get("fault") for r in log)
    assert result.code == 0, result.all
    assert "Apply complete: 201 applied, 0 failed, 0 skipped." in result.out
    # The faults really happened, at about the rates asked for.
    assert faults["error"] / len(log) > 0.1, (faults, len(log), elapsed)
    assert faults["rate_limit"] / len(log) > 0.03, (faults, len(log), elapsed)
    assert faults["drop_before"] and faults["drop_after"], (faults, len(log), elapsed)

    assert cli("plan", str(config), "--detailed-exitcode").code == 0
    state = large.state()
    assert_no_duplicate_member(large)
    assert len(state["members"]) == 180
    tests, members = managed_ids(config.read_text(), state)
    for entry in log:
        if match := TEST_PATH.search(entry["path"]):
            assert int(match[1]) in tests, entry
        if match := MEMBER_PATH.search(entry["path"]):
            assert int(match[1]) in members, entry


# --- SIGKILL at a random point ------------------------------------------------------------------------


@pytest.mark.parametrize("after_s", [0.2, 0.6, 1.2, 1.8])
def test_apply_killed_then_rerun_converges(after_s, tmp_path, cli_for):
    for server in generated(tmp_path, "generated:tests=60,members=40", latency_ms=30.0):
        config = big_change_config(tmp_path, server.state(), n_tests=40, n_adds=20, n_roles=15)
        server.clear_requests()
        apply_then_kill(server, config, after_s, tmp_path)
        done_before = len(mutations(server))
        server.set_faults(latency_ms=0.0)
        cli = cli_for(server)
        result = cli("apply", str(config), "--auto-approve")
        assert result.code == 0, result.all
        assert cli("plan", str(config), "--detailed-exitcode").code == 0
        assert_no_duplicate_member(server)
        assert len(server.state()["members"]) == 60
        print(f"killed after {after_s}s: {done_before} mutation(s) had been sent")
