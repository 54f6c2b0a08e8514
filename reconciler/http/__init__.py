"""Async HTTP client: auth, pagination, retries, redaction.

Public names::

    ApiClient                       one API, one connection pool; request / get_json / paginated reads
    OAuth2ClientCredentials         AB Tasty token (JSON body), cached, refreshed before expiry and on 401
    TokenHeaderAuth                 Taplytics x-access-token header
    RetryPolicy, RetryTransport     retries on 429/5xx and lost connections, if safe to repeat
    check_url                       https, or http to loopback only
    Secret, Redactor, REDACTOR, redact, register_secret, RedactingFilter, install_redaction
    parse_link_header
"""

from reconciler.http.auth import OAuth2ClientCredentials, TokenHeaderAuth
from reconciler.http.client import ApiClient
from reconciler.http.errormap import server_message
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
    IDEMPOTENT,
    RetryPolicy,
    RetryTransport,
    check_url,
    is_loopback,
)

__all__ = [
    "ATTEMPT",
    "IDEMPOTENT",
    "REDACTOR",
    "ApiClient",
    "OAuth2ClientCredentials",
    "RedactingFilter",
    "Redactor",
    "RetryPolicy",
    "RetryTransport",
    "Secret",
    "TokenHeaderAuth",
    "check_url",
    "install_redaction",
    "is_loopback",
    "parse_link_header",
    "redact",
    "register_secret",
    "server_message",
]
