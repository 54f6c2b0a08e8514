"""Taplytics users in the state: persistence across restarts, state files from before Taplytics, the user
limit (a built-in 402), the seeds, and what ``reconciler sandbox serve`` prints about the API key."""

from __future__ import annotations

import json
import os
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.seed import SeedError, check_seed, initial_state
from reconciler.sandbox.server import SandboxServer, serve_in_thread
from reconciler.sandbox.store import Store, load_state
from reconciler.sandbox.taplytics.users import USER_LIMIT_MESSAGE
from tests.support import forkserver
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET
from tests.support.taplytics_sandbox import HEADER, TOKEN, USERS, links, problem

REPO = Path(__file__).resolve().parents[3]


def _serve(path: Path | None, seed: str = "demo") -> AbstractContextManager[SandboxServer]:
    return serve_in_thread(
        seed=seed, state_path=path, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, taplytics_token=TOKEN
    )


def _all_users(server: SandboxServer) -> list[dict[str, object]]:
    users: list[dict[str, object]] = []
    url: str | None = f"{server.url}{USERS}?per_page=7"
    while url is not None:
        response = httpx.get(url, headers=HEADER)
        users += response.json()["users"]
        url = links(response).get("next")
    return users


def test_users_survive_a_restart_in_the_same_order(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with _serve(path) as server, httpx.Client(base_url=server.url, headers=HEADER) as tap:
        assert (
            tap.post(f"{USERS}/kept", json={"email": "k@example.com", "custom_data": {"a": 1}}).status_code
            == 200
        )
        assert (
            tap.post(f"{USERS}/qa-001", json={"custom_data": {"cohort": None, "b": True}}).status_code == 200
        )
        before, state = _all_users(server), server.state()
    assert json.loads(path.read_text()) == state
    assert state["taplytics_users"]["kept"]["custom_data"] == {"a": 1}
    with _serve(path, seed="empty") as server:  # the file wins over the seed
        assert _all_users(server) == before and len(before) == 31
        assert before[0] == {"user_id": "qa-001", "email": "qa+001@example.com", "name": "QA Tester 1",
                             "custom_data": {"b": True}}  # fmt: skip
        assert before[-1]["user_id"] == "kept"


def test_a_state_file_from_before_taplytics_loads_with_no_users(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    old = Store(initial_state("demo")).to_dict()
    for key in ("taplytics", "taplytics_users"):
        del old[key]
    del old["next_ids"]["taplytics_user"]
    path.write_text(json.dumps(old))
    assert load_state(path).users == {}
    with _serve(path) as server:
        assert httpx.get(f"{server.url}{USERS}", headers=HEADER).json() == {"users": [], "numEntities": 0}
        assert httpx.post(f"{server.url}{USERS}/first", headers=HEADER, json={"name": "F"}).status_code == 200
    assert list(load_state(path).users) == ["first"] and load_state(path).users["first"]["n"] == 1


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ({"taplytics_users": []}, "taplytics_users"),
        ({"taplytics_users": {"a": {"user_id": "b", "n": 1}}}, "taplytics_users[a]"),
        ({"taplytics_users": {"a": {"user_id": "a"}}}, "taplytics_users[a].n"),
        ({"taplytics_users": {"a": {"user_id": "a", "n": 1, "custom_data": [1]}}}, "custom_data"),
        ({"taplytics": {"users_limit": "ten"}}, "users_limit"),
    ],
)
def test_a_bad_users_block_is_a_clear_error(tmp_path: Path, block: dict[str, object], words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**Store(initial_state("empty")).to_dict(), **block}))
    with pytest.raises(Exception, match="corrupt sandbox state") as info:
        load_state(path)
    assert words in str(info.value)


def test_the_user_limit_answers_402_for_new_users_only(tmp_path: Path) -> None:
    path = tmp_path / "limited.json"
    state = Store(initial_state("demo")).to_dict()
    state["taplytics"]["users_limit"] = 30
    path.write_text(json.dumps(state))
    with _serve(path) as server, httpx.Client(base_url=server.url, headers=HEADER) as tap:
        problem(tap.post(f"{USERS}/one-too-many", json={"name": "X"}), 402, USER_LIMIT_MESSAGE)
        problem(tap.post(f"{USERS}/one-too-many", json={"name": 5}), 400, "name")  # checked first
        assert tap.post(f"{USERS}/qa-001", json={"name": "Still"}).status_code == 200
        assert tap.get(USERS).json()["numEntities"] == 30


