"""Deliver events to the ``--notify`` URLs: a JSON POST each, through ``reconciler.http.ApiClient`` (retries
on 429 / 5xx / dropped connections, https or loopback only, every log line redacted).

Each event is stamped when it is published (``Delivery``): the time, the account's sync and health states,
the config revision (``revision.py``) and the status page's link (``--public-url``), so a message read an
hour later says what it was checked against and where to look.

The body's shape is the URL's scheme, a prefix before ``+`` looked up in ``SCHEMES``: ``slack+https://...``
receives Slack's incoming-webhook shape, ``{"text": ...}``; ``teams+https://...`` a Microsoft Teams Workflows
webhook's message, an Adaptive Card (``teams.py``); a plain URL the event's JSON (``Event.to_json`` and the
stamp). A new receiver's shape (Discord) is one entry of that table. Incoming-webhook URLs are
credentials (whoever has one can post): each URL's query and long path segments are registered with the
redactor, so a delivery's log line or error shows ``***`` in their place.

Deliveries run in a task of their own, from a bounded queue: a slow or dead receiver never delays a check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.encode import slack
from reconciler.errors import ReconcilerError
from reconciler.http import ApiClient, check_url
from reconciler.redaction import redact, register_secret
from reconciler.watch.delivery import Account, Delivery, stamp
from reconciler.watch.events import Event
from reconciler.watch.teams import teams_card

logger = logging.getLogger("reconciler.watch")

QUEUE_SIZE = 1000  # events waiting for delivery; the oldest are dropped past it (a dead receiver)
_TOKEN_LIKE = 16  # path segments at least this long are treated as secret (Slack's are 24 characters)
MAX_PLAN_CHARS = 30_000


#: The body one kind of receiver takes for a stamped event, redacted (no registered secret leaves).
Body = Callable[[Delivery], dict[str, Any]]


def event_json(delivery: Delivery) -> dict[str, Any]:
    """The event as JSON (``Event.to_json`` and the stamp: ``timestamp``, ``page``, ``revision``,
    ``sync_status``, ``health_status``, ``health_reasons``), its plan cut to ``MAX_PLAN_CHARS``."""
    data = {**delivery.event.to_json(), **delivery.to_json()}
    data["plan"] = data["plan"][:MAX_PLAN_CHARS]
    return {key: _redacted(value) for key, value in data.items()}


def slack_text(delivery: Delivery) -> dict[str, Any]:
    """Slack's incoming-webhook shape: the headline, the changes and the stamp, one ``text``, each line
    encoded for Slack (a test name holding ``<!channel>`` or ``<https://x|label>`` is shown, never obeyed);
    the page link is the one piece of markup, and its URL is the operator's ``--public-url``."""
    event = delivery.event
    lines = [slack.text(line) for line in [event.headline(), *event.changes, *delivery.footer()]]
    if delivery.page:
        lines.append(f"<{slack.text(delivery.page)}|status page>")
    return {"text": redact("\n".join(lines))}


#: Every ``--notify`` scheme: the prefix before ``+`` (``slack+https://...``) -> the body it receives; the
#: empty prefix is a plain URL.
SCHEMES: dict[str, Body] = {"": event_json, "slack": slack_text, "teams": teams_card}


def _split_scheme(raw: str) -> tuple[str, str]:
    """(scheme, URL) of a ``--notify`` value: a known prefix and ``+``, else a plain URL (a ``+`` in a plain
    URL's query is no prefix)."""
    prefix, plus, rest = raw.partition("+")
    return (prefix, rest) if plus and prefix and prefix in SCHEMES else ("", raw)


@dataclass(frozen=True)
class Target:
    """One ``--notify`` URL and the scheme (``SCHEMES``) that shapes what it receives."""

    url: httpx.URL
    scheme: str = ""

    @classmethod
    def parse(cls, raw: str) -> Target:
        """``URL`` or ``SCHEME+URL``; a ``TransportError`` for plain http off this machine."""
        scheme, bare = _split_scheme(raw)
        url = httpx.URL(bare)
        if url.scheme not in ("http", "https") or not url.host:
            raise ReconcilerError(f"--notify {redact(raw)}: expected an http(s) URL")
        query = url.query.decode()
        register_secret(
            *([query] if query else []), *(p for p in url.path.split("/") if len(p) >= _TOKEN_LIKE)
        )
        check_url(url)
        return cls(url, scheme)

    def body(self, delivery: Delivery) -> dict[str, Any]:
        """What this target receives for ``delivery`` (redacted: no registered secret leaves)."""
        return SCHEMES[self.scheme](delivery)


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
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue(QUEUE_SIZE)
        self._on_delivery = on_delivery or (lambda _ok: None)
        self._accounts: Callable[[], Mapping[str, Account]] = dict
        self._paths: tuple[str, ...] = ()
        self._public_url: str | None = None

    def follow(
        self, accounts: Callable[[], Mapping[str, Account]], paths: Sequence[str], public_url: str | None
    ) -> None:
        """Stamp each event with its account's states (``accounts``: the watcher's, by path), the revision
        of the files under ``paths`` and the page at ``public_url``."""
        self._accounts, self._paths, self._public_url = accounts, tuple(paths), public_url

    def publish(self, event: Event) -> None:
        """Queue ``event``, stamped now, for every target (drops the oldest when the queue is full)."""
        if not self.targets:
            return
        logger.debug(redact(event.headline()))  # the scheduler logged it once, at its level
        if self._queue.full():
            self._queue.get_nowait()
            logger.warning("notification queue full: the oldest event was dropped")
        self._queue.put_nowait(stamp(event, time.time(), self._accounts(), self._paths, self._public_url))

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

    async def _deliver(self, delivery: Delivery) -> None:
        for target in self.targets:
            ok = await send(target, delivery)
            self._on_delivery(ok)


async def send(target: Target, delivery: Delivery) -> bool:
    """POST ``delivery`` to ``target`` (retried as the client retries); False, logged, when it failed."""
    event = delivery.event
    origin = target.url.copy_with(path="/", query=None, fragment=None)
    path = target.url.raw_path.decode("ascii")
    try:
        # A client per delivery: ApiClient's run deadline counts from its creation, and a watch runs for weeks.
        async with ApiClient(str(origin), None, parallelism=1, deadline=60.0) as client:
            await client.request("POST", path, json=target.body(delivery), idempotent=True, expect_json=False)
    except ReconcilerError as err:
        logger.warning(redact(f"notification {event.kind} for {event.account} not delivered: {err}"))
        return False
    return True
