"""The running sandbox: state store, persistence, tokens, faults and the request log, shared by the routes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.clock import Clock
from reconciler.sandbox.faults import FaultInjector
from reconciler.sandbox.pages import PageCache
from reconciler.sandbox.persist import GroupCommitter
from reconciler.sandbox.store import Store
from reconciler.sandbox.vendor import Credentials, SandboxVendor
from reconciler.sandbox.vendors import vendors
from reconciler.sandbox.webhooks import WebhookSender

MAX_LOG_ENTRIES = 100_000


class TokenIssuer:
    """Random bearer tokens with an expiry (by ``clock``: the sandbox sets its own); never logged."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self.clock = Clock()

    def issue(self, ttl: int) -> str:
        token = secrets.token_hex(24)
        self._expiry[token] = self.clock.time() + ttl
        return token

    def check(self, token: str) -> str | None:
        """None when the token is valid, else why it is not."""
        expires = self._expiry.get(token)
        if expires is None:
            return "Invalid access token"
        if self.clock.time() >= expires:
            return "The access token provided has expired"
        return None

    def issued(self) -> list[str]:
        """Every token handed out (for tests that search outputs for them)."""
        return list(self._expiry)

    def expire_all(self) -> None:
        for token in self._expiry:
            self._expiry[token] = 0.0


@dataclass
class Sandbox:
    """Everything a route needs. Lives on the event loop: touch it from other threads only via the server."""

    store: Store
    committer: GroupCommitter | None
    faults: FaultInjector
    credentials: Credentials
    page_cap: int = 100
    dialects: frozenset[str] = frozenset()  # see reconciler.sandbox.dialects
    host_ports: dict[str, int] = field(default_factory=dict)  # a vendor's extra hosts and their ports
    vendors: tuple[SandboxVendor, ...] = field(default_factory=vendors)  # the APIs it serves
    tokens: TokenIssuer = field(default_factory=TokenIssuer)
    log: list[dict[str, Any]] = field(default_factory=list)
    # Per logged request, the seconds it spent in the sandbox beyond its injected delay (cleared with the log).
    service: list[float] = field(default_factory=list)
    webhooks: WebhookSender = field(default_factory=WebhookSender)
    page_cache: PageCache | None = None  # serve --page-cache: list pages kept until the next mutation
    #: What token expiry and the rate-limit bucket read; tests move it forward (``reconciler.sandbox.clock``).
    clock: Clock = field(default_factory=Clock)
    #: API requests received so far, and those still being served (``SandboxServer.wait_idle`` reads them).
    received: int = 0
    in_flight: int = 0

    def __post_init__(self) -> None:
        self.tokens.clock = self.clock
        self.faults.clock = self.clock

    def plays(self, dialect: str) -> bool:
        """Whether this sandbox plays ``dialect`` (one of ``reconciler.sandbox.dialects.DIALECTS``)."""
        return dialect in self.dialects

    async def commit(self) -> None:
        """Return once every mutation applied so far is on disk (no-op without a state file)."""
        if self.committer is not None:
            await self.committer.commit()

    def record(self, entry: dict[str, Any], service_s: float = 0.0) -> None:
        """Log a request, and the time it spent in the sandbox beyond its injected delay."""
        if len(self.log) >= MAX_LOG_ENTRIES:
            del self.log[: MAX_LOG_ENTRIES // 10]
            del self.service[: MAX_LOG_ENTRIES // 10]
        self.log.append(entry)
        self.service.append(service_s)

    def clear_log(self) -> None:
        self.log.clear()
        self.service.clear()
