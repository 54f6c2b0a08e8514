"""The long reliability runs (``make soak``; ``make test`` runs their short versions in test_apply_faults.py).

- Soak: a 1,000-change apply under 20% 5xx, 10% 429 and 5% dropped connections converges in one run, with
  zero duplicate members, zero requests to resources the config does not manage, and the sandbox's state
  file valid JSON at every moment it is read during the run.
- Crashes: 20 applies killed with SIGKILL at random moments, each followed by an apply that converges.

Each prints its figures (docs/reliability.md quotes them).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import (
    Result,
    apply_then_kill,
    assert_no_duplicate_member,
    generated,
    mutations,
    run_cli,
    server_env,
    write_config,
)

pytestmark = pytest.mark.soak
Cli = Callable[..., Result]
TEST_PATH = re.compile(r"/tests/(\d+)(?:/|$)")
MEMBER_PATH = re.compile(r"/membership/(\d+)$")
ROLES = ("user", "creator", "viewer")


def changes_config(
    tmp_path: Path, state: dict[str, Any], tests: int, roles: int, adds: int, tag: str
) -> Path:
    """Flip the state of ``tests`` tests, move ``roles`` members to another non-admin role and add ``adds``
    members named after ``tag``: exactly tests + roles + adds changes against ``state``."""
    lines = ["  safety:\n    max_pause_fraction: 1.0\n", "tests:\n"]
    for test in sorted(state["tests"].values(), key=lambda t: t["id"])[:tests]:
        lines.append(f"  - id: {test['id']}\n    state: {'pause' if test['state'] == 'play' else 'play'}\n")
    lines.append("memberships:\n  prune: false\n  members:\n")
    movable = sorted((m for m in state["members"].values() if m["role"] != "admin"), key=lambda m: m["id"])
    for member in movable[:roles]:
        role = next(r for r in ROLES if r != member["role"])
        lines.append(f"    - email: {member['email']}\n      role: {role}\n")
    lines += [f"    - email: {tag}-{k}@example.org\n      role: viewer\n" for k in range(adds)]
    return write_config(tmp_path, "".join(lines), name=f"{tag}.yaml")


class StateWatcher:
    """Reads the sandbox's state file in a loop while an apply runs; every read must parse."""

    def __init__(self, path: Path) -> None:
        self.path, self.reads, self.bad = path, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                json.loads(self.path.read_text())
                self.reads += 1
            except (OSError, ValueError):
                self.bad += 1
            time.sleep(0.01)

    def __enter__(self) -> StateWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def soak_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[SandboxServer], Cli]:
    def bind(server: SandboxServer) -> Cli:
        return lambda *args: run_cli(monkeypatch, capsys, server_env(server), *args)

    return bind


@pytest.fixture
def big(tmp_path: Path) -> Iterator[SandboxServer]:
    yield from generated(tmp_path, "generated:tests=1200,members=600")


def test_1000_changes_converge_under_faults(
    big: SandboxServer, soak_cli: Callable[[SandboxServer], Cli], tmp_path: Path
) -> None:
    config = changes_config(tmp_path, big.state(), tests=700, roles=150, adds=150, tag="soak")
    cli = soak_cli(big)
    # The sandbox draws 429, then 5xx, then a drop, each only for what the previous let through: these rates
    # make the shares of all requests 10% 429, 20% 5xx (0.22 x 0.9) and 5% drops (0.07 x 0.9 x 0.78).
    big.set_faults(error_rate=0.22, throttle_rate=0.1, drop_rate=0.07, drop_phase="random", fault_seed=7)
    big.clear_requests()
    started = time.monotonic()
    with StateWatcher(tmp_path / "state.json") as watcher:
        result = cli("apply", str(config), "--auto-approve")
    elapsed = time.monotonic() - started
    log = big.requests()
    big.set_faults(reset=True)
    faults = Counter(r.get("fault") for r in log)
    figures = (
        f"\nsoak: {len(log)} requests in {elapsed:.1f} s: {faults['error']} 5xx, {faults['rate_limit']} 429, "
        f"{faults['drop_before']} dropped before and {faults['drop_after']} after processing; "
        f"state file read {watcher.reads} times, {watcher.bad} unreadable"
    )
    assert result.code == 0, result.all[-3000:]
    assert "Apply complete: 1001 applied, 0 failed, 0 skipped." in result.out  # + the tag script
    assert watcher.reads > 10 and watcher.bad == 0
    for kind, share in (("error", 0.2), ("rate_limit", 0.1)):
        assert abs(faults[kind] / len(log) - share) < 0.05, (kind, faults, len(log))
    assert abs((faults["drop_before"] + faults["drop_after"]) / len(log) - 0.05) < 0.02, (faults, len(log))
    assert cli("plan", str(config), "--detailed-exitcode").code == 0
    assert_no_duplicate_member(big)
    state = big.state()
    assert len(state["members"]) == 750
    managed_tests = {int(i) for i in re.findall(r"- id: (\d+)", config.read_text())}
    emails = set(re.findall(r"- email: (\S+)", config.read_text()))
    managed_members = {m["id"] for m in state["members"].values() if m["email"] in emails}
    strays = [
        e["path"]
        for e in log
        if ((m := TEST_PATH.search(e["path"])) and int(m[1]) not in managed_tests)
        or ((m := MEMBER_PATH.search(e["path"])) and int(m[1]) not in managed_members)
    ]
    assert strays == []
    print(figures)  # last: every CLI run reads (and drops) what was printed before it


def test_20_applies_killed_at_random_moments_each_converge_on_rerun(
    tmp_path: Path, soak_cli: Callable[[SandboxServer], Cli]
) -> None:
    rng = random.Random(2026)
    state_file = tmp_path / "state.json"
    for server in generated(tmp_path, "generated:tests=300,members=200", latency_ms=20.0):
        cli = soak_cli(server)
        members = len(server.state()["members"])
        survived = []
        for round_ in range(20):
            config = changes_config(
                tmp_path, server.state(), tests=150, roles=30, adds=30, tag=f"crash{round_}"
            )
            moment = rng.uniform(0.3, 2.0)  # start-up is ~0.4 s: some kills land before the first write
            server.clear_requests()
            apply_then_kill(server, config, moment, tmp_path, parallelism=4)
            sent = len(mutations(server))
            json.loads(state_file.read_text())  # the server's file is whole after the client died
            result = cli("apply", str(config), "--auto-approve")
            assert result.code == 0, result.all[-3000:]
            assert cli("plan", str(config), "--detailed-exitcode").code == 0
            assert_no_duplicate_member(server)
            members += 30
            assert len(server.state()["members"]) == members
            survived.append((round(moment, 2), sent))
        print(f"\ncrashes: 20 kills (seconds after start, mutations sent before the kill): {survived}")
        # The kills really landed mid-apply (not all before the first write or after the last).
        assert sum(0 < sent < 210 for _, sent in survived) >= 10, survived
