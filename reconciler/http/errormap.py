"""From an HTTP answer (or a failed connection) to the project's exception tree."""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.errors import (
    ApiError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    RequestFailedError,
    ServerError,
)
from reconciler.http.transport import ATTEMPT, GAVE_UP, unreachable
from reconciler.redaction import redact

_MESSAGE_KEYS = ("message", "error_description", "error", "detail")
_TEXT_LIMIT = 200


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None if it is not one."""
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def server_message(response: httpx.Response) -> str:
    """The server's own explanation of an error answer, redacted and kept short.

    A JSON body's ``message`` / ``error_description`` / ``error`` / ``detail`` (first found, nested one
    level), else the start of the text body, else the reason phrase.
    """
    payload = json_object(response)
    if payload is not None:
        for key in _MESSAGE_KEYS:
            value = payload.get(key)
            if isinstance(value, dict):
                value = next((value[k] for k in _MESSAGE_KEYS if isinstance(value.get(k), str)), None)
            if isinstance(value, str) and value.strip():
                return _shorten(redact(value))
    try:
        text = response.text
    except Exception:  # undecodable body: the status line is all we can say
        text = ""
    if text.strip():
        return _shorten(redact(text))
    return response.reason_phrase or f"HTTP {response.status_code}"


def _shorten(text: str) -> str:
    # Only ever given redacted text: cutting first kept the head of a secret too short to match, and
    # folding whitespace first turned a token with a newline into text the redactor no longer knew.
    text = " ".join(text.split())
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 3] + "..."


def error_class(status: int) -> type[ApiError]:
    """The exception class for an error status (>= 400)."""
    if status == 401:
        return AuthError
    if status == 403:
        return ForbiddenError
    if status == 404:
        return NotFoundError
    if status == 429 or status >= 500:
        return ServerError
    return RequestFailedError


def error_for_response(method: str, response: httpx.Response) -> ApiError:
    """The exception for an error answer: method, path (no query: it may carry a token), status, message."""
    status = response.status_code
    detail = server_message(response)
    attempts = response.extensions.get(ATTEMPT)
    if (status == 429 or status >= 500) and isinstance(attempts, int) and attempts > 1:
        detail = f"{detail} (after {attempts} attempts)"
    detail += _gave_up(response.request)
    return error_class(status)(method, redact(response.request.url.path), status, redact(detail))


def _gave_up(request: httpx.Request) -> str:
    reason = request.extensions.get(GAVE_UP)
    return f"; {reason}" if isinstance(reason, str) else ""


def redirect_error(method: str, response: httpx.Response) -> ServerError:
    """A 3xx: never followed (our credentials would go along) and never a success, mutations included."""
    try:
        location = response.request.url.join(response.headers.get("Location", ""))
        # Scheme, host and path only: a query may carry a token.
        target = f"{location.scheme}://{location.host}{location.path}"
    except httpx.InvalidURL:
        target = "an invalid URL"
    return ServerError(
        method,
        redact(response.request.url.path),
        response.status_code,
        redact(
            f"unexpected redirect to {target}: redirects are not followed, so nothing was done there; "
            "check the configured API URL"
        ),
    )


def error_for_exception(method: str, request: httpx.Request, exc: httpx.HTTPError) -> ServerError:
    """A ``ServerError`` (status 0) for a request whose connection kept failing."""
    attempts = request.extensions.get(ATTEMPT, 1)
    noun = "attempt" if attempts == 1 else "attempts"
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    host = request.url.host + (f":{request.url.port}" if request.url.port else "")
    return ServerError(
        method,
        redact(request.url.path),
        0,
        redact(
            f"connection failed after {attempts} {noun}: {reason}{_gave_up(request)}"
            f"{_unreachable_hint(exc, host)}"
        ),
    )


def _unreachable_hint(exc: httpx.HTTPError, host: str) -> str:
    why = unreachable(exc)
    if why == "dns":
        return f"; the host name {host} does not resolve: check the API or auth URL"
    if why == "refused":
        return f"; nothing listens at {host} (connection refused): check the URL's host and port"
    return f" (host {host})"
