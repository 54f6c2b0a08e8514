"""Async HTTP client: auth, retries, bounds, redacted logs; reading whole collections is ``paging.pager``, a layer
over the client (the client never imports it).

Public names::

    ApiClient                       one API, one connection pool; request / get_json / paginated reads
    OAuth2ClientCredentials         AB Tasty token (JSON body), cached, refreshed before expiry and on 401
    TokenHeaderAuth                 Taplytics x-access-token header
    RetryPolicy, RetryTransport     retries on 429/5xx and lost connections, if safe to repeat, within caps
    Limits                          deadlines (run, request), body size and page caps, with their defaults
    Route, field, optional_field    typed reads of a decoded body: a ServerError naming route and field
    check_url                       https, or http to loopback only
    parse_link_header

Each name is imported from its module on first use (PEP 562): a provider names ``ApiClient`` or ``Route``
for its types, and ``validate``, which sends nothing, must not pay for httpx (tens of milliseconds).
``Secret`` and the redactor are ``reconciler.redaction``'s, the floor below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.http.auth import OAuth2ClientCredentials, TokenHeaderAuth
    from reconciler.http.bodies import Route, field, optional_field
    from reconciler.http.client import ApiClient
    from reconciler.http.errormap import server_message
    from reconciler.http.limits import Limits
    from reconciler.http.links import parse_link_header
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
    "ATTEMPT": "transport",
    "GAVE_UP": "transport",
    "IDEMPOTENT": "transport",
    "RetryPolicy": "transport",
    "RetryTransport": "transport",
    "check_url": "transport",
}

__all__ = [
    "ATTEMPT",
    "GAVE_UP",
    "IDEMPOTENT",
    "ApiClient",
    "Limits",
    "OAuth2ClientCredentials",
    "RetryPolicy",
    "RetryTransport",
    "Route",
    "TokenHeaderAuth",
    "check_url",
    "field",
    "optional_field",
    "parse_link_header",
    "server_message",
]


if not TYPE_CHECKING:  # mypy reads the imports above, and a name not among them is an error, not an Any

    def __getattr__(name: str) -> Any:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
