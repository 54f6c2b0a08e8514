"""AB Tasty's gates (``reconciler.sandbox.gates``): which host serves which route, and a required Content-Type.

The AB Tasty document's examples put the token, membership and script routes on ``api2.abtasty.com`` and
tests, play, pause and schedule on ``api.abtasty.com``. By default the sandbox serves every route on one
port (the routes are defined by their paths); with ``two-hosts`` a second port plays ``api2`` and each port
answers 404 for the other one's routes, as two real hosts would (every other vendor's routes are on the
first). Every route table of the document marks
``Content-Type`` required; with ``content-type-required`` a request without it is a 400.

The gates sit inside the fault and request-log layer, so a refused request is logged like any other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Routes the document's examples show on api2.abtasty.com.
_API2 = re.compile(
    r"^/oauth/|^/api/core/accounts/[^/]+/membership(?:/|$)|^/api/interface/accounts/[^/]+/(?:update|clear)_script$"
)
_JSON_TYPES = ("application/json",)
_TOKEN_TYPES = ("application/json", "application/x-www-form-urlencoded")


def host_of(path: str) -> str:
    """``"api2"`` for the routes the document shows on api2.abtasty.com, else ``"api"``."""
    return "api2" if _API2.match(path) else "api"


def content_type_problem(dialects: frozenset[str], scope: Mapping[str, Any]) -> tuple[int, str] | None:
    """With ``content-type-required``, a 400 for a request without the Content-Type its route takes."""
    if "content-type-required" not in dialects:
        return None
    path: str = scope["path"]
    headers = dict(scope.get("headers", []))
    given = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
    accepted = _TOKEN_TYPES if path.startswith("/oauth/") else _JSON_TYPES
    if given in accepted:
        return None
    return 400, f"Missing or invalid header 'Content-Type': expected application/json, got {given!r}"
