"""The API clients' TLS context: httpx's default, built once per process and per CA setting, and only for a
client that can reach an https URL."""

from __future__ import annotations

import ssl

import certifi
import pytest

from reconciler.http import ApiClient, tls


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


def test_a_client_of_plain_http_urls_loads_no_bundle_and_trusts_nothing() -> None:
    """Issue 29: the bundle costs 50-90 ms; a sandbox client never needs it, and gets a context under which
    every certificate fails (no CA at all), never one that skips verification."""
    context = tls.for_urls(["http://127.0.0.1:8080", None, "http://localhost:9/oauth/v2/token"])
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    assert tls.for_urls(["http://127.0.0.1:1"]) is context


def test_one_https_url_among_them_gets_the_default_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    # The token URL alone may be the https one: the auth flow sends through the same transport.
    assert tls.for_urls(["http://127.0.0.1:8080", "HTTPS://auth.example.com/token"]) is tls.default_context()


async def test_the_api_client_loads_the_bundle_only_when_it_can_reach_https(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
    monkeypatch.setattr(tls, "_CONTEXTS", built)
    async with ApiClient("http://127.0.0.1:9", None):
        assert built == {}
    async with ApiClient("http://127.0.0.1:9", None, origins=("https://api2.example.com",)):
        assert len(built) == 1
