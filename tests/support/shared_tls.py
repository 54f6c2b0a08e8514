"""One TLS context for every httpx client the tests build with httpx's defaults.

``httpx.get``, ``httpx.post`` and ``httpx.Client()`` each build a transport, and each transport a TLS context
that loads certifi's CA bundle (50-150 ms of CPU), even for ``http://127.0.0.1``: the tests' hundreds of
such calls against the sandbox spent more CPU loading the bundle than talking to it. httpx's documented way
out is one context passed as ``verify=`` to every client; here the transports' own call is made to hand out
one context per CA setting instead, so no call site changes. Only the default (``verify=True``, no client
certificate) is shared, keyed like httpx chooses it (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when trusted);
anything else, and the product's own contexts (reconciler.http.tls, which calls httpx.create_ssl_context),
is built as before.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import httpx
import httpx._transports.default as transports
import pytest

_built = httpx.create_ssl_context  # the function the transports call (httpx._config)
_shared: dict[tuple[bool, str | None, str | None], ssl.SSLContext] = {}


def _create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
    if verify is not True or cert is not None:
        return _built(verify=verify, cert=cert, trust_env=trust_env)
    key = (trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    if key not in _shared:
        _shared[key] = _built(verify=True, trust_env=trust_env)
    return _shared[key]


def share_default_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transports, "create_ssl_context", _create_ssl_context)
