"""The ASGI layer in front of the watch's routes: who may read the status page and the metrics, and how much
of a webhook body is read, for how long.

- ``/`` and ``/metrics`` show members' emails and pending plans. Without ``RECONCILER_WATCH_TOKEN`` they
  answer loopback clients only (403 to others); with it, every client must send it, as
  ``Authorization: Bearer TOKEN`` or as the password of basic auth (any user name), compared in constant
  time. Every client, loopback included: a reverse proxy on the same host makes every request look local.
  ``/healthz`` stays open (a liveness probe carries no secret, and it says only "ok").
- ``/hooks/*``: the declared ``Content-Length`` is checked against the bound before a byte is read (413), a
  chunked body is counted while it streams and refused as soon as it passes the bound, and the whole body
  must arrive within ``body_timeout`` (408: a slow body holds no task for ever). Before that, a hook request
  without the header its route authenticates with (``X-Hub-Signature-256`` for GitHub, the shared token in
  a header or ``?token=`` for the others) is refused (401) unread: a body no one could accept is never
  waited for. The body is then handed to the route, which checks the secret or signature.

Refusals carry ``connection: close`` (but a 413 on the declared length, see ``_hook``): the unread rest of
a body is never waited for.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.redaction import Secret, is_loopback
from reconciler.watch.hooks import SIGNATURE_HEADER, TOKEN_HEADER
from reconciler.watch.listener import ListenerLimits

logger = logging.getLogger("reconciler.watch")
TOKEN_ENV = "RECONCILER_WATCH_TOKEN"
OPEN_PATHS = frozenset({"/healthz"})
HOOKS = "/hooks/"


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


@dataclass(frozen=True)
class Access:
    """Who may read ``/`` and ``/metrics``: loopback clients, or anyone with the token when one is set."""

    token: Secret | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Access:
        """``RECONCILER_WATCH_TOKEN``; empty counts as unset."""
        token = env.get(TOKEN_ENV, "")
        return cls(Secret(token) if token else None)

    def allowed(self, client: str, authorization: str) -> bool:
        """Whether a request from ``client`` with this ``Authorization`` header may read the page."""
        if self.token is None:
            return _loopback(client)
        expected = self.token.reveal().encode()
        given = _credentials(authorization)
        return given is not None and hmac.compare_digest(given, expected)


def _loopback(client: str) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return is_loopback(client)
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack listener
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _credentials(authorization: str) -> bytes | None:
    """The token a bearer header carries, or a basic header's password (any user name); else None."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value.encode("utf-8", "surrogateescape")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        _user, sep, password = decoded.partition(b":")
        return password if sep and password else None
    return None


class Guard:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: ListenerLimits, access: Access) -> None:
        self.app, self.limits, self.access = app, limits, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope["path"])
        if path.startswith(HOOKS):
            await self._hook(scope, receive, send)
        elif path in OPEN_PATHS or self._may_read(scope):
            await self.app(scope, receive, send)
        elif self.access.token is None:
            await _answer(send, 403, f"{path} answers loopback clients only: set {TOKEN_ENV} to allow others")
        else:
            await _answer(send, 401, "a valid token is required", {"www-authenticate": 'Basic realm="watch"'})

    def _may_read(self, scope: Scope) -> bool:
        client = scope.get("client")
        return self.access.allowed(str(client[0]) if client else "", _header(scope, b"authorization"))

    async def _hook(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _header(scope, b"content-length")
        if declared and (not declared.isdigit() or int(declared) > self.limits.max_body):
            # Refused before a byte is read. No "connection: close": closing while an honest client still
            # sends would reset the connection before it reads the 413; the listener's deadline ends it.
            await _answer(send, 413, "body too large", close=False)
            return
        if not _claims_auth(scope):  # refused unread, for the same reason as the 413 above
            logger.warning("webhook %s refused: no secret or signature header", scope["path"])
            await _answer(send, 401, "no secret or signature: see docs/watch.md#webhooks", close=False)
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


def _claims_auth(scope: Scope) -> bool:
    """Whether a hook request carries what its route checks (present, not yet verified: GitHub's signature
    covers the body, and the route compares the token)."""
    if str(scope["path"]) == f"{HOOKS}github":
        return _header(scope, SIGNATURE_HEADER.encode()).startswith("sha256=")
    scheme, _, bearer = _header(scope, b"authorization").partition(" ")
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    in_query = any(part.startswith("token=") and len(part) > 6 for part in query.split("&"))
    return (
        bool(_header(scope, TOKEN_HEADER.encode()))
        or (scheme.lower() == "bearer" and bool(bearer.strip()))
        or in_query
    )


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
