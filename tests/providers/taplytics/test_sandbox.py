"""The Taplytics users API: paging and the Link header, the three token forms, create / update / merge,
and every error, through the whole ASGI app (middleware included) without a socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from reconciler.sandbox.context import Sandbox
from tests.support.taplytics_sandbox import HEADER, TOKEN, USERS, asgi_client, links, problem, sandbox_for

DEMO_ORDER = (
    [f"qa-{k:03d}" for k in range(1, 13)]
    + [f"beta-{k:03d}" for k in range(1, 9)]
    + [f"user-{k:03d}" for k in range(1, 11)]
)


@pytest.fixture
def box() -> Sandbox:
    return sandbox_for("demo")


@pytest.fixture
async def tap(box: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(box, headers=HEADER) as client:
        yield client


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


# -- the list, its pages and its Link header ------------------------------------------------------------
async def test_following_next_only_walks_every_user_in_creation_order(tap: httpx.AsyncClient) -> None:
    url: str | None = f"{USERS}?per_page=10"
    seen, pages = [], 0
    while url is not None:
        response = await tap.get(url)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"users", "numEntities"} and body["numEntities"] == 30
        seen += [u["user_id"] for u in body["users"]]
        pages += 1
        url = links(response).get("next")
    assert pages == 3 and seen == DEMO_ORDER


async def test_link_header_is_the_documents_form_and_keeps_the_query(tap: httpx.AsyncClient) -> None:
    response = await tap.get(f"{USERS}?api_token={TOKEN}&page=2&per_page=10", headers={"x-access-token": ""})
    base = f"http://tap.test{USERS}?api_token={TOKEN}"
    assert response.headers["link"] == (
        f"<{base}&page=3&per_page=10>; rel='last', <{base}&page=3&per_page=10>; rel='next', "
        f"<{base}&page=1&per_page=10>; rel='prev', <{base}&page=1&per_page=10>; rel='first'"
    )
    assert [u["user_id"] for u in response.json()["users"]] == DEMO_ORDER[10:20]


async def test_first_and_last_pages_have_no_prev_or_next(tap: httpx.AsyncClient) -> None:
    first = links(await tap.get(f"{USERS}?per_page=10"))
    assert set(first) == {"last", "next", "first"} and _query(first["next"]) == {
        "page": "2",
        "per_page": "10",
    }
    last = links(await tap.get(first["last"]))
    assert set(last) == {"last", "prev", "first"} and _query(last["prev"])["page"] == "2"
    whole = await tap.get(USERS)  # defaults: page 1, 100 a page
    assert len(whole.json()["users"]) == 30
    assert {rel: _query(url)["page"] for rel, url in links(whole).items()} == {"last": "1", "first": "1"}
    assert _query(links(whole)["first"])["per_page"] == "100"


async def test_a_page_past_the_end_is_empty_and_points_back(tap: httpx.AsyncClient) -> None:
    response = await tap.get(f"{USERS}?page=9&per_page=10")
    assert response.status_code == 200 and response.json() == {"users": [], "numEntities": 30}
    pages = {rel: _query(url)["page"] for rel, url in links(response).items()}
    assert pages == {"last": "3", "prev": "3", "first": "1"}
    huge = await tap.get(f"{USERS}?page={10**30}")
    assert huge.status_code == 200 and huge.json()["users"] == []


async def test_per_page_is_capped_at_the_page_cap() -> None:
    async with asgi_client(sandbox_for("demo", page_cap=7), headers=HEADER) as tap:
        response = await tap.get(f"{USERS}?per_page=1000")
        assert len(response.json()["users"]) == 7 and response.json()["numEntities"] == 30
        assert {_query(u)["per_page"] for u in links(response).values()} == {"7"}
        assert _query(links(response)["last"])["page"] == "5"
    async with asgi_client(sandbox_for("demo"), headers=HEADER) as tap:
        assert len((await tap.get(f"{USERS}?per_page=1000")).json()["users"]) == 30  # default cap 100


async def test_an_empty_project_has_one_empty_page() -> None:
    async with asgi_client(sandbox_for("empty"), headers=HEADER) as tap:
        response = await tap.get(USERS)
        assert response.json() == {"users": [], "numEntities": 0}
        assert set(links(response)) == {"last", "first"}


@pytest.mark.parametrize(
    ("query", "word"),
    [("page=0", "page"), ("page=-1", "page"), ("page=two", "page"), ("page=1.5", "page"),
     ("per_page=0", "per_page"), ("per_page=ten", "per_page")],
)  # fmt: skip
async def test_bad_paging_parameters_are_400(tap: httpx.AsyncClient, query: str, word: str) -> None:
    problem(await tap.get(f"{USERS}?{query}"), 400, f"'{word}'")


# -- the token: header, query, POST body ------------------------------------------------------------
async def test_the_three_documented_token_forms(box: Sandbox) -> None:
    async with asgi_client(box) as anon:
        assert (await anon.get(USERS, headers=HEADER)).status_code == 200
        assert (await anon.get(USERS, params={"api_token": TOKEN})).status_code == 200
        created = await anon.post(f"{USERS}/via-body", json={"api_token": TOKEN, "name": "Body"})
        assert created.status_code == 200 and created.json()["name"] == "Body"
        assert (await anon.get(f"{USERS}/via-body", params={"api_token": TOKEN})).status_code == 200


@pytest.mark.parametrize(
    ("headers", "params", "body", "words"),
    [
        ({}, {}, None, ["missing", "x-access-token", "api_token"]),
        ({"x-access-token": "wrong"}, {}, None, ["invalid", "header"]),
        ({}, {"api_token": "wrong"}, None, ["invalid", "query"]),
        ({}, {}, {"api_token": "wrong", "name": "x"}, ["invalid", "body"]),
        ({}, {}, {"api_token": 12345, "name": "x"}, ["invalid", "body"]),
        (
            {"x-access-token": "wrong"},
            {"api_token": TOKEN},
            None,
            ["header"],
        ),  # the header is the one checked
    ],
)
async def test_missing_or_wrong_token_is_401(
    box: Sandbox, headers: dict[str, str], params: dict[str, str], body: object, words: list[str]
) -> None:
    async with asgi_client(box) as anon:
        if body is None:
            response = await anon.get(USERS, headers=headers, params=params)
        else:
            response = await anon.post(f"{USERS}/nobody", headers=headers, params=params, json=body)
        message = problem(response, 401, *words)
        assert "wrong" not in message and "12345" not in message  # a sent key is never echoed
    assert "nobody" not in box.store.users


async def test_auth_comes_before_body_checks(box: Sandbox) -> None:
    async with asgi_client(box) as anon:
        problem(await anon.post(f"{USERS}/x", content=b"{not json"), 401)
        problem(await anon.post(f"{USERS}/x", content=b"{not json", headers=HEADER), 400, "json")
        problem(await anon.post(f"{USERS}/x", json={"role": "admin"}), 401)


# -- create, update, merge ----------------------------------------------------------------------------
async def test_post_creates_a_user_last_in_the_list(tap: httpx.AsyncClient) -> None:
    body = {
        "email": "new@example.com",
        "name": "New",
        "custom_data": {"cohort": "qa", "age": 31, "vip": True},
    }
    created = await tap.post(f"{USERS}/new-1", json=body)
    assert created.status_code == 200
    assert created.json() == {"user_id": "new-1", **body}
    assert (await tap.get(f"{USERS}/new-1")).json() == created.json()
    listed = (await tap.get(f"{USERS}?page=4&per_page=10")).json()
    assert listed == {"users": [created.json()], "numEntities": 31}


async def test_custom_data_merges_and_null_removes_a_key(tap: httpx.AsyncClient) -> None:
    merged = await tap.post(f"{USERS}/beta-001", json={"custom_data": {"plan": "enterprise", "seats": 2.5}})
    assert merged.json()["custom_data"] == {"cohort": "beta", "plan": "enterprise", "score": 10,
                                            "early_access": True, "seats": 2.5}  # fmt: skip
    removed = await tap.post(f"{USERS}/beta-001", json={"custom_data": {"score": None, "early_access": None}})
    assert removed.json()["custom_data"] == {"cohort": "beta", "plan": "enterprise", "seats": 2.5}
    assert removed.json()["email"] == "beta1@example.com" and removed.json()["name"] == "Beta User 1"
    emptied = await tap.post(f"{USERS}/qa-001", json={"custom_data": {"cohort": None, "absent": None}})
    assert emptied.json()["custom_data"] == {}


async def test_email_and_name_are_set_or_cleared_independently(tap: httpx.AsyncClient) -> None:
    cleared = await tap.post(f"{USERS}/qa-002", json={"email": None})
    assert cleared.json() == {"user_id": "qa-002", "email": None, "name": "QA Tester 2",
                              "custom_data": {"cohort": "qa"}}  # fmt: skip
    renamed = await tap.post(f"{USERS}/qa-002", json={"name": "Renamed", "api_token": TOKEN})
    assert renamed.json()["name"] == "Renamed" and renamed.json()["email"] is None
    bare = await tap.post(f"{USERS}/bare", json={"custom_data": {}})
    assert bare.json() == {"user_id": "bare", "email": None, "name": None, "custom_data": {}}


async def test_an_update_that_changes_nothing_is_not_a_mutation(tap: httpx.AsyncClient, box: Sandbox) -> None:
    seq = box.store.seq
    same = await tap.post(f"{USERS}/qa-003", json={"name": "QA Tester 3", "custom_data": {"cohort": "qa"}})
    assert same.status_code == 200 and box.store.seq == seq


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"role": "admin"}, "'role'"),
        ({"email": "a@example.com", "user_id": "other"}, "'user_id'"),
        ({"email": 5}, "'email'"),
        ({"name": ["x"]}, "'name'"),
        ({"custom_data": "cohort=qa"}, "'custom_data'"),
        ({"custom_data": None}, "'custom_data'"),
        ({"custom_data": {"nested": {"a": 1}}}, "'custom_data.nested'"),
        ({"custom_data": {"list": [1, 2]}}, "'custom_data.list'"),
        ({"custom_data": {"": 1}}, "'custom_data'"),
        ({}, "email, name, custom_data"),
        ({"api_token": TOKEN}, "email, name, custom_data"),
    ],
)
async def test_bad_bodies_are_400_naming_the_field(
    tap: httpx.AsyncClient, box: Sandbox, body: dict[str, object], word: str
) -> None:
    seq = box.store.seq
    problem(await tap.post(f"{USERS}/qa-004", json=body), 400, word)
    problem(await tap.post(f"{USERS}/never", json=body), 400, word)
    assert box.store.seq == seq and "never" not in box.store.users


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b"{oops", b'{"custom_data": {"x": NaN}}'])
async def test_unusable_bodies_are_400(tap: httpx.AsyncClient, content: bytes) -> None:
    problem(await tap.post(f"{USERS}/never", content=content), 400)
    problem(await tap.get(f"{USERS}/never"), 404)


# -- not found and other routes -----------------------------------------------------------------------
async def test_unknown_users_routes_and_methods(tap: httpx.AsyncClient) -> None:
    problem(await tap.get(f"{USERS}/nobody"), 404, "nobody")
    problem(await tap.get("/v2/experiments"), 404)
    problem(await tap.delete(f"{USERS}/qa-001"), 405)
    problem(await tap.post(USERS, json={"name": "x"}), 405)
    abtasty = await tap.get("/api/core/accounts/41902/tests")  # the AB Tasty shape is unchanged
    assert abtasty.status_code == 401 and set(abtasty.json()) == {"code", "message"}


async def test_user_ids_are_taken_as_given(tap: httpx.AsyncClient) -> None:
    created = await tap.post(f"{USERS}/Mixed%20Case%2Bid", json={"name": "Spaced"})
    assert created.json()["user_id"] == "Mixed Case+id"
    assert (await tap.get(f"{USERS}/Mixed%20Case%2Bid")).json()["name"] == "Spaced"
    problem(await tap.get(f"{USERS}/mixed%20case%2Bid"), 404)
