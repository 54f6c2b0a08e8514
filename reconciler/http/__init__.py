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
"""

from reconciler.http.auth import OAuth2ClientCredentials, TokenHeaderAuth
from reconciler.http.bodies import Route, field, optional_field
from reconciler.http.client import ApiClient
from reconciler.http.errormap import server_message
from reconciler.http.limits import Limits
from reconciler.http.links import parse_link_header
from reconciler.http.redact import (
    REDACTOR,
    RedactingFilter,
    Redactor,
    install_redaction,
    redact,
    register_secret,
)
from reconciler.http.secrets import Secret
from reconciler.http.transport import (
    ATTEMPT,
    GAVE_UP,
    IDEMPOTENT,
    RetryPolicy,
    RetryTransport,
    check_url,
    is_loopback,
)

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
