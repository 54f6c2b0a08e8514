"""The token request of the authorization page: the shared client-credentials flow with its ``scope``.

``OAuth2ClientCredentials`` sends ``client_id``, ``client_secret`` and ``grant_type``; the page's example
body also carries ``"scope": "*"``, so the request is that one plus the scope (its retries, refresh on 401,
form fallback and redaction stay the shared flow's).
"""

from __future__ import annotations

import json

import httpx

from reconciler.http import OAuth2ClientCredentials


class FlagshipToken(OAuth2ClientCredentials):
    """``POST {auth}/{account}/token?expires_in=0`` with ``scope: "*"``."""

    def _token_request(self) -> httpx.Request:
        request = super()._token_request()
        if request.headers.get("content-type", "").startswith("application/json"):
            body = {**json.loads(request.content), "scope": "*"}
            return httpx.Request(
                "POST", request.url, headers={"Accept": "application/json"}, json=body,
                extensions=request.extensions,
            )  # fmt: skip
        return request


def token_url(auth_url: str, account: str) -> str:
    """``https://auth.flagship.io/{ACCOUNT_ID}/token?expires_in=0`` (0: a token that does not expire; the
    client refreshes on a 401 all the same)."""
    from urllib.parse import quote

    return f"{auth_url.rstrip('/')}/{quote(account, safe='')}/token?expires_in=0"
