"""Webhook authentication and bounded bodies.

Two schemes, because the senders differ:

- **Vendor webhooks** (``POST /hooks/{name}``, e.g. Taplytics): the vendor documents no signature, and a
  webhook form usually takes a URL and nothing else. So the shared secret ``RECONCILER_WEBHOOK_SECRET`` is
  accepted in the ``X-Reconciler-Token`` header, as ``Authorization: Bearer SECRET``, or, when the sender
  can only be given a URL, as the ``?token=`` query parameter. It is compared in constant time. The query
  form puts the secret in a URL: watch never logs request lines (uvicorn's access log is off), and the
  redactor knows the value, but a proxy in front of it may log URLs: prefer the header where the sender
  allows it, and TLS in any case.
- **GitHub** (``POST /hooks/github``): GitHub signs each delivery: ``X-Hub-Signature-256: sha256=HEX``, the
  HMAC-SHA256 of the raw body keyed with the webhook's secret (``RECONCILER_GITHUB_WEBHOOK_SECRET``),
  compared in constant time over the body as received, before the body is parsed.

A route whose secret is not set refuses every request (401): an unauthenticated trigger is never accepted.
Bodies are read up to a bound (a larger one is a 413 before anything is triggered).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from reconciler.redaction import Secret

WEBHOOK_SECRET_ENV = "RECONCILER_WEBHOOK_SECRET"
GITHUB_SECRET_ENV = "RECONCILER_GITHUB_WEBHOOK_SECRET"
TOKEN_HEADER = "x-reconciler-token"
SIGNATURE_HEADER = "x-hub-signature-256"
DELIVERY_HEADER = "x-github-delivery"
REMEMBERED_DELIVERIES = 4096  # bounded: the oldest ids are forgotten first
MAX_PUSH_AGE = 600.0  # seconds: GitHub delivers within seconds; an older signed push is a replay


@dataclass(frozen=True)
class HookSecrets:
    """The webhook secrets, from the environment only (never from the config files, which live in git)."""

    token: Secret | None
    github: Secret | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HookSecrets:
        """Read both variables; an empty one counts as unset."""
        token, github = env.get(WEBHOOK_SECRET_ENV, ""), env.get(GITHUB_SECRET_ENV, "")
        return cls(Secret(token) if token else None, Secret(github) if github else None)

    def missing(self) -> list[str]:
        """The variables not set."""
        return [
            n for n, s in ((WEBHOOK_SECRET_ENV, self.token), (GITHUB_SECRET_ENV, self.github)) if s is None
        ]


def _same(given: str, expected: Secret) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.reveal().encode())


def token_ok(request: Request, secret: Secret | None) -> bool:
    """Whether ``request`` carries the shared secret (header, bearer or ``?token=``)."""
    if secret is None:
        return False
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    candidates = [
        request.headers.get(TOKEN_HEADER),
        bearer.strip() if scheme.lower() == "bearer" else None,
        request.query_params.get("token"),
    ]
    # Every candidate is compared (no early exit), so timing does not tell which place was tried.
    results = [_same(c, secret) for c in candidates if c]
    return any(results)


def signature_ok(body: bytes, header: str | None, secret: Secret | None) -> bool:
    """Whether ``header`` is ``sha256=`` and the HMAC-SHA256 of ``body`` under ``secret``."""
    if secret is None or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.reveal().encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").encode("ascii", "replace"), expected.encode())


class Deliveries:
    """Keys already accepted: ``X-GitHub-Delivery`` ids, and the sha256 of signed push bodies (the
    signature covers the body only, so a replay under a fresh id is caught by the body's digest).
    Bounded: the oldest are forgotten past ``limit``."""

    def __init__(self, limit: int = REMEMBERED_DELIVERIES) -> None:
        self.limit = limit
        self._seen: dict[str, None] = {}  # insertion-ordered: the first key is the oldest

    def first_time(self, delivery: str) -> bool:
        """Whether ``delivery`` is new (and remember it)."""
        if delivery in self._seen:
            return False
        self._seen[delivery] = None
        if len(self._seen) > self.limit:
            del self._seen[next(iter(self._seen))]
        return True

    def __len__(self) -> int:
        return len(self._seen)


def body_digest(body: bytes) -> str:
    """The key a signed body is remembered by."""
    return hashlib.sha256(body).hexdigest()


def _epoch(value: object) -> float | None:
    """A GitHub timestamp as seconds: push events give ``pushed_at`` as a Unix time, other payloads and
    ``head_commit.timestamp`` as ISO 8601. Anything else is unreadable (None), never an error."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # a 400-digit integer
            return None
        return seconds if math.isfinite(seconds) else None
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return stamp.timestamp() if stamp.tzinfo is not None else None
    return None


def push_age(body: bytes, now: float) -> float | None:
    """How old a push payload is, by the newest of ``repository.pushed_at`` and ``head_commit.timestamp``
    (the commit's own time can be old when an old commit is pushed, so the newest wins); None when the
    payload carries neither (the digest and delivery id still refuse a replay)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    stamps: list[float | None] = []
    for parent, key in (("repository", "pushed_at"), ("head_commit", "timestamp")):
        section = payload.get(parent)
        stamps.append(_epoch(section.get(key)) if isinstance(section, dict) else None)
    known = [s for s in stamps if s is not None]
    return now - max(known) if known else None
