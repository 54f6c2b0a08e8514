"""Helpers for the sandbox tests: tokens, authed clients, the document's examples, shape comparison."""

from __future__ import annotations

import json
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.sandbox.server import SandboxServer

DOC = (
    Path(__file__).parents[1] / "providers" / "abtasty" / "abtasty_public_api.txt"
)  # a copy of the AB Tasty Public API document
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "canary-secret-7f3a9"
ACCOUNT = 41902
CORE = f"/api/core/accounts/{ACCOUNT}"
INTERFACE = f"/api/interface/accounts/{ACCOUNT}"
# The sandbox speaks plain HTTP, but every new httpx client loads the CA bundle into a TLS context of its own
# (~45 ms of CPU): the clients here share this one instead (verification stays on).
TLS = ssl.create_default_context()


def token_for(server: SandboxServer) -> str:
    response = httpx.post(
        server.token_url,
        verify=TLS,
        json={
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def authed(server: SandboxServer, **kwargs: Any) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token_for(server)}", "Content-Type": "application/json"}
    return httpx.Client(base_url=server.url, headers=headers, verify=TLS, **kwargs)


@dataclass
class Example:
    """A JSON block of the document: the URL shown before it and whether it is an answer or a body."""

    url: str | None
    is_answer: bool
    data: Any


def _blocks(lines: list[str]) -> list[tuple[int, str]]:
    """(first line index, text) of every JSON block starting with '{' or '[' at column 0."""
    found, start = [], None
    for i, line in enumerate(lines):
        if start is None and line.rstrip() in ("{", "["):
            start = i
        elif start is not None and line.rstrip() in ("}", "]"):
            found.append((start, "\n".join(lines[start : i + 1])))
            start = None
    return found


def doc_examples() -> list[Example]:
    """Every example of the document, parsed (the document's trailing commas removed)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    examples = []
    for start, text in _blocks(lines):
        before = [line.strip() for line in lines[:start] if line.strip()]
        urls = [line for line in before if line.startswith("https://")]
        data = json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
        examples.append(Example(urls[-1] if urls else None, "answer" in before[-1].lower(), data))
    return examples


def doc_answer(path_and_query: str) -> Any:
    """The document's example answer for ``GET path?query`` (the URL as printed, host stripped)."""
    for example in doc_examples():
        if example.is_answer and example.url and re.sub(r"^https://[^/]+", "", example.url) == path_and_query:
            return example.data
    raise KeyError(path_and_query)


def shape_errors(actual: Any, expected: Any, where: str = "$") -> list[str]:
    """Differences in keys and value types between ``actual`` and the document's ``expected``."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {type(actual).__name__}"]
        errors = [f"{where}: keys differ: missing {sorted(set(expected) - set(actual))}, "
                  f"extra {sorted(set(actual) - set(expected))}"] if set(actual) != set(expected) else []  # fmt: skip
        for key in set(actual) & set(expected):
            errors += shape_errors(actual[key], expected[key], f"{where}.{key}")
        return errors
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected an array, got {type(actual).__name__}"]
        errors = []
        for i, item in enumerate(actual):
            if expected:
                errors += shape_errors(
                    item, expected[i] if i < len(expected) else expected[0], f"{where}[{i}]"
                )
        return errors
    if expected is None:
        return [] if actual is None else [f"{where}: expected null, got {actual!r}"]
    if type(actual) is not type(expected):
        return [f"{where}: expected {type(expected).__name__}, got {type(actual).__name__} ({actual!r})"]
    return []
