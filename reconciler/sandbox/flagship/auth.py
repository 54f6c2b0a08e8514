"""``POST /{account_id}/token`` (auth.flagship.io; here under ``/flagship-auth``) and the bearer check.

The authorization page: a JSON body ``{grant_type: client_credentials, scope: "*", client_id,
client_secret}``, ``expires_in`` in the query (0 asks for a token that does not expire; the sandbox then
issues one for its fault settings' ``token_ttl`` all the same, so expiry stays testable).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.flagship.state import state_of
from reconciler.sandbox.web import ApiProblem, sandbox_of

TOKEN_PREFIX = "/flagship-auth"


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiProblem(400, f"Malformed JSON body: {err}") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "Malformed JSON body: expected a JSON object")
    return data


async def token(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    body = await _body(request)
    missing = [k for k in ("client_id", "client_secret", "grant_type") if not body.get(k)]
    if missing:
        raise ApiProblem(400, f"Missing parameter(s): {', '.join(missing)}")
    if body["grant_type"] != "client_credentials":
        raise ApiProblem(400, "grant_type must be client_credentials")
    if request.path_params["account_id"] != state_of(sandbox).account_id:
        raise ApiProblem(401, "Unknown account")
    expected = sandbox.credentials
    if not (
        _same(body["client_id"], expected["flagship_client_id"])
        and _same(body["client_secret"], expected["flagship_client_secret"])
    ):
        raise ApiProblem(401, "Invalid client credentials")
    ttl = sandbox.faults.faults.token_ttl
    issued = sandbox.tokens.issue(ttl)
    return JSONResponse({"access_token": issued, "expires_in": ttl, "refresh_token": "", "scope": "*"})


def authorize(request: Request) -> Sandbox:
    """401 without a valid bearer token, 403 for an account or environment the credentials do not cover."""
    sandbox = sandbox_of(request)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiProblem(401, "Authentication required: 'Authorization: Bearer {token}'")
    problem = sandbox.tokens.check(given.strip())
    if problem is not None:
        raise ApiProblem(401, problem)
    section = state_of(sandbox)
    params = request.path_params
    if params.get("account_id") != section.account_id or params.get("env_id", section.environment_id) != (
        section.environment_id
    ):
        raise ApiProblem(403, "Forbidden: these credentials do not cover this account environment")
    return sandbox
