"""The lease as a git ref on the local GitHub fake: created only if absent, renewed and taken over only by
compare-and-swap, refused when GitHub is down; and ``apply`` with ``RECONCILER_LEASE=github``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.errors import ServerError
from reconciler.locks.github_lease import GitHubLeaseStore
from reconciler.locks.record import new_record
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, mutations, write_config
from tests.support.fake_git import GitState, git_routes
from tests.support.fake_github import TOKEN, FakeGitHub, serve_github

PLAY = "tests:\n  - id: 381296\n    state: play\n"


@pytest.fixture
def served() -> Iterator[tuple[FakeGitHub, GitState]]:
    git = GitState()
    with serve_github(lambda gh: git_routes(gh, git)) as gh:
        yield gh, git


def _env(gh: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": gh.repo, "GITHUB_TOKEN": TOKEN}


def test_one_holder_then_compare_and_swap_on_expiry(served: tuple[FakeGitHub, GitState]) -> None:
    gh, _git = served
    env = _env(gh)

    async def scenario() -> None:
        first, second = GitHubLeaseStore.from_env(env), GitHubLeaseStore.from_env(env)
        mine = new_record("abtasty account 1", 60, {"USER": "ci-a"})
        theirs = new_record("abtasty account 1", 60, {"USER": "ci-b"})
        assert await first.take("k", mine, 0) is None
        holder = await second.take("k", theirs, 0)
        assert holder is not None and holder["who"] == "ci-a"
        assert await first.renew("k", mine)
        mine["expires"] = time.time() - 1  # the holder died: its last renewal says so
        assert await first.renew("k", mine)
        assert await second.take("k", theirs, 0) is None  # taken over by compare-and-swap
        assert not await first.renew("k", mine)  # the old holder learns it lost the lease
        await first.release("k", mine)  # not ours any more: left alone
        assert (await second.take("k", new_record("x", 60, {}), 0) or {}).get("who") is not None
        await second.release("k", theirs)
        assert await first.take("k", mine, 0) is None
        await first.close()
        await second.close()

    asyncio.run(scenario())


def test_a_store_that_is_down_raises(served: tuple[FakeGitHub, GitState]) -> None:
    gh, git = served
    git.down = True

    async def scenario() -> None:
        store = GitHubLeaseStore.from_env(_env(gh))
        try:
            with pytest.raises(ServerError):
                await store.take("k", new_record("a", 60, {}), 0)
        finally:
            await store.close()

    asyncio.run(scenario())


def test_apply_holds_the_ref_and_refuses_when_github_is_down(
    cli: CliRunner, sandbox: SandboxServer, served: tuple[FakeGitHub, GitState], tmp_path: Path
) -> None:
    gh, git = served
    config = write_config(tmp_path, PLAY)
    applied = cli("apply", str(config), "--auto-approve", RECONCILER_LEASE="github", **_env(gh))
    assert applied.code == 0, applied.all
    assert ("POST", "/repos/acme/experiments/git/refs") in gh.requests and git.refs == {}
    assert TOKEN not in applied.all
    git.down = True
    config.write_text(config.read_text().replace("state: play", "state: pause"))
    sandbox.clear_requests()
    refused = cli("apply", str(config), "--auto-approve", RECONCILER_LEASE="github", **_env(gh))
    assert refused.code == 1 and "lease store GitHub acme/experiments cannot be used" in refused.err
    assert mutations(sandbox) == [] and TOKEN not in refused.all
