"""The watch's parts on their own: durations, webhook verification, backoff, event deduplication, the
page's escaping, the request observer, notification targets, and the sandbox's webhook sender."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.errors import ReconcilerError, TransportError
from reconciler.http import ApiClient, TokenHeaderAuth
from reconciler.http.attempts import observe_attempts
from reconciler.providers.taplytics.changes import Kind
from reconciler.redaction import Secret
from reconciler.sandbox.server import SandboxServer
from reconciler.watch import parse_duration
from reconciler.watch.checks import CheckResult, CheckSettings, Heal
from reconciler.watch.delivery import Delivery
from reconciler.watch.events import EventTracker
from reconciler.watch.hooks import signature_ok, token_ok
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.notify import Notifier, Target
from reconciler.watch.reload import ConfigSource
from reconciler.watch.scheduler import MAX_BACKOFF_S, Watcher
from tests.support.watch import Receiver, github_signature, register_webhook, wait_for


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("300", 300), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("250ms", 0.25), ("0.5", 0.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "0", "-5", "5x", "m", "five minutes", "inf", "1h 2q"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_github_signature() -> None:
    secret = Secret("hook-secret-1234")
    body = b'{"ref":"refs/heads/main"}'
    assert signature_ok(body, github_signature(body, "hook-secret-1234"), secret)
    assert not signature_ok(body + b" ", github_signature(body, "hook-secret-1234"), secret)
    assert not signature_ok(body, github_signature(body, "another-secret"), secret)
    assert not signature_ok(body, None, secret)
    assert not signature_ok(body, github_signature(body, "hook-secret-1234").removeprefix("sha256="), secret)
    assert not signature_ok(body, github_signature(body, "hook-secret-1234"), None)


async def test_shared_token_places() -> None:
    secret = Secret("shared-secret-5678")

    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(token_ok(request, secret)))

    app = Starlette(routes=[Route("/h", endpoint, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        ok = [
            await client.post("/h", headers={"x-reconciler-token": "shared-secret-5678"}),
            await client.post("/h", headers={"authorization": "Bearer shared-secret-5678"}),
            await client.post("/h?token=shared-secret-5678"),
        ]
        bad = [
            await client.post("/h"),
            await client.post("/h?token=shared-secret-567"),
            await client.post("/h", headers={"authorization": "Basic shared-secret-5678"}),
            await client.post(
                "/h",
                headers={"x-reconciler-token": "shared-secret-5678\u00e9".encode("latin-1")},  # type: ignore[arg-type]
            ),
        ]
    assert [r.text for r in ok] == ["True"] * 3
    assert [r.text for r in bad] == ["False"] * 4


def _watcher(interval: float) -> Watcher:
    source = ConfigSource([], {})
    notifier = Notifier([])
    return Watcher(source, CheckSettings({}), interval, WatchMetrics(), notifier, rng=random.Random(7))


def test_backoff_doubles_up_to_its_cap_and_is_jittered() -> None:
    watcher = _watcher(10.0)
    delays = [watcher.next_delay(streak) for streak in range(10)]
    assert 9.0 <= delays[0] <= 11.0
    assert 18.0 <= delays[1] <= 22.0
    assert max(delays) <= 640 * 1.1  # 64 intervals
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, never the same instant
    long = _watcher(7200.0)
    assert long.next_delay(6) <= 7200 * 1.1  # the cap never shortens an interval longer than an hour
    assert _watcher(600.0).next_delay(10) <= MAX_BACKOFF_S * 1.1


def _plan(*names: str) -> AccountPlan:
    changes = tuple(Change(Kind.USER_UPDATE, f"user:{n}", n, {"name": "a"}, {"name": "b"}) for n in names)
    return AccountPlan("app.yaml", "taplytics", "my-app", changes)


def test_events_are_not_repeated_while_the_drift_is_unchanged() -> None:
    tracker = EventTracker("taplytics", "my-app", "app.yaml")
    kinds = [
        [e.kind for e in tracker.events(result)]
        for result in [
            CheckResult(plan=_plan()),
            CheckResult(plan=_plan("qa-001")),
            CheckResult(plan=_plan("qa-001")),
            CheckResult(plan=_plan("qa-001", "qa-002")),
            CheckResult(error="503 from the API"),
            CheckResult(error="503 from the API"),
            CheckResult(error="timeout"),
            CheckResult(plan=_plan("qa-001", "qa-002")),
            CheckResult(plan=_plan()),
            CheckResult(plan=_plan()),
        ]
    ]
    assert kinds == [
        [],
        ["drift"],
        [],
        ["drift"],
        ["check_failed"],
        [],
        ["check_failed"],
        [],
        ["drift_cleared"],
        [],
    ]


def test_self_heal_events() -> None:
    tracker = EventTracker("taplytics", "my-app", "app.yaml")
    failed = Heal(_plan("qa-001"), failed=1, error="user:qa-001: 402")
    first = tracker.events(CheckResult(plan=_plan("qa-001"), heal=failed))
    again = tracker.events(CheckResult(plan=_plan("qa-001"), heal=failed))
    healed = tracker.events(CheckResult(plan=_plan(), heal=Heal(_plan("qa-001"), applied=1)))
    assert [e.kind for e in first] == ["self_heal_failed", "drift"]
    assert [e.kind for e in again] == []
    assert [e.kind for e in healed] == ["self_healed"]
    assert healed[0].changes and "qa-001" in healed[0].changes[0]


def test_notify_targets() -> None:
    slack = Target.parse("slack+https://hooks.example.com/services/T000/B000/abcdefghijklmnopqrstuvwx")
    assert slack.scheme == "slack" and slack.url.host == "hooks.example.com"
    event = EventTracker("taplytics", "my-app", "app.yaml").events(CheckResult(plan=_plan("qa-001")))[0]
    body = slack.body(Delivery(event, 0.0))
    assert set(body) == {"text"} and "Drift in taplytics my-app" in body["text"] and "qa-001" in body["text"]
    plain = Target.parse("http://127.0.0.1:9/hook").body(Delivery(event, 0.0))
    assert plain["event"] == "drift" and plain["pending_changes"] == 1
    with pytest.raises(TransportError):
        Target.parse("http://hooks.example.com/plain-text-off-this-machine")
    with pytest.raises(ReconcilerError):
        Target.parse("ftp://example.com/x")


def test_slack_text_shows_markup_from_names_and_obeys_none() -> None:
    names = ("<!channel>", "<https://evil.example|Safe to merge>", "a & b <@U123>")
    event = EventTracker("taplytics", "my-app", "app.yaml").events(CheckResult(plan=_plan(*names)))[0]
    text = Target.parse("slack+https://hooks.example.com/services/T/B/abcdefghijklmnopqrstuvwx").body(
        Delivery(event, 0.0)
    )["text"]
    assert "<" not in text and ">" not in text  # Slack shows &lt; &gt; &amp; as the characters
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example|Safe to merge&gt;" in text
    assert "a &amp; b &lt;@U123&gt;" in text


def test_a_queued_notification_is_delivered_before_stopping() -> None:
    with Receiver() as receiver:
        attempts: Counter[str] = Counter()

        async def go() -> None:
            notifier = Notifier([Target.parse(receiver.url)], lambda ok: attempts.update([str(ok)]))
            stop = asyncio.Event()
            task = asyncio.create_task(notifier.run(stop))
            notifier.publish(EventTracker("p", "a", "f").events(CheckResult(error="boom"))[0])
            stop.set()
            await task

        asyncio.run(go())
    assert attempts == Counter({"True": 1}) and receiver.events("check_failed")


async def test_the_observer_sees_every_attempt_in_its_context_only() -> None:
    answers = iter([503, 200, 200])

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), json={})

    seen: Counter[str] = Counter()
    transport = httpx.MockTransport(handler)
    async with ApiClient(
        "https://api.example.com", TokenHeaderAuth(Secret("tok-123456")), transport=transport
    ) as client:
        with observe_attempts(lambda method, outcome: seen.update([f"{method} {outcome}"])):
            await client.get_json("/a")
        await client.get_json("/b")  # outside the block: not observed
    assert seen == Counter({"GET 503": 1, "GET 200": 1})


def test_metrics_forget_an_account() -> None:
    metrics = WatchMetrics()
    result = CheckResult(plan=_plan("qa-001"), requests=Counter({"200": 2}))
    metrics.record("taplytics", "gone", result, 1.0)
    metrics.record("taplytics", "kept", result, 1.0)
    metrics.forget("taplytics", "gone")
    text = metrics.exposition().decode()
    assert 'account="gone"' not in text and 'account="kept"' in text


def _answered(counts: dict[str, int]) -> int:
    return counts["delivered"] + counts["failed"]


def test_sandbox_sends_taplytics_webhooks(sandbox: SandboxServer, tmp_path: Path) -> None:
    with Receiver() as receiver:
        register_webhook(sandbox, receiver.url.replace("/notify/", "/hook/"))
        token = {"x-access-token": sandbox.taplytics_token}
        httpx.post(f"{sandbox.url}/v2/users/new-user", json={"name": "New"}, headers=token).raise_for_status()
        httpx.post(
            f"{sandbox.url}/v2/users/new-user", json={"name": "Renamed"}, headers=token
        ).raise_for_status()
        httpx.post(
            f"{sandbox.url}/v2/users/new-user", json={"name": "Renamed"}, headers=token
        ).raise_for_status()
        wait_for(lambda: len(receiver.received) >= 2, 10, "two deliveries")

        def counts_now() -> dict[str, int]:
            answer: dict[str, int] = httpx.get(f"{sandbox.url}/_sandbox/webhooks").json()
            return answer

        # The sandbox counts a delivery once the receiver's answer is back, after the receiver recorded it.
        wait_for(lambda: _answered(counts_now()) >= 2, 10, "the answers counted")
        counts = counts_now()
    assert [e["event"] for e in receiver.received] == ["user_created", "user_updated"]  # no-op update: none
    assert receiver.received[1]["user"]["name"] == "Renamed"
    assert counts == {"receivers": 1, "delivered": 2, "failed": 0}
    assert json.dumps(counts).count("http") == 0


async def test_closed_clients_tokens_do_not_pile_up_in_the_redactor() -> None:
    """A watch opens a client per check: each issued access token is forgotten once its client closes (the
    redactor's pattern would otherwise grow with every check), the client secret stays masked."""
    from reconciler.http import OAuth2ClientCredentials
    from reconciler.redaction import REDACTOR

    issued = iter(f"access-token-{n:04d}-xyz" for n in range(100))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": next(issued), "expires_in": 3600})
        return httpx.Response(200, json={})

    tokens = []
    for _ in range(3):
        auth = OAuth2ClientCredentials("https://auth.example.com/token", "id", "client-secret-abcdef")
        async with ApiClient(
            "https://api.example.com", auth, transport=httpx.MockTransport(handler)
        ) as client:
            await client.get_json("/x")
            tokens.append(auth._current().reveal())
            assert tokens[-1] in REDACTOR.secrets()
    assert not set(tokens) & set(REDACTOR.secrets())
    assert "client-secret-abcdef" in REDACTOR.secrets()
