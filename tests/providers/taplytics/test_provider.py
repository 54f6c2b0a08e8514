"""The Taplytics provider against a real sandbox on 127.0.0.1: how many requests a fetch makes for which
config, what it reads, and what one change sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.core.changes import Change
from reconciler.http import ApiClient, TokenHeaderAuth
from reconciler.loading import load_configs
from reconciler.providers.taplytics.changes import Kind
from reconciler.providers.taplytics.provider import TaplyticsProvider
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import sandbox_server
from tests.support.taplytics import TAPLYTICS_CANARY, api_requests, provider_for, user_ids, write_taplytics

N_USERS = 1000  # 10 pages of 100


@pytest.fixture(scope="module")
def big() -> Iterator[SandboxServer]:
    with sandbox_server(
        seed=f"generated:tests=0,members=0,users={N_USERS}", taplytics_token=TAPLYTICS_CANARY
    ) as s:
        yield s


def paths(server: SandboxServer) -> list[str]:
    return [r["path"] + (f"?{r['query']}" if r.get("query") else "") for r in api_requests(server)]


async def fetch(server: SandboxServer, tmp_path: Path, ids: list[str]) -> dict[str, object]:
    server.clear_requests()
    config = write_taplytics(tmp_path, [{"user_id": i, "name": "x"} for i in ids])
    async with provider_for(server, config) as provider:
        existing = await provider.fetch()
    assert existing.users is not None
    return dict(existing.users)


async def test_users_all_on_page_1_cost_one_request(big: SandboxServer, tmp_path: Path) -> None:
    users = await fetch(big, tmp_path, user_ids(3))
    assert sorted(users) == user_ids(3)
    assert [r["path"] for r in api_requests(big)] == ["/v2/users"]


async def test_few_users_far_away_are_read_one_by_one(big: SandboxServer, tmp_path: Path) -> None:
    wanted = [user_ids(N_USERS)[k] for k in (5, 450, 999)] + ["not-there"]
    users = await fetch(big, tmp_path, wanted)
    assert sorted(users) == sorted(wanted[:3])  # the unknown one is absent: the plan creates it
    log = api_requests(big)
    assert log[0]["path"] == "/v2/users"
    assert sorted(r["path"] for r in log[1:]) == [
        "/v2/users/not-there",
        "/v2/users/user-000000",  # the probe after a 404: does the (undocumented) route exist?
        "/v2/users/user-000450",
        "/v2/users/user-000999",
    ]
    assert [r["status"] for r in log if r["path"] == "/v2/users/not-there"] == [404]
    assert [r["status"] for r in log if r["path"] == "/v2/users/user-000000"] == [200]


async def test_many_users_follow_the_links_and_stop_once_all_are_known(
    big: SandboxServer, tmp_path: Path
) -> None:
    wanted = user_ids(N_USERS)[150:300]  # 150 users on pages 2-3: more than the 9 pages left
    users = await fetch(big, tmp_path, wanted)
    assert sorted(users) == wanted
    assert [r["path"] for r in api_requests(big)] == ["/v2/users"] * 3  # pages 4..10 not needed


async def test_custom_data_keeps_only_the_keys_declared_for_that_user(
    big: SandboxServer, tmp_path: Path
) -> None:
    stored = big.state()["taplytics_users"]
    assert (
        set(stored["user-000001"]["custom_data"])
        == set(stored["user-000002"]["custom_data"])
        == {"cohort", "index"}
    )
    declared = [
        {"user_id": "user-000001", "custom_data": {"cohort": "x"}},
        {"user_id": "user-000002", "custom_data": {"index": 0}},
    ]
    async with provider_for(big, write_taplytics(tmp_path, declared)) as provider:
        existing = await provider.fetch()
    assert existing.users is not None
    one, two = existing.users["user-000001"], existing.users["user-000002"]
    assert (one.email, one.name) == (stored["user-000001"]["email"], stored["user-000001"]["name"])
    assert dict(one.custom_data) == {"cohort": stored["user-000001"]["custom_data"]["cohort"]}
    assert dict(two.custom_data) == {"index": 2}  # keys a user does not declare are not managed for it


async def test_no_declared_user_means_no_request(big: SandboxServer, tmp_path: Path) -> None:
    assert await fetch(big, tmp_path, []) == {}
    assert api_requests(big) == []


async def test_a_bare_array_with_link_headers_is_read(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        body = [{"user_id": f"u{page}", "email": None, "custom_data": None}, {"name": "anonymous, no id"}]
        link = f"<https://t.test/v2/users?page={page + 1}&per_page=100>; rel='next'" if page < 3 else ""
        return httpx.Response(200, json=body, headers={"Link": link})

    [loaded] = load_configs([write_taplytics(tmp_path, [{"user_id": f"u{i}", "name": "x"} for i in (1, 3)])])
    transport = httpx.MockTransport(handler)
    async with ApiClient("https://t.test", TokenHeaderAuth("tok-1234"), transport=transport) as client:
        existing = await TaplyticsProvider(client, loaded).fetch()
        assert client.request_count == 3  # no numEntities: the links are followed
    assert existing.users is not None and sorted(existing.users) == ["u1", "u3"]
    assert existing.users["u1"].email is None and dict(existing.users["u1"].custom_data) == {}


async def test_execute_posts_only_the_change(tmp_path: Path) -> None:
    with sandbox_server(seed="demo", taplytics_token=TAPLYTICS_CANARY) as server:
        config = write_taplytics(tmp_path, [{"user_id": "qa-001", "custom_data": {"beta": "true"}}])
        change = Change(
            Kind.USER_UPDATE,
            "user:qa-001",
            "QA",
            {"custom_data": {"beta": None}},
            {"custom_data": {"beta": "true"}},
        )
        async with provider_for(server, config) as provider:
            await provider.execute(change)
        [post] = [r for r in api_requests(server) if r["method"] == "POST"]
        assert (post["path"], post["body"], post["token_via"]) == (
            "/v2/users/qa-001",
            {"custom_data": {"beta": "true"}},
            "header",
        )
        user = server.state()["taplytics_users"]["qa-001"]
        assert user["custom_data"] == {"cohort": "qa", "beta": "true"}  # merged, cohort left alone
