"""Taplytics over real HTTP: forced statuses (402 and others, AB Tasty routes too), the random faults, and
the request log (token_via recorded, the API key never logged)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.faults import Faults
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import sandbox_server
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, CORE, INTERFACE, authed
from tests.support.taplytics_sandbox import HEADER, TOKEN, USERS, problem

RULE_402 = {"method": "POST", "path": "/v2/users/qa-402", "status": 402,
            "message": "User limit reached for this plan", "times": None}  # fmt: skip


@pytest.fixture
def srv() -> Iterator[SandboxServer]:
    with sandbox_server(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, taplytics_token=TOKEN) as server:
        yield server


@pytest.fixture
def tap(srv: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=srv.url, headers=HEADER) as client:
        yield client


def test_the_server_exposes_its_token(srv: SandboxServer) -> None:
    assert srv.taplytics_token == TOKEN
    assert TOKEN not in repr(srv.sandbox) and TOKEN not in repr(srv.sandbox.credentials)


# -- forced statuses ----------------------------------------------------------------------------------
def test_forced_402_answers_the_message_every_time_and_changes_nothing(
    srv: SandboxServer, tap: httpx.Client
) -> None:
    srv.set_faults(forced=[RULE_402])
    for _ in range(3):
        problem(tap.post(f"{USERS}/qa-402", json={"name": "Q"}), 402, "User limit reached for this plan")
    problem(tap.get(f"{USERS}/qa-402"), 404)  # never created; other routes and methods unaffected
    assert tap.post(f"{USERS}/qa-403", json={"name": "Q"}).status_code == 200
    entries = srv.requests()
    assert [(e["status"], e.get("fault")) for e in entries[:3]] == [(402, "forced")] * 3


def test_forced_rules_count_down_match_prefixes_and_any_method(srv: SandboxServer, tap: httpx.Client) -> None:
    srv.set_faults(forced=[{"path": "/v2/users*", "status": 503, "times": 2}])
    statuses = [
        tap.get(f"{USERS}/qa-001").status_code,
        tap.get(USERS).status_code,
        tap.get(USERS).status_code,
    ]
    assert statuses == [503, 503, 200]
    srv.set_faults(latency_ms=0)  # changing another field does not revive a used-up rule
    assert tap.get(USERS).status_code == 200
    srv.set_faults(forced=srv.sandbox.faults.faults.forced)  # giving the rules again re-arms them
    assert problem(tap.post(f"{USERS}/x", json={"name": "x"}), 503) == "Forced status 503"
    assert srv.set_faults(reset=True).forced == []


def test_forced_statuses_work_on_ab_tasty_routes_in_its_shape(srv: SandboxServer) -> None:
    rule = {
        "method": "PATCH",
        "path": f"{INTERFACE}/tests/*",
        "status": 402,
        "message": "Plan limit",
        "times": 1,
    }
    srv.set_faults(forced=[rule])
    with authed(srv) as api:
        first = api.patch(f"{INTERFACE}/tests/381296/play")
        assert first.status_code == 402 and first.json() == {"code": 402, "message": "Plan limit"}
        assert api.get(f"{CORE}/tests/381296").json()["state"] == "pause"
        assert api.patch(f"{INTERFACE}/tests/381296/play").status_code == 204


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"path": "v2/users", "status": 402}, "forced[0].path"),
        ({"path": "/v2/users"}, "forced[0].status"),
        ({"path": "/v2/users", "status": 200}, "forced[0].status"),
        ({"path": "/v2/users", "status": 402, "times": 0}, "forced[0].times"),
        ({"path": "/v2/users", "status": 402, "method": 1}, "forced[0].method"),
        ({"path": "/v2/users", "status": 402, "colour": "red"}, "colour"),
        ("/v2/users", "forced[0]"),
    ],
)
def test_bad_forced_rules_are_refused(srv: SandboxServer, rule: object, words: str) -> None:
    response = httpx.post(f"{srv.url}/_sandbox/faults", json={"forced": [rule]})
    assert response.status_code == 400 and words in response.json()["message"]
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        srv.set_faults(forced=[rule])
    assert httpx.get(f"{srv.url}/_sandbox/faults").json()["forced"] == []


def test_forced_rules_over_http(srv: SandboxServer, tap: httpx.Client) -> None:
    answer = httpx.post(f"{srv.url}/_sandbox/faults", json={"forced": [RULE_402]})
    assert answer.status_code == 200 and answer.json()["forced"] == [RULE_402]
    assert httpx.get(f"{srv.url}/_sandbox/faults").json()["forced"] == [RULE_402]
    problem(tap.post(f"{USERS}/qa-402", json={"name": "Q"}), 402, "User limit")
    assert Faults(forced=[RULE_402]).updated({"latency_ms": 1}).forced == [RULE_402]


# -- the random faults apply to /v2 as to AB Tasty ---------------------------------------------------
def test_server_errors_and_rate_limits_answer_in_the_taplytics_shape(
    srv: SandboxServer, tap: httpx.Client
) -> None:
    srv.set_faults(error_rate=1.0)
    response = tap.post(f"{USERS}/lost", json={"name": "Lost"})
    assert response.status_code >= 500 and response.json() == {
        "message": "Injected server error",
        "status": response.status_code,
    }
    srv.set_faults(error_rate=0.0, rate_limit_rps=1, rate_limit_burst=1)
    assert tap.get(f"{USERS}/lost").status_code == 404  # never created
    limited = tap.get(USERS)
    problem(limited, 429, "retry after")
    assert int(limited.headers["Retry-After"]) >= 1
    assert srv.requests()[-1]["fault"] == "rate_limit"


def test_drops_and_latency(srv: SandboxServer, tap: httpx.Client) -> None:
    srv.set_faults(drop_rate=1.0, drop_phase="before")
    with pytest.raises(httpx.RemoteProtocolError):
        tap.post(f"{USERS}/dropped-before", json={"name": "B"})
    srv.set_faults(drop_phase="after")
    with pytest.raises(httpx.RemoteProtocolError):
        tap.post(f"{USERS}/dropped-after", json={"name": "A"})
    srv.set_faults(drop_rate=0.0, latency_ms=150)
    started = time.perf_counter()
    assert tap.get(f"{USERS}/dropped-after").json()["name"] == "A"  # applied, only the answer was lost
    assert time.perf_counter() - started >= 0.15
    problem(tap.get(f"{USERS}/dropped-before"), 404)
    faults = [e.get("fault") for e in srv.requests()[:2]]
    assert faults == ["drop_before", "drop_after"]


# -- the request log ---------------------------------------------------------------------------------
def test_the_log_records_how_the_token_came_and_never_the_token(srv: SandboxServer) -> None:
    with httpx.Client(base_url=srv.url) as anon:
        anon.get(USERS, headers=HEADER)
        anon.get(USERS, params={"page": 2, "api_token": TOKEN, "per_page": 10})
        anon.post(f"{USERS}/body-user", json={"api_token": TOKEN, "name": "B"})
        anon.get(USERS)
        anon.get(f"{USERS}?api%5Ftoken={TOKEN}")  # an encoded key is still the key
        anon.post(f"{USERS}/x", headers=HEADER, content=b'{"api_token": "' + TOKEN.encode() + b'", oops')
        anon.post(f"{USERS}/pasted", headers=HEADER, json={"custom_data": {"note": f"key is {TOKEN}"}})
        anon.get(USERS, params={"api_token": "wrong-key-9"})
    entries = srv.requests()
    assert [e["token_via"] for e in entries] == ["header", "query", "body", None, "query", "header", "header",
                                                 "query"]  # fmt: skip
    assert entries[1]["query"] == "page=2&api_token=***&per_page=10"
    assert entries[2]["body"] == {"api_token": "***", "name": "B"}
    assert entries[7]["query"] == "api_token=***" and entries[7]["status"] == 401
    assert [e["status"] for e in entries[:4]] == [200, 200, 200, 401]
    served = httpx.get(f"{srv.url}/_sandbox/requests").text
    for text in (json.dumps(entries), served):
        assert TOKEN not in text and "wrong-key-9" not in text


def test_ab_tasty_entries_have_no_token_via(srv: SandboxServer) -> None:
    with authed(srv) as api:
        api.get(f"{CORE}/tests/381296")
    assert all("token_via" not in e for e in srv.requests())
    assert CLIENT_SECRET not in json.dumps(srv.requests())
