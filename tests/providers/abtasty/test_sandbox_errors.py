"""Every documented error code, each with a JSON body naming the problem."""

from __future__ import annotations

import httpx
import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.sandbox import CORE, INTERFACE, token_for


def _problem(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status and isinstance(body["message"], str)
    for word in words:
        assert word.lower() in body["message"].lower(), body["message"]


BAD_REQUESTS = [
    ("PATCH", f"{INTERFACE}/tests/381296/play", {"mode": "staging"}, "mode"),
    ("PATCH", f"{INTERFACE}/tests/381296/schedule", {"start_at": "2019-01-01 10:00"}, "start_at"),
    ("PATCH", f"{INTERFACE}/tests/381296/schedule", {"start_at": "2019-02-30T10:00:00"}, "start_at"),
    ("PATCH", f"{INTERFACE}/tests/381296/schedule", {"stop_at": "2019-01-01T10:00:00", "timezone": "Mars/Olympus"},
     "timezone"),
    ("PATCH", f"{INTERFACE}/tests/381296/schedule",
     {"start_at": "2019-01-02T10:00:00", "stop_at": "2019-01-01T10:00:00", "timezone": "Europe/Paris"}, "stop_at"),
    ("POST", f"{CORE}/membership", {"email": "REMI@abtasty.com", "role": "user"}, "already"),
    ("POST", f"{CORE}/membership", {"email": "new@example.com", "role": "owner"}, "role"),
    ("POST", f"{CORE}/membership", {"email": "not-an-email", "role": "user"}, "email"),
    ("POST", f"{CORE}/membership", {"role": "user"}, "email"),
    ("PATCH", f"{CORE}/membership/132419", {"role": "superuser"}, "role"),
    ("PATCH", f"{CORE}/membership/132419", {"email": "Remi@AbTasty.com"}, "already"),
    ("PATCH", f"{CORE}/membership/132419", {}, "role"),
    ("GET", f"{CORE}/tests?filter[active]=maybe", None, "filter[active]"),
    ("GET", f"{CORE}/tests?filter[type][]=banana", None, "type"),
    ("GET", f"{CORE}/tests?_page=zero", None, "_page"),
    ("GET", f"{CORE}/tests?filter[_order][id]=UP", None, "order"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "word"), BAD_REQUESTS)
def test_400(api: httpx.Client, method: str, path: str, body: object, word: str) -> None:
    _problem(api.request(method, path, json=body), 400, word)


@pytest.mark.parametrize(
    "path", [f"{INTERFACE}/tests/381296/play", f"{CORE}/membership", f"{INTERFACE}/tests/381296/schedule"]
)
def test_400_malformed_json(api: httpx.Client, path: str) -> None:
    method = "POST" if path.endswith("membership") else "PATCH"
    _problem(api.request(method, path, content=b'{"mode": "prod"'), 400, "malformed json")


def test_400_changes_nothing(api: httpx.Client, server: SandboxServer) -> None:
    before = server.state()
    api.patch(f"{INTERFACE}/tests/381296/play", json={"mode": "nope"})
    api.post(f"{CORE}/membership", json={"email": "remi@ABTASTY.com", "role": "user"})
    assert server.state() == before


def test_401_missing_invalid_and_expired(server: SandboxServer) -> None:
    url = f"{server.url}{CORE}/tests"
    _problem(httpx.get(url), 401, "missing")
    _problem(httpx.get(url, headers={"Authorization": "Basic abc"}), 401, "bearer")
    _problem(httpx.get(url, headers={"Authorization": "Bearer not-a-token"}), 401, "invalid")
    token = token_for(server)
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    server.set_faults(expire_tokens=True)
    _problem(httpx.get(url, headers={"Authorization": f"Bearer {token}"}), 401, "expired")
    assert httpx.get(url, headers={"Authorization": f"Bearer {token_for(server)}"}).status_code == 200


def test_401_after_the_token_ttl(server: SandboxServer) -> None:
    # A lifetime long enough that the real time a loaded machine takes between two requests never counts:
    # only the clock's steps do (a 1 s lifetime and a 0.5 s step failed once under load).
    server.set_faults(token_ttl=60)
    answer = httpx.post(server.token_url, json={"client_id": server.client_id, "client_secret": server.client_secret,
                                                "grant_type": "client_credentials"}).json()  # fmt: skip
    assert answer["expires_in"] == 60
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    assert httpx.get(f"{server.url}{CORE}/tests", headers=headers).status_code == 200
    server.advance_clock(30)
    assert httpx.get(f"{server.url}{CORE}/tests", headers=headers).status_code == 200
    server.advance_clock(31)  # 61 s after it was issued, by the sandbox's clock: no real wait
    _problem(httpx.get(f"{server.url}{CORE}/tests", headers=headers), 401, "expired")


def test_the_sandbox_clock_only_moves_forward(server: SandboxServer) -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        server.advance_clock(-1)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"client_id": "test-client-id", "client_secret": "wrong", "grant_type": "client_credentials"}, 401),
        (
            {
                "client_id": "someone-else",
                "client_secret": "canary-secret-7f3a9",
                "grant_type": "client_credentials",
            },
            401,
        ),
        (
            {"client_id": "test-client-id", "client_secret": "canary-secret-7f3a9", "grant_type": "password"},
            400,
        ),
        ({"client_id": "test-client-id", "grant_type": "client_credentials"}, 400),
    ],
)
def test_token_endpoint_refusals(shared_server: SandboxServer, body: dict[str, str], status: int) -> None:
    response = httpx.post(shared_server.token_url, json=body)
    assert response.status_code == status
    assert response.json()["code"] == status and "access_token" not in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/core/accounts/1/tests"), ("GET", "/api/core/accounts/41903/membership/80397"),
     ("PATCH", "/api/interface/accounts/1/tests/381296/play"), ("POST", "/api/core/accounts/2/membership")],
)  # fmt: skip
def test_403_for_another_account(reader: httpx.Client, method: str, path: str) -> None:
    _problem(reader.request(method, path, json={}), 403, "account")


@pytest.mark.parametrize(
    "path",
    [f"{CORE}/tests/999999", f"{CORE}/tests/999999/variations", f"{CORE}/tests/381301/variations/5",
     f"{CORE}/tests/381301/variations/5/modifications", f"{CORE}/tests/381301/toollinks/1",
     f"{CORE}/tests/381301/targetings/ip-1", f"{CORE}/tests/381301/global_modifications/1",
     f"{CORE}/tests/381301/variations/491035/modifications/1", f"{CORE}/membership/1"],
)  # fmt: skip
def test_404_unknown_ids(reader: httpx.Client, path: str) -> None:
    _problem(reader.get(path), 404, "not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"{CORE}/tests/abc"), ("GET", "/api/core/accounts/x/tests"), ("GET", "/api/nothing"),
     ("PATCH", f"{INTERFACE}/tests/999999/play"), ("DELETE", f"{CORE}/membership/1")],
)  # fmt: skip
def test_404_unknown_routes_and_ids(reader: httpx.Client, method: str, path: str) -> None:
    _problem(reader.request(method, path), 404)
