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
from reconciler.http.redact import redact

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
                return redact(_shorten(value))
    try:
        text = response.text
    except Exception:  # undecodable body: the status line is all we can say
        text = ""
    if text.strip():
        return redact(_shorten(text))
    return response.reason_phrase or f"HTTP {response.status_code}"


def _shorten(text: str) -> str:
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
    attempts = response.extensions.get("reconciler.attempt")
    if (status == 429 or status >= 500) and isinstance(attempts, int) and attempts > 1:
        detail = f"{detail} (after {attempts} attempts)"
    return error_class(status)(method, redact(response.request.url.path), status, redact(detail))


def error_for_exception(method: str, request: httpx.Request, exc: httpx.HTTPError) -> ServerError:
    """A ``ServerError`` (status 0) for a request whose connection kept failing."""
    attempts = request.extensions.get("reconciler.attempt", 1)
    noun = "attempt" if attempts == 1 else "attempts"
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return ServerError(
        method,
        redact(request.url.path),
        0,
        redact(f"connection failed after {attempts} {noun}: {reason}"),
    )
