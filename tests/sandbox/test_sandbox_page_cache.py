"""``serve --page-cache``: list pages are served from their cached JSON until a mutation, byte for byte what
the sandbox without the cache answers, after the same authorization."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.pages import PageCache
from reconciler.sandbox.server import SandboxServer, serve_in_thread
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, CORE, INTERFACE, authed

SEED = "generated:tests=300,members=40"
PAGES = [
    f"{CORE}/tests?_page=1&_max_per_page=100",
    f"{CORE}/tests?_page=3&_max_per_page=100",
    f"{CORE}/tests?filter[state][]=play&_max_per_page=50",
    f"{CORE}/membership?_page=1&_max_per_page=25",
    f"{CORE}/tests?_page=1&_max_per_page=0",  # a 400: nothing cached
]


@pytest.fixture
def cached() -> Iterator[SandboxServer]:
    with serve_in_thread(seed=SEED, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, page_cache=True) as box:
        yield box


def _cache(server: SandboxServer) -> PageCache:
    cache = server.sandbox.page_cache
    assert cache is not None
    return cache


def _answers(client: httpx.Client) -> list[tuple[int, str | None, bytes]]:
    out = []
    for path in PAGES:
        response = client.get(path)
        out.append((response.status_code, response.headers.get("content-type"), response.content))
    return out


def test_cached_pages_are_the_uncached_bytes(cached: SandboxServer) -> None:
    with serve_in_thread(seed=SEED, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as plain:
        assert plain.sandbox.page_cache is None
        with authed(plain) as client:
            expected = _answers(client)
    with authed(cached) as client:
        first, second = _answers(client), _answers(client)
    assert first == expected and second == expected
    assert expected[-1][0] == 400
    assert (_cache(cached).misses, _cache(cached).hits) == (4, 4)


def test_a_mutation_drops_every_cached_page(cached: SandboxServer) -> None:
    with authed(cached) as client:
        tests = client.get(f"{CORE}/tests?_max_per_page=100").json()["_embedded"]["items"]
        members = client.get(f"{CORE}/membership?_max_per_page=100").json()["_embedded"]["items"]
        test = tests[0]
        action = "pause" if test["state"] == "play" else "play"
        assert client.patch(f"{INTERFACE}/tests/{test['id']}/{action}").status_code == 204
        after = client.get(f"{CORE}/tests?_max_per_page=100").json()["_embedded"]["items"]
        assert after[0]["state"] == action
        added = client.post(f"{CORE}/membership", json={"email": "new-one@example.org", "role": "viewer"})
        assert added.status_code == 200
        listed = client.get(f"{CORE}/membership?_max_per_page=100").json()["_embedded"]["items"]
        assert len(listed) == len(members) + 1
    assert _cache(cached).hits == 0


def test_a_cached_page_still_needs_a_valid_token(cached: SandboxServer) -> None:
    with authed(cached) as client:
        assert client.get(PAGES[0]).status_code == 200
    anonymous = httpx.get(cached.url + PAGES[0])
    assert anonymous.status_code == 401
    wrong = httpx.get(cached.url + PAGES[0], headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert _cache(cached).hits == 0


def test_service_times_follow_the_log(cached: SandboxServer) -> None:
    """``/_sandbox/service``: one figure per logged request, net of the injected latency, cleared with it."""
    cached.set_faults(latency_ms=200)
    with authed(cached) as client:
        for path in PAGES[:3]:
            assert client.get(path).status_code == 200
        service = httpx.get(f"{cached.url}/_sandbox/service").json()
        assert len(service) == len(cached.requests()) == 4  # the token, then three pages
        assert all(0 <= ms < 200 for ms in service)  # the 200 ms of latency are not counted
        assert httpx.delete(f"{cached.url}/_sandbox/requests").status_code == 204
        assert httpx.get(f"{cached.url}/_sandbox/service").json() == []


def test_the_cache_keeps_at_most_max_bodies() -> None:
    """Any query string is a key: endless variants are rendered, not kept without end."""
    from reconciler.sandbox.pages import MAX_BODIES
    from reconciler.sandbox.seed import initial_state
    from reconciler.sandbox.store import Store

    cache, store = PageCache(), Store(initial_state("demo"))
    for n in range(MAX_BODIES + 50):
        assert cache.body(store, f"/tests?x={n}", lambda n=n: {"n": n}) == f'{{"n":{n}}}'.encode()  # type: ignore[misc]
    assert cache.misses == MAX_BODIES + 50
    assert cache.body(store, "/tests?x=0", lambda: {"n": 0}) == b'{"n":0}' and cache.hits == 1
    assert cache.body(store, f"/tests?x={MAX_BODIES + 1}", lambda: {"n": -1}) == b'{"n":-1}'  # not kept
