"""``/_sandbox/*``: the request log, the state and run-time faults (no auth; never logged or faulted)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.web import ApiProblem, json_object, sandbox_of
from reconciler.sandbox.webhooks import Receiver

PREFIX = "/_sandbox"


def apply_faults(sandbox: Sandbox, changes: dict[str, Any]) -> Faults:
    """Merge ``changes`` into the current faults; ``reset: true`` starts from the defaults and
    ``expire_tokens: true`` expires every token issued so far. Giving ``fault_seed`` (even the same value)
    restarts the random sequence, so a test can replay it; giving ``forced`` (even the same rules) restarts
    their ``times`` counts. ``ValueError`` on bad input."""
    changes = dict(changes)
    expire = bool(changes.pop("expire_tokens", False))
    base = Faults() if changes.pop("reset", False) else sandbox.faults.faults
    faults = base.updated(changes)
    sandbox.faults.set(faults, reseed="fault_seed" in changes, rearm="forced" in changes)
    if expire:
        sandbox.tokens.expire_all()
    return faults


async def get_requests(request: Request) -> JSONResponse:
    return JSONResponse(list(sandbox_of(request).log))


async def clear_requests(request: Request) -> Response:
    sandbox_of(request).clear_log()
    return Response(status_code=204)


async def get_service(request: Request) -> JSONResponse:
    """Per logged request, in log order: the milliseconds it spent in the sandbox beyond its injected delay
    (reading it, faults, the route, sending the answer, and waiting for the event loop or a CPU)."""
    return JSONResponse([round(s * 1000, 3) for s in sandbox_of(request).service])


async def get_state(request: Request) -> JSONResponse:
    return JSONResponse(sandbox_of(request).store.to_dict())


async def post_faults(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    try:
        faults = apply_faults(sandbox, await json_object(request))
    except ValueError as err:
        raise ApiProblem(400, f"Invalid faults: {err}") from None
    return JSONResponse(vars(faults))


async def get_faults(request: Request) -> JSONResponse:
    return JSONResponse(vars(sandbox_of(request).faults.faults))


async def post_webhook(request: Request) -> JSONResponse:
    """Register a webhook receiver (for the vendors that send webhooks): ``{"url": "http://...", "headers": {...}}`` (headers optional);
    ``{"reset": true}`` removes every receiver first."""
    sender = sandbox_of(request).webhooks
    body = await json_object(request)
    if body.get("reset"):
        sender.receivers.clear()
    url, headers = body.get("url"), body.get("headers") or {}
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiProblem(400, "Invalid webhook: 'url' must be an http(s) URL")
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ApiProblem(400, "Invalid webhook: 'headers' must map names to strings")
        sender.receivers.append(Receiver(url, {str(k): v for k, v in headers.items()}))
    return JSONResponse(sender.counts())


async def get_webhooks(request: Request) -> JSONResponse:
    return JSONResponse(sandbox_of(request).webhooks.counts())


def routes() -> list[BaseRoute]:
    return [
        Route(PREFIX + "/requests", get_requests, methods=["GET"]),
        Route(PREFIX + "/requests", clear_requests, methods=["DELETE"]),
        Route(PREFIX + "/service", get_service, methods=["GET"]),
        Route(PREFIX + "/state", get_state, methods=["GET"]),
        Route(PREFIX + "/faults", post_faults, methods=["POST"]),
        Route(PREFIX + "/faults", get_faults, methods=["GET"]),
        Route(PREFIX + "/webhooks", post_webhook, methods=["POST"]),
        Route(PREFIX + "/webhooks", get_webhooks, methods=["GET"]),
    ]
