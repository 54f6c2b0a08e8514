"""The API clients' TLS context: httpx's default, built once per process and per CA setting."""

from __future__ import annotations

import ssl

import certifi
import pytest

from reconciler.http import tls


def test_one_context_is_shared_and_it_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = tls.default_context()
    assert tls.default_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # certifi's bundle is loaded


def test_ssl_cert_file_still_chooses_the_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    default = tls.default_context()
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    chosen = tls.default_context()
    assert chosen is not default and tls.default_context() is chosen
