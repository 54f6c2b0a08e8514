"""The ASGI layer in front of the watch's routes: how much of a webhook body is read, for how long.

- ``/hooks/*``: the declared ``Content-Length`` is checked against the bound before a byte is read (413), a
  chunked body is counted while it streams and refused as soon as it passes the bound, and the whole body
  must arrive within ``body_timeout`` (408: a slow body holds no task for ever). The body is then handed
  to the route, which checks the secret or signature.

Refusals carry ``connection: close`` (but a 413 on the declared length, see ``_hook``): the unread rest of
a body is never waited for.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.watch.listener import ListenerLimits

logger = logging.getLogger("reconciler.watch")
HOOKS = "/hooks/"


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


class Guard:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: ListenerLimits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope["path"])
        if path.startswith(HOOKS):
            await self._hook(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _hook(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _header(scope, b"content-length")
        if declared and (not declared.isdigit() or int(declared) > self.limits.max_body):
            # Refused before a byte is read. No "connection: close": closing while an honest client still
            # sends would reset the connection before it reads the 413; the listener's deadline ends it.
            await _answer(send, 413, "body too large", close=False)
            return
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                body = await _read(receive, self.limits.max_body)
        except TimeoutError:
            logger.warning("webhook refused: the body did not arrive within %g s", self.limits.body_timeout)
            await _answer(send, 408, "the body did not arrive in time")
            return
        except _TooLarge:
            await _answer(send, 413, "body too large")
            return
        except _Gone:
            return
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then the real one (for the disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _answer(
    send: Send, status: int, error: str, extra: Mapping[str, str] | None = None, *, close: bool = True
) -> None:
    body = json.dumps({"error": error}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *([(b"connection", b"close")] if close else []),
        *((k.encode(), v.encode()) for k, v in (extra or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
