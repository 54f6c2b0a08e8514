"""Each fault, observed from a plain httpx client: latency, 5xx, 429 + Retry-After, drops, expired tokens."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from reconciler.sandbox.faults import FaultInjector, Faults
from reconciler.sandbox.server import SandboxServer
from tests.support.sandbox import CORE, INTERFACE


def _elapsed(api: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    assert api.get(path).status_code == 200
    return time.perf_counter() - started


def test_latency_delays_each_answer(api: httpx.Client, server: SandboxServer) -> None:
    # A lower bound only: the sandbox sleeps at least the latency, and a loaded machine can only add to it.
    server.set_faults(latency_ms=250)
    assert _elapsed(api, f"{CORE}/tests/381296") >= 0.25


def test_jitter_spreads_the_delay_around_the_latency() -> None:
    # The delays themselves, as the injector decides them (the middleware sleeps exactly this long): a wall
    # clock upper bound would fail on a loaded machine, and says nothing these do not.
    injector = FaultInjector(Faults(latency_ms=100, jitter_ms=80, fault_seed=3))
    delays = [injector.decide("GET", "/v1/tests/381296").delay_s for _ in range(50)]
    assert all(0.02 <= delay <= 0.18 for delay in delays)
    assert max(delays) - min(delays) > 0.05  # jitter varies the delay
    injector.set(Faults(latency_ms=10, jitter_ms=80, fault_seed=3))
    assert min(injector.decide("GET", "/v1/tests/381296").delay_s for _ in range(50)) == 0.0  # never negative


def test_server_errors_come_before_any_processing(api: httpx.Client, server: SandboxServer) -> None:
    server.set_faults(error_rate=1.0)
    statuses = set()
    for _ in range(12):
        response = api.patch(f"{INTERFACE}/tests/381296/play")
        assert (
            response.status_code in (500, 502, 503, 504) and response.json()["code"] == response.status_code
        )
        statuses.add(response.status_code)
    assert len(statuses) > 1
    server.set_faults(error_rate=0.0)
    assert api.get(f"{CORE}/tests/381296").json()["state"] == "pause"  # never applied
    assert server.requests()[-2]["fault"] == "error"


def test_error_rate_is_a_rate(api: httpx.Client, server: SandboxServer) -> None:
    server.set_faults(error_rate=0.3, fault_seed=11)
    statuses = [api.get(f"{CORE}/tests/381296").status_code for _ in range(60)]
    assert 5 < sum(s >= 500 for s in statuses) < 35


def test_rate_limit_answers_429_with_retry_after(api: httpx.Client, server: SandboxServer) -> None:
    server.set_faults(rate_limit_rps=2, rate_limit_burst=3)
    statuses = [api.get(f"{CORE}/tests/381296") for _ in range(5)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    limited = statuses[3]
    assert limited.status_code == 429 and limited.json()["code"] == 429
    retry_after = int(limited.headers["Retry-After"])
    assert retry_after >= 1
    server.advance_clock(retry_after)  # the bucket refills by the sandbox's clock: no real wait
    assert api.get(f"{CORE}/tests/381296").status_code == 200


def test_dropped_before_processing(api: httpx.Client, server: SandboxServer) -> None:
    server.set_faults(drop_rate=1.0, drop_phase="before")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(f"{CORE}/membership", json={"email": "lost@example.com", "role": "user"})
    server.set_faults(drop_rate=0.0)
    emails = [m["email"] for m in server.state()["members"].values()]
    assert "lost@example.com" not in emails
    assert server.requests()[-1]["fault"] == "drop_before"


def test_dropped_after_the_mutation_is_applied(api: httpx.Client, server: SandboxServer) -> None:
    server.set_faults(drop_rate=1.0, drop_phase="after")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(f"{CORE}/membership", json={"email": "applied@example.com", "role": "user"})
    with pytest.raises(httpx.RemoteProtocolError):
        api.patch(f"{INTERFACE}/tests/381296/play")
    server.set_faults(drop_rate=0.0)
    emails = [m["email"] for m in server.state()["members"].values()]
    assert "applied@example.com" in emails
    assert api.get(f"{CORE}/tests/381296").json()["state"] == "play"
    post, play, _ = server.requests()[-3:]
    assert (post["status"], post["fault"], play["status"], play["fault"]) == (
        200,
        "drop_after",
        204,
        "drop_after",
    )


def _outcomes(api: httpx.Client) -> list[str]:
    outcomes = []
    for _ in range(16):
        try:
            outcomes.append(str(api.get(f"{CORE}/tests/381296").status_code))
        except httpx.RemoteProtocolError:
            outcomes.append("dropped")
    return outcomes


def test_random_faults_replay_with_the_same_seed(api: httpx.Client, server: SandboxServer) -> None:
    server.set_faults(drop_rate=0.4, error_rate=0.2, fault_seed=5)
    first = _outcomes(api)
    server.set_faults(fault_seed=5)
    assert _outcomes(api) == first
    assert "dropped" in first and "200" in first
    phases = {e.get("fault") for e in server.requests()}
    assert {"drop_before", "drop_after"} <= phases


def test_faults_over_http(server: SandboxServer) -> None:
    response = httpx.post(f"{server.url}/_sandbox/faults", json={"latency_ms": 5, "drop_phase": "after"})
    assert response.status_code == 200 and response.json()["latency_ms"] == 5
    assert httpx.post(f"{server.url}/_sandbox/faults", json={"nonsense": 1}).status_code == 400
    assert httpx.post(f"{server.url}/_sandbox/faults", json={"error_rate": 3}).status_code == 400
    assert httpx.post(f"{server.url}/_sandbox/faults", json={"reset": True}).json() == vars(Faults())


def test_expire_tokens_over_http(api: httpx.Client, server: SandboxServer) -> None:
    assert api.get(f"{CORE}/tests/381296").status_code == 200
    assert httpx.post(f"{server.url}/_sandbox/faults", json={"expire_tokens": True}).status_code == 200
    response = api.get(f"{CORE}/tests/381296")
    assert response.status_code == 401 and "expired" in response.json()["message"]


def test_control_routes_are_never_faulted(server: SandboxServer) -> None:
    server.set_faults(error_rate=1.0, drop_rate=1.0)
    assert httpx.get(f"{server.url}/_sandbox/state").status_code == 200


def test_throttle_rate_is_a_share_of_429s_with_retry_after(api: httpx.Client, server: SandboxServer) -> None:
    server.set_faults(throttle_rate=0.25, fault_seed=5)
    answers = [api.get(f"{CORE}/tests/381296") for _ in range(80)]
    throttled = [a for a in answers if a.status_code == 429]
    assert 8 < len(throttled) < 35
    assert all(a.headers["Retry-After"] == "1" and a.json()["code"] == 429 for a in throttled)
    assert {r.get("fault") for r in server.requests()} >= {"rate_limit", None}


def test_wait_idle_returns_once_delayed_requests_have_landed(
    api: httpx.Client, server: SandboxServer
) -> None:
    """What a test calls after killing a client: a request still held by a latency fault lands first."""
    server.set_faults(latency_ms=300)
    sender = threading.Thread(target=api.post, args=(f"{CORE}/membership",),
                              kwargs={"json": {"email": "late@example.com", "role": "user"}})  # fmt: skip
    sender.start()
    try:
        for _ in range(200):  # until the sandbox holds it (its latency fault is sleeping)
            if server.sandbox.in_flight:
                break
            time.sleep(0.005)
        server.wait_idle()
        assert "late@example.com" in [m["email"] for m in server.state()["members"].values()]
    finally:
        sender.join(10)
