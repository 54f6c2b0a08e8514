"""Taplytics token auth: the project's REST API key, sent in any of the three places the document names.

The document: "It can either be sent as a query parameter called api_token ... Or, it can be sent in the
body of a POST request ... Or, lastly, it can be sent as an HTTP header called x-access-token." It does not
say which wins when several are sent; the sandbox checks the first one present, in the order header, query,
body, and answers 401 when that one is wrong (it does not try the others).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any, Literal

from starlette.datastructures import QueryParams
from starlette.requests import Request

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.web import ApiProblem, sandbox_of

TOKEN_HEADER = "x-access-token"
TOKEN_PARAM = "api_token"
TokenVia = Literal["header", "query", "body"]


def find_token(
    headers: Mapping[str, str], query: Mapping[str, str], body: Any
) -> tuple[TokenVia, str] | None:
    """Where the API key came from and its value; an empty value counts as absent."""
    header = headers.get(TOKEN_HEADER)
    if header:
        return "header", header
    param = query.get(TOKEN_PARAM)
    if param:
        return "query", param
    if isinstance(body, dict) and body.get(TOKEN_PARAM) not in (None, ""):
        value = body[TOKEN_PARAM]
        return "body", value if isinstance(value, str) else json.dumps(value)
    return None


def token_via(method: str, headers: Mapping[str, str], query_string: str, raw_body: bytes) -> TokenVia | None:
    """How a request carried its API key, for the request log (read from the raw request, so it is known
    even when a fault answers before the route runs). Only a POST body counts, as in the document."""
    body: Any = None
    if method == "POST" and b"api_token" in raw_body:
        try:
            body = json.loads(raw_body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
    found = find_token(headers, QueryParams(query_string), body)
    return found[0] if found is not None else None


def _same(given: str, expected: str) -> bool:
    # surrogatepass: a JSON string may hold a lone surrogate; it must compare unequal, not crash.
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def authorize(request: Request, body: Any) -> Sandbox:
    """401 unless the request carries the accepted API key (``body``: the parsed POST body, or None).
    The messages never echo the key that was sent."""
    sandbox = sandbox_of(request)
    found = find_token(request.headers, request.query_params, body)
    if found is None:
        raise ApiProblem(
            401,
            "Unauthorized: missing API key (send it as the x-access-token header, the api_token query "
            "parameter or api_token in a POST body)",
        )
    if not _same(found[1], sandbox.credentials["taplytics_token"]):
        raise ApiProblem(401, f"Unauthorized: invalid API key (sent in the {found[0]})")
    return sandbox
