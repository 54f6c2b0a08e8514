"""A 2,000-test, 500-member account: export, then plan finds it in sync; the export reads each page once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, CliRunner, sandbox_server
from tests.support.export import Point, check_valid, requests_made

pytestmark = pytest.mark.slow  # a 2,000-test account

TESTS, MEMBERS = 2000, 500


@pytest.fixture(scope="module")
def big() -> Iterator[SandboxServer]:
    with sandbox_server(
        seed=f"generated:tests={TESTS},members={MEMBERS}", client_id=CLIENT_ID, client_secret=CANARY_SECRET
    ) as server:
        yield server


def test_big_account_round_trips(cli: CliRunner, big: SandboxServer, point: Point, tmp_path: Path) -> None:
    point(big)
    big.clear_requests()
    path = tmp_path / "big.yaml"
    result = cli("export", "--provider", "abtasty", "--account", "41902", "-o", str(path))
    assert result.code == 0, result.err
    made = requests_made(big)
    # 1 token + 20 pages of 100 tests + 5 pages of 100 members, each read once
    assert len(made) == 1 + TESTS // 100 + MEMBERS // 100
    assert made.count(("POST", "/oauth/v2/token")) == 1
    loaded = check_valid(path)
    assert len(loaded.config.tests) == TESTS
    assert loaded.config.memberships is not None and len(loaded.config.memberships.members) == MEMBERS
    assert cli("plan", str(path), "--detailed-exitcode").code == 0
    unchanged = cli("export", "--update", str(path), "--check")
    assert unchanged.code == 0 and "no value changed" in unchanged.out
