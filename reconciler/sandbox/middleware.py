"""The outermost ASGI layer: fault injection and the request log, for every route but ``/_sandbox/*``.

Secrets never reach the log: the fields every vendor names (``SandboxVendor.redacted_keys``) are shown as
``***`` in logged query strings and bodies, and the secret credentials are scrubbed from whatever else is
logged. Headers are never logged; a vendor may add what it knows of them (``SandboxVendor.log_fields``:
how a key came, say).

A dropped connection sends the start of a response and then aborts it, so the client sees an incomplete
response (httpx: ``RemoteProtocolError``). Dropping "after" runs the request first: a mutation is applied and
persisted, and only its answer is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.faults import Decision
from reconciler.sandbox.gates import arrived_on
from reconciler.sandbox.vendor import SandboxVendor
from reconciler.sandbox.vendors import owner
from reconciler.sandbox.web import error_body

MASK = "***"
MIN_SCRUBBED = 8


class Redactor:
    """What the log masks for a set of vendors: their secret fields, and their secret credentials' values."""

    def __init__(self, vendors: tuple[SandboxVendor, ...], values: dict[str, str]) -> None:
        self.keys = frozenset(key for vendor in vendors for key in vendor.redacted_keys)
        names = "|".join(re.escape(key) for key in sorted(self.keys)) or "(?!)"
        # A body that is not JSON is logged as text: mask what follows a secret's name in it.
        self.in_text = re.compile(rf"""((?:{names})["']?\s*[:=]\s*["']?)[^"'&,}}\s]*""")
        secret = {spec.name for vendor in vendors for spec in vendor.credentials if spec.secret}
        # A secret under MIN_SCRUBBED characters is no real key, and scrubbing it would mangle the log.
        self.values = tuple(v for k, v in values.items() if k in secret and len(v) >= MIN_SCRUBBED)


class ConnectionDropped(Exception):
    """Raised after a partial response to make the server abort the connection (a deliberate fault)."""


class _HideDeliberateDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def quiet_deliberate_drops() -> None:
    """Keep uvicorn from logging a traceback for each injected drop."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDeliberateDrops) for f in logger.filters):
        logger.addFilter(_HideDeliberateDrops())


def loggable_body(raw: bytes, content_type: str, redactor: Redactor) -> Any:
    """The body for the request log, with secrets replaced by ``***``."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    data: Any
    if "application/x-www-form-urlencoded" in content_type:
        data = dict(parse_qsl(text))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return redactor.in_text.sub(r"\1" + MASK, text)
    if isinstance(data, dict):
        data = {k: (MASK if k in redactor.keys else v) for k, v in data.items()}
    return data


def loggable_query(query: str, redactor: Redactor) -> str:
    """The query string as sent, with the value of each secret parameter (``api_token``...) as ``***``.
    Keys are compared decoded, as the routes read them (``api%5Ftoken`` is ``api_token`` too)."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        key = part.partition("=")[0]
        parts.append(f"{key}={MASK}" if unquote_plus(key) in redactor.keys else part)
    return "&".join(parts)


def scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every occurrence of each of ``secrets`` replaced by ``***``, however it was sent
    (a token pasted into a custom_data value is still a token)."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body).encode()
    base = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": base + headers})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"', "more_body": True})
    raise ConnectionDropped("deliberate fault: connection dropped")


class SandboxMiddleware:
    """Wraps the Starlette app: faults first, then the request, then the log entry."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.redactor = Redactor(sandbox.vendors, dict(sandbox.credentials.values))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        self.sandbox.received += 1
        self.sandbox.in_flight += 1
        try:
            await self._serve(scope, receive, send)
        finally:
            self.sandbox.in_flight -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        arrived = time.perf_counter()
        raw = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        entry = self._entry(scope, raw, headers)
        decision = self.sandbox.faults.decide(scope["method"], scope["path"])
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        try:
            await self._respond(scope, raw, receive, send, decision, entry)
        finally:
            self.sandbox.record(entry, max(0.0, time.perf_counter() - arrived - decision.delay_s))

    def _entry(self, scope: Scope, raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """The log entry of a request, secrets masked; ``status`` is filled in once it is known."""
        query = scope.get("query_string", b"").decode("latin-1")
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "query": loggable_query(query, self.redactor),
            "body": loggable_body(raw, headers.get("content-type", ""), self.redactor),
        }
        if self.sandbox.host_ports:  # extra hosts: which host the request reached
            entry["host"] = arrived_on(self.sandbox, scope)
        vendor = owner(scope["path"], self.sandbox.vendors)
        if vendor is not None:
            entry.update(vendor.log_fields(scope["method"], headers, query, raw))
        entry["status"] = None
        scrubbed: dict[str, Any] = scrub(entry, self.redactor.values)
        return scrubbed

    async def _respond(
        self,
        scope: Scope,
        raw: bytes,
        receive: Receive,
        send: Send,
        decision: Decision,
        entry: dict[str, Any],
    ) -> None:
        path = scope["path"]
        if decision.forced is not None:
            status, message = decision.forced
            entry["status"], entry["fault"] = status, "forced"
            await _send_json(send, status, error_body(path, status, message), [])
            return
        if decision.retry_after is not None:
            entry["status"], entry["fault"] = 429, "rate_limit"
            message = f"Too many requests: retry after {decision.retry_after} s"
            retry_after = [(b"retry-after", str(decision.retry_after).encode())]
            await _send_json(send, 429, error_body(path, 429, message), retry_after)
            return
        if decision.error_status is not None:
            status = decision.error_status
            entry["status"], entry["fault"] = status, "error"
            await _send_json(send, status, error_body(path, status, "Injected server error"), [])
            return
        if decision.drop == "before":
            entry["fault"] = "drop_before"
            await _drop(send)
        await self._forward(scope, raw, receive, send, entry, swallow=decision.drop == "after")
        if decision.drop == "after":
            entry["fault"] = "drop_after"
            await _drop(send)

    async def _forward(
        self, scope: Scope, raw: bytes, receive: Receive, send: Send, entry: dict[str, Any], swallow: bool
    ) -> None:
        """Run the app on the already-read body; record its status; ``swallow`` its answer (drop after)."""
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # the body was already read: wait for the client to go away
                return await receive()
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            if not swallow:
                await send(message)

        await self.app(scope, replay, capture)
