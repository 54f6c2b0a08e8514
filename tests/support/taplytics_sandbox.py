"""Helpers for the Taplytics sandbox tests: the canary API key, an in-process client, Link header reading."""

from __future__ import annotations

import re
from typing import Any

import httpx

from reconciler.sandbox.app import build_app, build_sandbox
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.server import resolve_credentials
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET

TOKEN = "canary-taplytics-key-5c1d"  # planted: it must never show up in a log
USERS = "/v2/users"
HEADER = {"x-access-token": TOKEN}
# The document's form: <URL>; rel='x' items joined by ", " (single quotes, one header).
LINK_ITEM = r"<(?P<url>[^>]+)>; rel='(?P<rel>last|next|prev|first)'"
_BARE_ITEM = r"<[^>]+>; rel='(?:last|next|prev|first)'"
LINK_FORM = re.compile(rf"^{_BARE_ITEM}(?:, {_BARE_ITEM})*$")


def sandbox_for(seed: str = "demo", page_cap: int = 100) -> Sandbox:
    given = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "taplytics_token": TOKEN}
    credentials = resolve_credentials(given, env={})
    return build_sandbox(seed, None, credentials, Faults(), page_cap=page_cap)


def asgi_client(sandbox: Sandbox, **kwargs: Any) -> httpx.AsyncClient:
    """A client of the whole app (middleware included) without a socket, for the fast tests."""
    transport = httpx.ASGITransport(app=build_app(sandbox))
    return httpx.AsyncClient(transport=transport, base_url="http://tap.test", **kwargs)


def links(response: httpx.Response) -> dict[str, str]:
    """``rel -> URL`` of a Taplytics answer, after checking the header has the document's form."""
    header = response.headers["link"]
    assert LINK_FORM.match(header), header
    found = {m["rel"]: m["url"] for m in re.finditer(LINK_ITEM, header)}
    assert len(found) == header.count("rel="), header  # each rel once
    return found


def problem(response: httpx.Response, status: int, *words: str) -> str:
    """Assert a Taplytics error: ``{"message", "status"}``; returns the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "status"} and body["status"] == status, body
    message = body["message"]
    assert isinstance(message, str)
    for word in words:
        assert word.lower() in message.lower(), message
    return message
