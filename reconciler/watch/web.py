"""The HTTP side of the watch: the status page, ``/metrics``, ``/healthz`` and the webhook receivers.

Every route runs on the watcher's event loop, so reading its state needs no lock.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from reconciler.providers import registry
from reconciler.watch.guard import Access, Guard
from reconciler.watch.hooks import (
    DELIVERY_HEADER,
    MAX_PUSH_AGE,
    SIGNATURE_HEADER,
    Deliveries,
    HookSecrets,
    body_digest,
    push_age,
    signature_ok,
    token_ok,
)
from reconciler.watch.listener import ListenerLimits
from reconciler.watch.metrics import CONTENT_TYPE, WatchMetrics
from reconciler.watch.page import CSP, render_page
from reconciler.watch.scheduler import Watcher

logger = logging.getLogger("reconciler.watch")
GITHUB = "github"


def _refused(kind: str) -> JSONResponse:
    logger.warning("webhook %s refused: no valid secret", kind)
    return JSONResponse({"error": "a valid webhook secret is required"}, status_code=401)


class Routes:
    """The handlers of one watcher's app."""

    def __init__(
        self, watcher: Watcher, metrics: WatchMetrics, secrets: HookSecrets, clock: Callable[[], float]
    ) -> None:
        self.watcher, self.metrics, self.secrets, self.clock = watcher, metrics, secrets, clock
        self.deliveries, self.bodies = Deliveries(), Deliveries()

    async def page(self, _request: Request) -> Response:
        """``/``: the status page."""
        body = render_page(self.watcher, list(self.watcher.accounts.values()))
        return HTMLResponse(body, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})

    async def metrics_text(self, _request: Request) -> Response:
        """``/metrics``."""
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE)

    async def healthz(self, _request: Request) -> Response:
        """``/healthz``: 200 while the loop is alive, else 503 and why."""
        alive, reason = self.watcher.health()
        return PlainTextResponse(reason, status_code=200 if alive else 503)

    async def vendor_hook(self, request: Request) -> Response:
        """``/hooks/{name}``: the shared secret first, then any JSON body triggers the provider's accounts."""
        name = str(request.path_params["name"])
        if not any(p.webhook == name for p in registry.providers()):
            return JSONResponse({"error": f"no provider receives webhooks at /hooks/{name}"}, status_code=404)
        if not token_ok(request, self.secrets.token):  # before the body is parsed
            return _refused(name)
        try:
            json.loads(await request.body())  # bounded and read by the guard (watch/guard.py)
        except (ValueError, RecursionError):  # 1 MiB of "[[[[" is valid JSON too deep to parse: refused
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        # A deployment with several projects gives each one's webhook its own URL (?account=NAME); the
        # payload itself is undocumented, so it is never read for that.
        triggered = self.watcher.trigger_webhook(name, request.query_params.get("account"))
        logger.info("webhook %s: checking %d account(s)", name, triggered)
        return JSONResponse({"triggered": triggered}, status_code=202)

    async def github_hook(self, request: Request) -> Response:
        """``/hooks/github``: a signed push re-reads the files and checks every account."""
        body = await request.body()  # bounded and read by the guard (watch/guard.py)
        if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self.secrets.github):
            return _refused(GITHUB)
        event = request.headers.get("x-github-event", "")
        if event == "push" and (refusal := self._replayed(request, body)):
            logger.warning("webhook github refused: %s", refusal)
            return JSONResponse({"error": refusal}, status_code=409)
        if event == "ping":
            return JSONResponse({"ok": True})
        if event != "push":
            return JSONResponse({"ignored": event}, status_code=202)
        self.watcher.reload_and_check()
        logger.info("webhook github: push, re-reading the configs and checking every account")
        return JSONResponse({"triggered": len(self.watcher.accounts)}, status_code=202)

    def _replayed(self, request: Request, body: bytes) -> str | None:
        """Why a signed push is a replay, or None. The delivery id is not signed, so the body is
        remembered too, and a push older than GitHub's delivery delay is refused whatever its id."""
        age = push_age(body, self.clock())
        if age is not None and age > MAX_PUSH_AGE:
            return f"this push is {int(age // 60)} minutes old (a replay; GitHub delivers within seconds)"
        delivery = request.headers.get(DELIVERY_HEADER, "")
        fresh_id = bool(delivery) and self.deliveries.first_time(delivery)
        fresh_body = self.bodies.first_time(body_digest(body))  # remembered even under a reused id
        if not delivery:
            return "a push without X-GitHub-Delivery"
        return None if fresh_id and fresh_body else "this delivery was already received"


def build_app(
    watcher: Watcher,
    metrics: WatchMetrics,
    secrets: HookSecrets,
    limits: ListenerLimits | None = None,
    access: Access | None = None,
    clock: Callable[[], float] = time.time,
) -> ASGIApp:
    """The ASGI app of one watcher, behind its guard (who reads the page, body bounds and deadlines)."""
    limits = limits or ListenerLimits()
    routes = Routes(watcher, metrics, secrets, clock)
    app = Starlette(
        routes=[
            Route("/", routes.page, methods=["GET"]),
            Route("/metrics", routes.metrics_text, methods=["GET"]),
            Route("/healthz", routes.healthz, methods=["GET"]),
            Route(f"/hooks/{GITHUB}", routes.github_hook, methods=["POST"]),
            Route("/hooks/{name}", routes.vendor_hook, methods=["POST"]),
        ]
    )
    return Guard(app, limits, access or Access())
