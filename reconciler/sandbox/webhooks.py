"""Outgoing webhooks: an API may notify a project "when changes occur" (a new user is added, ...) with no
payload or signature documented. A vendor's route calls ``emit`` with a small JSON event, which is POSTed to
every receiver registered through ``POST /_sandbox/webhooks``, so a client's webhook receiver is tested over
real HTTP. Delivery runs in the background: the API answer never waits for it, and a receiver that fails or
is down only counts as ``failed``.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

DELIVERY_TIMEOUT_S = 5.0


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying context for every delivery: building one loads the CA bundle (tens of ms of CPU), which
    a client made per delivery paid each time."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class Receiver:
    """Where to POST events, and extra headers (a shared secret, say). Its ``repr`` shows neither."""

    url: str = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass
class WebhookSender:
    """The registered receivers and the deliveries in flight."""

    receivers: list[Receiver] = field(default_factory=list)
    delivered: int = 0
    failed: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def emit(self, event: dict[str, Any]) -> None:
        """Deliver ``event`` to every receiver in the background (call it on the server's loop)."""
        for receiver in self.receivers:
            task = asyncio.get_running_loop().create_task(self._post(receiver, event))
            self._tasks.add(task)  # a reference, or the loop may collect the task before it ran
            task.add_done_callback(self._tasks.discard)

    async def _post(self, receiver: Receiver, event: dict[str, Any]) -> None:
        try:
            async with httpx.AsyncClient(
                timeout=DELIVERY_TIMEOUT_S, trust_env=False, verify=_tls()
            ) as client:
                response = await client.post(receiver.url, json=event, headers=receiver.headers)
            ok = response.is_success
        except httpx.HTTPError:
            ok = False
        if ok:
            self.delivered += 1
        else:
            self.failed += 1

    def counts(self) -> dict[str, int]:
        """Receivers and delivery outcomes (never the URLs: they may carry a token)."""
        return {"receivers": len(self.receivers), "delivered": self.delivered, "failed": self.failed}
