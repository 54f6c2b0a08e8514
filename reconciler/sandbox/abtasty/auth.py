"""``POST /oauth/v2/token``: client_credentials, JSON body as documented, form body also accepted."""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.web import ApiProblem, sandbox_of

TOKEN_PATH = "/oauth/v2/token"
SCOPE = "public_api"


def _oauth_error(status: int, error: str, description: str) -> ApiProblem:
    return ApiProblem(status, description, extra={"error": error, "error_description": description})


async def _token_request(request: Request) -> dict[str, Any]:
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    if sandbox_of(request).plays("token-form-only"):
        raise _oauth_error(
            400, "invalid_request", "The request body must be application/x-www-form-urlencoded"
        )
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _oauth_error(400, "invalid_request", f"Malformed JSON body: {err}") from None
    if not isinstance(data, dict):
        raise _oauth_error(400, "invalid_request", "Malformed JSON body: expected a JSON object")
    return data


async def token(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    body = await _token_request(request)
    missing = [k for k in ("client_id", "client_secret", "grant_type") if not body.get(k)]
    if missing:
        raise _oauth_error(400, "invalid_request", f"Missing parameter(s): {', '.join(missing)}")
    if body["grant_type"] != "client_credentials":
        raise _oauth_error(
            400, "unsupported_grant_type", "Invalid parameter 'grant_type': expected client_credentials"
        )
    expected = sandbox.credentials
    id_ok = hmac.compare_digest(str(body["client_id"]).encode(), expected["client_id"].encode())
    secret_ok = hmac.compare_digest(str(body["client_secret"]).encode(), expected["client_secret"].encode())
    if not (id_ok and secret_ok):
        raise _oauth_error(401, "invalid_client", "The client credentials are invalid")
    ttl = sandbox.faults.faults.token_ttl
    return JSONResponse(
        {
            "access_token": sandbox.tokens.issue(ttl),
            "expires_in": ttl,
            "token_type": "bearer",
            "scope": SCOPE,
        },
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    return [Route(TOKEN_PATH, token, methods=["POST"])]
