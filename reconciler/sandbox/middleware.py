"""The outermost ASGI layer: fault injection and the request log, for every route but ``/_sandbox/*``.

A dropped connection sends the start of a response and then aborts it, so the client sees an incomplete
response (httpx: ``RemoteProtocolError``). Dropping "after" runs the request first: a mutation is applied and
persisted, and only its answer is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.faults import Decision

REDACTED_KEYS = frozenset({"client_secret", "access_token"})


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


def loggable_body(raw: bytes, content_type: str) -> Any:
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
            return text
    if isinstance(data, dict):
        data = {k: ("***" if k in REDACTED_KEYS else v) for k, v in data.items()}
    return data


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        raw = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "body": loggable_body(raw, headers.get("content-type", "")),
            "status": None,
        }
        decision = self.sandbox.faults.decide()
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        try:
            await self._respond(scope, raw, receive, send, decision, entry)
        finally:
            self.sandbox.record(entry)

    async def _respond(
        self,
        scope: Scope,
        raw: bytes,
        receive: Receive,
        send: Send,
        decision: Decision,
        entry: dict[str, Any],
    ) -> None:
        if decision.retry_after is not None:
            entry["status"], entry["fault"] = 429, "rate_limit"
            message = f"Too many requests: retry after {decision.retry_after} s"
            retry_after = [(b"retry-after", str(decision.retry_after).encode())]
            await _send_json(send, 429, {"code": 429, "message": message}, retry_after)
            return
        if decision.error_status is not None:
            status = decision.error_status
            entry["status"], entry["fault"] = status, "error"
            await _send_json(send, status, {"code": status, "message": "Injected server error"}, [])
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
