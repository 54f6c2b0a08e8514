"""The TLS context every API client verifies servers with, built once per process.

It is httpx's default (certifi's CA bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set), but loading the
CA bundle costs 50-90 ms of CPU, most of what a small plan costs, and the engine makes one client per account
and run (``watch``: per check). So one context is built for each value of those two variables and shared:
an ``ssl.SSLContext`` may serve many connections, in any thread.

A client none of whose URLs is https (a sandbox or a test server on loopback: plain http is refused
elsewhere) never needs the bundle, so it gets a context that trusts nothing instead (``for_urls``): built in
microseconds, and any TLS handshake through it fails verification, so nothing is trusted by mistake.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable

import httpx

_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def default_context() -> ssl.SSLContext:
    """httpx's default TLS context for the current ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, made once."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _CONTEXTS.get(key)
    if context is None:
        context = _CONTEXTS[key] = httpx.create_ssl_context()
    return context


_TRUSTS_NOTHING: list[ssl.SSLContext] = []


def for_urls(urls: Iterable[str | None]) -> ssl.SSLContext:
    """The default context if any of ``urls`` is https, else one that verifies against no CA at all."""
    if any(url is not None and url.lower().startswith("https:") for url in urls):
        return default_context()
    if not _TRUSTS_NOTHING:
        _TRUSTS_NOTHING.append(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))  # CERT_REQUIRED, no CA loaded
    return _TRUSTS_NOTHING[0]
