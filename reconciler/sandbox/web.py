"""HTTP helpers shared by every emulated API: JSON errors, body parsing, auth, paging parameters."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.vendor import SandboxVendor
from reconciler.sandbox.vendors import owner

_UNOWNED = SandboxVendor()  # the shape of an answer no vendor owns


def error_body(path: str, status: int, message: str) -> dict[str, Any]:
    """The error shape of the vendor that owns ``path`` (``SandboxVendor.error_body``); a path no vendor
    owns gets ``{"code", "message"}``. Faults and forced statuses use it too, so each client sees its API's
    shape."""
    vendor = owner(path)
    return (vendor or _UNOWNED).error_body(status, message)


class ApiProblem(Exception):
    """An error answer in the shape of ``error_body`` (plus optional extra keys and headers)."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


def problem_response(problem: ApiProblem, path: str) -> JSONResponse:
    body = {**error_body(path, problem.status, problem.message), **problem.extra}
    return JSONResponse(body, status_code=problem.status, headers=problem.headers)


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return problem_response(exc, request.url.path)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 / 405 (no route, wrong method) as the same JSON shape."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f'No route found for "{request.method} {request.url.path}"'
    else:
        message = str(exc.detail)
    problem = ApiProblem(exc.status_code, message, headers=dict(exc.headers or {}))
    return problem_response(problem, request.url.path)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """A bug in the sandbox still answers JSON (uvicorn logs the traceback)."""
    problem = ApiProblem(500, f"Internal sandbox error ({type(exc).__name__})")
    return problem_response(problem, request.url.path)


def sandbox_of(request: Request) -> Sandbox:
    sandbox = request.app.state.sandbox
    assert isinstance(sandbox, Sandbox)
    return sandbox


async def json_object(request: Request, *, empty_ok: bool = True) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}`` when ``empty_ok``."""
    raw = await request.body()
    if not raw.strip():
        if empty_ok:
            return {}
        raise ApiProblem(400, "Missing JSON body")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiProblem(400, f"Malformed JSON body: {err}") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "Malformed JSON body: expected a JSON object")
    return data


def authorize(request: Request, account_id: int) -> Sandbox:
    """401 without a valid bearer token, 403 for an account the credentials do not cover."""
    sandbox = sandbox_of(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiProblem(401, "Authentication required: missing Authorization header")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "Authentication required: expected 'Authorization: Bearer {token}'")
    problem = sandbox.tokens.check(token.strip())
    if problem is not None:
        raise ApiProblem(401, problem)
    if account_id != sandbox.store.account_id:
        raise ApiProblem(403, f"Access denied: these credentials do not cover account {account_id}")
    return sandbox


def int_param(request: Request, name: str, default: int, minimum: int = 1) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiProblem(400, f"Invalid parameter '{name}': expected an integer, got {raw!r}") from None
    if value < minimum:
        raise ApiProblem(400, f"Invalid parameter '{name}': must be >= {minimum}, got {value}")
    return value


async def persist(sandbox: Sandbox) -> None:
    """Make the mutations applied so far durable before the answer leaves; a failed write is a JSON 500."""
    try:
        await sandbox.commit()
    except OSError as err:
        raise ApiProblem(500, f"The sandbox could not save its state: {err.strerror}") from None


def no_content() -> Response:
    return Response(status_code=204)


def write_answer(sandbox: Sandbox, body: Any) -> Response:
    """The answer to a write the document says is a 204: 204, or 200 with ``body`` (``writes-200``)."""
    return JSONResponse(body) if sandbox.plays("writes-200") else no_content()
