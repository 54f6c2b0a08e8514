"""The TLS context every API client verifies servers with, built once per process.

It is httpx's default (certifi's CA bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set), but loading the
CA bundle costs 50-90 ms of CPU, most of what a small plan costs, and the engine makes one client per account
and run (``watch``: per check). So one context is built for each value of those two variables and shared:
an ``ssl.SSLContext`` may serve many connections, in any thread.
"""

from __future__ import annotations

import os
import ssl

import httpx

_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def default_context() -> ssl.SSLContext:
    """httpx's default TLS context for the current ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, made once."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _CONTEXTS.get(key)
    if context is None:
        context = _CONTEXTS[key] = httpx.create_ssl_context()
    return context
