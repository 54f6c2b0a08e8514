"""Gates in front of the routes: which host serves which path, and each vendor's own request checks.

By default the sandbox serves every route on one port. A vendor may ask for extra hosts under some dialects
(``SandboxVendor.extra_hosts``): each gets a port of its own, and each port answers 404 for the paths
another host serves (``SandboxVendor.host_of``), as separate real hosts would. A vendor's
``check_request`` may refuse a request to its paths before its route runs (a required header, say).

The gates sit inside the fault and request-log layer, so a refused request is logged like any other.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.vendor import MAIN_HOST
from reconciler.sandbox.vendors import owner
from reconciler.sandbox.web import error_body


def arrived_on(sandbox: Sandbox, scope: Scope) -> str:
    """Which host a request reached: the extra host whose port it came in on, else ``MAIN_HOST``."""
    server = scope.get("server")
    port = server[1] if server else None
    for name, host_port in sandbox.host_ports.items():
        if port == host_port:
            return name
    return MAIN_HOST


class VendorGates:
    """Answer 404 for a path on the wrong host and a vendor's refusal; everything else goes through."""

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
        vendor = owner(path, self.sandbox.vendors)
        if self.sandbox.host_ports:
            wanted = vendor.host_of(path) if vendor is not None else MAIN_HOST
            if arrived_on(self.sandbox, scope) != wanted:
                return 404, f'No route found for "{scope["method"]} {path}" on this host'
        return vendor.check_request(self.sandbox.dialects, scope) if vendor is not None else None


async def _answer(send: Send, path: str, status: int, message: str) -> None:
    payload = json.dumps(error_body(path, status, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