# -- seeds ----------------------------------------------------------------------------------------------
def test_seeds_hold_the_users_they_promise() -> None:
    demo = Store(initial_state("demo")).users
    assert len(demo) == 30 and [u["n"] for u in demo.values()] == list(range(1, 31))
    assert sum(1 for u in demo.values() if u.get("custom_data") == {"cohort": "qa"}) == 12
    assert any("custom_data" not in u for u in demo.values())
    assert any("email" not in u for u in demo.values()) and any("name" not in u for u in demo.values())
    assert Store(initial_state("empty")).users == {}
    assert Store(initial_state("generated:tests=3,members=2")).users == {}
    assert check_seed("generated:tests=1,members=2,users=3") == (1, 2, 3)
    with pytest.raises(SeedError, match="users=U"):
        check_seed("generated:tests=1,people=3")


def test_ten_thousand_generated_users_start_fast_and_page(tmp_path: Path) -> None:
    seed = "generated:tests=10,members=2,users=10000"
    assert initial_state(seed) == initial_state(seed)
    started = time.perf_counter()
    with _serve(tmp_path / "big.json", seed=seed) as server:
        response = httpx.get(f"{server.url}{USERS}?page=100&per_page=100", headers=HEADER)
        elapsed = time.perf_counter() - started
        body = response.json()
    assert body["numEntities"] == 10000 and body["users"][-1]["user_id"] == "user-009999"
    assert set(links(response)) == {"last", "prev", "first"}
    print(f"\n{seed}: built, written and first page served in {elapsed:.2f}s")


# -- the serve banner --------------------------------------------------------------------------------------
def _banner(**env: str) -> tuple[str, str]:
    """The banner and the base URL of ``reconciler sandbox serve``, stopped once it answered a request."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ABTASTY_", "TAPLYTICS_"))}
    serve_env = {**clean, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **env}
    proc = forkserver.spawn(["sandbox", "serve", "--port", "0"], serve_env, REPO)
    assert proc.stdout is not None
    try:
        lines = [proc.stdout.readline()]
        while lines[-1] and not lines[-1].startswith("Press Ctrl-C"):
            lines.append(proc.stdout.readline())
        assert lines[-1].startswith("Press Ctrl-C"), lines
        url = lines[0].strip().rsplit(" ", 1)[-1]
        token = env.get("TAPLYTICS_API_TOKEN", "sandbox-taplytics-token")
        for _ in range(200):
            try:
                assert httpx.get(f"{url}{USERS}", headers={"x-access-token": token}).status_code == 200
                break
            except httpx.TransportError:
                time.sleep(0.05)
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    return "".join(lines) + out + err, url


def test_serve_prints_the_demo_api_token() -> None:
    text, url = _banner()
    assert f"{url}/v2/users" in text and "api_token:     sandbox-taplytics-token" in text


def test_serve_masks_an_api_token_from_the_environment() -> None:
    text, _ = _banner(TAPLYTICS_API_TOKEN="env-taplytics-canary")
    assert "env-taplytics-canary" not in text and "****** (from TAPLYTICS_API_TOKEN)" in text


def test_serve_prints_ready_to_paste_exports_for_every_provider_variable() -> None:
    text, url = _banner(ABTASTY_CLIENT_SECRET="env-abtasty-canary")
    for line in (
        f"export ABTASTY_API_URL={url}",
        f"export ABTASTY_AUTH_URL={url}/oauth/v2/token",
        "export ABTASTY_CLIENT_ID=sandbox-client-id",
        f"export TAPLYTICS_API_URL={url}",
        "export TAPLYTICS_API_TOKEN=sandbox-taplytics-token",
        "# ABTASTY_CLIENT_SECRET is already set in your environment",
    ):
        assert line in text, text
    assert "env-abtasty-canary" not in text
