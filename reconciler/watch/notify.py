"""Deliver events to the ``--notify`` URLs: a JSON POST each, through ``reconciler.http.ApiClient`` (retries
on 429 / 5xx / dropped connections, https or loopback only, every log line redacted).

A URL prefixed ``slack+`` (``slack+https://hooks.slack.com/services/...``) receives Slack's incoming-webhook
shape, ``{"text": ...}``; any other URL the event's JSON (``Event.to_json``). Incoming-webhook URLs are
credentials (whoever has one can post): each URL's query and long path segments are registered with the
redactor, so a delivery's log line or error shows ``***`` in their place.

Deliveries run in a task of their own, from a bounded queue: a slow or dead receiver never delays a check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.errors import ReconcilerError
from reconciler.http import ApiClient, check_url, redact, register_secret
from reconciler.watch.events import Event

logger = logging.getLogger("reconciler.watch")

SLACK_PREFIX = "slack+"
QUEUE_SIZE = 1000  # events waiting for delivery; the oldest are dropped past it (a dead receiver)
_TOKEN_LIKE = 16  # path segments at least this long are treated as secret (Slack's are 24 characters)
MAX_PLAN_CHARS = 30_000


@dataclass(frozen=True)
class Target:
    """One ``--notify`` URL and the shape it receives."""

    url: httpx.URL
    slack: bool = False

    @classmethod
    def parse(cls, raw: str) -> Target:
        """``URL`` or ``slack+URL``; a ``TransportError`` for plain http off this machine."""
        slack = raw.startswith(SLACK_PREFIX)
        url = httpx.URL(raw.removeprefix(SLACK_PREFIX) if slack else raw)
        if url.scheme not in ("http", "https") or not url.host:
            raise ReconcilerError(f"--notify {redact(raw)}: expected an http(s) URL")
        query = url.query.decode()
        register_secret(
            *([query] if query else []), *(p for p in url.path.split("/") if len(p) >= _TOKEN_LIKE)
        )
        check_url(url)
        return cls(url, slack)

    def body(self, event: Event) -> dict[str, Any]:
        """What this target receives for ``event`` (redacted: no registered secret leaves)."""
        if self.slack:
            lines = [event.headline(), *event.changes]
            return {"text": redact("\n".join(lines))}
        data = event.to_json()
        data["plan"] = data["plan"][:MAX_PLAN_CHARS]
        return {key: _redacted(value) for key, value in data.items()}


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


class Notifier:
    """A queue of events and the task that delivers them to every target."""

    def __init__(self, targets: list[Target], on_delivery: Callable[[bool], None] | None = None) -> None:
        self.targets = targets
        self._queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self._on_delivery = on_delivery or (lambda _ok: None)

    def publish(self, event: Event) -> None:
        """Queue ``event`` for every target (drops the oldest when the queue is full)."""
        if not self.targets:
            return
        logger.info(redact(event.headline()))
        if self._queue.full():
            self._queue.get_nowait()
            logger.warning("notification queue full: the oldest event was dropped")
        self._queue.put_nowait(event)

    async def run(self, stop: asyncio.Event, drain_s: float = 5.0) -> None:
        """Deliver until ``stop`` is set, then deliver what is queued for at most ``drain_s`` seconds."""
        while not stop.is_set():
            getter = asyncio.ensure_future(self._queue.get())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter.done():
                await self._deliver(getter.result())
            else:
                getter.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain_s):
                while not self._queue.empty():
                    await self._deliver(self._queue.get_nowait())

    async def _deliver(self, event: Event) -> None:
        for target in self.targets:
            ok = await send(target, event)
            self._on_delivery(ok)


async def send(target: Target, event: Event) -> bool:
    """POST ``event`` to ``target`` (retried as the client retries); False, logged, when it failed."""
    origin = target.url.copy_with(path="/", query=None, fragment=None)
    path = target.url.raw_path.decode("ascii")
    try:
        # A client per delivery: ApiClient's run deadline counts from its creation, and a watch runs for weeks.
        async with ApiClient(str(origin), None, parallelism=1, deadline=60.0) as client:
            await client.request("POST", path, json=target.body(event), idempotent=True, expect_json=False)
    except ReconcilerError as err:
        logger.warning(redact(f"notification {event.kind} for {event.account} not delivered: {err}"))
        return False
    return True
