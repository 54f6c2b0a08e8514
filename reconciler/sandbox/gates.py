"""Dialect gates in front of the routes: which host serves which AB Tasty route, and a required Content-Type.

The AB Tasty document's examples put the token, membership and script routes on ``api2.abtasty.com`` and
tests, play, pause and schedule on ``api.abtasty.com``. By default the sandbox serves every route on one
port (the routes are defined by their paths); with ``two-hosts`` a second port plays ``api2`` and each port
answers 404 for the other one's routes, as two real hosts would. Every route table of the document marks
``Content-Type`` required; with ``content-type-required`` a request without it is a 400.

The gates sit inside the fault and request-log layer, so a refused request is logged like any other.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.web import error_body, is_taplytics

# Routes the document's examples show on api2.abtasty.com.
_API2 = re.compile(
    r"^/oauth/|^/api/core/accounts/[^/]+/membership(?:/|$)|^/api/interface/accounts/[^/]+/(?:update|clear)_script$"
)
_JSON_TYPES = ("application/json",)
_TOKEN_TYPES = ("application/json", "application/x-www-form-urlencoded")


def host_of(path: str) -> str:
    """``"api2"`` for the routes the document shows on api2.abtasty.com, else ``"api"``."""
    return "api2" if _API2.match(path) else "api"


def arrived_on(sandbox: Sandbox, scope: Scope) -> str:
    """Which host a request reached: ``"api2"`` on the second port (``two-hosts``), else ``"api"``."""
    server = scope.get("server")
    port = server[1] if server else None
    return "api2" if sandbox.api2_port is not None and port == sandbox.api2_port else "api"


class DialectGates:
    """Answer 404 for a route on the wrong host (``two-hosts``) and 400 without Content-Type
    (``content-type-required``); everything else goes through."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sandbox"):
            problem = self._problem(scope)
            if problem is not None:
                await _answer(send, scope["path"], *problem)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope) -> tuple[int, str] | None:
        path: str = scope["path"]
        if self.sandbox.plays("two-hosts"):
            wanted = "api" if is_taplytics(path) else host_of(path)
            if arrived_on(self.sandbox, scope) != wanted:
                return 404, f'No route found for "{scope["method"]} {path}" on this host'
        if self.sandbox.plays("content-type-required") and not is_taplytics(path):
            headers = dict(scope.get("headers", []))
            given = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
            accepted = _TOKEN_TYPES if path.startswith("/oauth/") else _JSON_TYPES
            if given not in accepted:
                return (
                    400,
                    f"Missing or invalid header 'Content-Type': expected application/json, got {given!r}",
                )
        return None


async def _answer(send: Send, path: str, status: int, message: str) -> None:
    payload = json.dumps(error_body(path, status, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
