"""Async HTTP client: auth, pagination, retries, redaction.

Public names::

    ApiClient                       one API, one connection pool; request / get_json / paginated reads
    OAuth2ClientCredentials         AB Tasty token (JSON body), cached, refreshed before expiry and on 401
    TokenHeaderAuth                 Taplytics x-access-token header
    RetryPolicy, RetryTransport     retries on 429/5xx and lost connections, if safe to repeat, within caps
    Limits                          deadlines (run, request), body size and page caps, with their defaults
    Route, field, optional_field    typed reads of a decoded body: a ServerError naming route and field
    check_url                       https, or http to loopback only
    Secret, Redactor, REDACTOR, redact, register_secret, RedactingFilter, install_redaction
    parse_link_header

Each name is imported from its module on first use (PEP 562): ``Secret`` or ``is_loopback`` must not drag
httpx (tens of milliseconds) into a command that sends nothing, such as ``validate``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported at once: light (the standard library only), and ``redact`` is also the name of its module, which
# the import system would otherwise leave in the function's place once the module is loaded.
from reconciler.http.redact import (
    REDACTOR,
    RedactingFilter,
    Redactor,
    install_redaction,
    redact,
    register_secret,
)

if TYPE_CHECKING:
    from reconciler.http.auth import OAuth2ClientCredentials, TokenHeaderAuth
    from reconciler.http.bodies import Route, field, optional_field
    from reconciler.http.client import ApiClient
    from reconciler.http.errormap import server_message
    from reconciler.http.limits import Limits
    from reconciler.http.links import parse_link_header
    from reconciler.http.loopback import is_loopback
    from reconciler.http.secrets import Secret
    from reconciler.http.transport import ATTEMPT, GAVE_UP, IDEMPOTENT, RetryPolicy, RetryTransport, check_url

_MODULES = {
    "OAuth2ClientCredentials": "auth",
    "TokenHeaderAuth": "auth",
    "Route": "bodies",
    "field": "bodies",
    "optional_field": "bodies",
    "ApiClient": "client",
    "server_message": "errormap",
    "Limits": "limits",
    "parse_link_header": "links",
    "Secret": "secrets",
    "ATTEMPT": "transport",
    "GAVE_UP": "transport",
    "IDEMPOTENT": "transport",
    "RetryPolicy": "transport",
    "RetryTransport": "transport",
    "check_url": "transport",
    "is_loopback": "loopback",
}

__all__ = [
    "ATTEMPT",
    "GAVE_UP",
    "IDEMPOTENT",
    "REDACTOR",
    "ApiClient",
    "Limits",
    "OAuth2ClientCredentials",
    "RedactingFilter",
    "Redactor",
    "RetryPolicy",
    "RetryTransport",
    "Route",
    "Secret",
    "TokenHeaderAuth",
    "check_url",
    "field",
    "install_redaction",
    "is_loopback",
    "optional_field",
    "parse_link_header",
    "redact",
    "register_secret",
    "server_message",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
