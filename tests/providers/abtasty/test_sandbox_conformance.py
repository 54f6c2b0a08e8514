"""Every example answer of the document, fetched over HTTP from the demo sandbox.

Where the demo holds the document's own data the answer must be equal; elsewhere (counts that depend on the
account, like the membership total or statistics) the keys and value types must match.
"""

from __future__ import annotations

import httpx
import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.sandbox import ACCOUNT, CORE, doc_answer, doc_examples, shape_errors

EQUAL = [
    "/api/core/accounts/41902/tests?filter[type][]=ab&filter[type][]=mastersegment&filter[active]=1",
    "/api/core/accounts/41902/tests/381296",
    "/api/core/accounts/41902/tests/381301/targetings",
    "/api/core/accounts/41902/tests/381301/targetings/ip-1106739",
    "/api/core/accounts/41902/tests/381301/variations",
    "/api/core/accounts/41902/tests/381301/variations/491035",
    "/api/core/accounts/41902/tests/381301/variations/491035/modifications",
    "/api/core/accounts/41902/tests/381301/variations/491035/modifications/2064015",
    "/api/core/accounts/41902/tests/381301/toollinks",
    "/api/core/accounts/41902/tests/381301/toollinks/114115",
    "/api/core/accounts/41902/tests/381301/global_modifications",
    "/api/core/accounts/41902/membership/132419",
]
NULLABLE = ("$.audience_id", "$.last_play_timestamp", "$._embedded.folder")
SHAPE_ONLY = [
    "/api/core/accounts/41902/general_statistics",
    "/api/core/accounts/41902/membership?_max_per_page=1",
]


def test_every_documented_answer_is_covered() -> None:
    answers = {e.url.split("abtasty.com", 1)[1] for e in doc_examples() if e.is_answer and e.url}
    assert answers == set(EQUAL) | set(SHAPE_ONLY)


@pytest.mark.parametrize("path", EQUAL)
def test_answer_equals_the_document(reader: httpx.Client, path: str) -> None:
    response = reader.get(path)
    assert response.status_code == 200, response.text
    expected = doc_answer(path)
    assert shape_errors(response.json(), expected) == []
    assert response.json() == expected


@pytest.mark.parametrize("path", SHAPE_ONLY)
def test_answer_has_the_documented_shape(reader: httpx.Client, path: str) -> None:
    response = reader.get(path)
    assert response.status_code == 200, response.text
    assert shape_errors(response.json(), doc_answer(path)) == []


def test_first_member_matches_the_membership_list_example(reader: httpx.Client) -> None:
    body = reader.get(f"{CORE}/membership?_max_per_page=1").json()
    expected = doc_answer("/api/core/accounts/41902/membership?_max_per_page=1")
    assert body["_embedded"]["items"] == expected["_embedded"]["items"]
    assert body["pages"] == body["total"] == 15
    assert body["_links"]["last"]["href"] == f"{CORE}/membership?_page=15&_max_per_page=1"


def test_other_tests_render_with_the_documented_shape(reader: httpx.Client) -> None:
    expected_item = doc_answer("/api/core/accounts/41902/tests/381296")
    body = reader.get(f"{CORE}/tests", params={"_max_per_page": 100}).json()
    assert body["total"] == 29
    for item in body["_embedded"]["items"]:
        # the document shows these both null and set (365111 / 367659): either is its type
        errors = [e for e in shape_errors(item, expected_item) if not e.startswith(NULLABLE)]
        assert errors == [], item["id"]
        assert item["active"] is (item["state"] == "play")
        assert item["_links"]["self"]["href"] == f"{CORE}/tests/{item['id']}"


def test_token_answer_has_the_documented_shape(shared_server: SandboxServer) -> None:
    examples = [e for e in doc_examples() if e.url is None]
    request_body, answer = examples[0].data, examples[1].data
    assert set(request_body) == {"client_id", "client_secret", "grant_type"}
    request_body.update(client_id=shared_server.client_id, client_secret=shared_server.client_secret)
    response = httpx.post(shared_server.token_url, json=request_body)
    assert response.status_code == 200
    assert shape_errors(response.json(), answer) == []
    assert response.json()["expires_in"] == 43200
    assert response.json()["token_type"] == "bearer"


def test_token_accepts_a_form_body(shared_server: SandboxServer) -> None:
    form = {"client_id": shared_server.client_id, "client_secret": shared_server.client_secret}
    response = httpx.post(shared_server.token_url, data={**form, "grant_type": "client_credentials"})
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


def test_tokens_are_random(shared_server: SandboxServer) -> None:
    body = {"client_id": shared_server.client_id, "client_secret": shared_server.client_secret,
            "grant_type": "client_credentials"}  # fmt: skip
    tokens = {httpx.post(shared_server.token_url, json=body).json()["access_token"] for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 32 for t in tokens)


def test_targeting_by_number_alone(reader: httpx.Client) -> None:
    body = reader.get(f"{CORE}/tests/381301/targetings/1106739").json()
    assert body == {"id": "ip-1106739", "format": "", "condition": "88.190.117.61", "include": False}


def test_single_items_of_each_collection(reader: httpx.Client) -> None:
    base = f"{CORE}/tests/381301"
    assert reader.get(f"{base}/toollinks/114112").json()["name"] == "Universal Analytics"
    assert reader.get(f"{base}/global_modifications/162007").json()["type"] == "actionTracking"
    original = reader.get(f"{base}/variations/0").json()
    assert original["name"] == "Original" and original["description"] is None
    assert reader.get(f"{CORE}/membership/80397").json()["_embedded"]["user"]["email"] == "remi@abtasty.com"


def test_statistics_are_computed_from_the_state(reader: httpx.Client) -> None:
    stats = reader.get(f"{CORE}/general_statistics").json()
    tests = reader.get(f"{CORE}/tests", params={"_max_per_page": 100}).json()["_embedded"]["items"]
    running = sum(group["running"] for group in stats["campaign_states"].values())
    paused = sum(group["paused"] for group in stats["campaign_states"].values())
    assert running == sum(t["state"] == "play" for t in tests)
    assert paused == sum(t["state"] == "pause" for t in tests)
    assert stats["campaign_states"]["ab"]["running"] == 1  # 367659 only
    assert stats["count_collaborators"] == reader.get(f"{CORE}/membership").json()["total"] == 15
    assert sum(int(row["count_tests"]) for row in stats["created_experiments"]) == len(tests)
    assert ACCOUNT == 41902
