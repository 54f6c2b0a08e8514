"""The innermost layer of the client's stack: guard, bound, count and log every request put on the wire."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from reconciler.errors import ReconcilerError
from reconciler.http.attempts import report
from reconciler.http.limits import Limits, read_bounded, request_deadline_error
from reconciler.http.transport import ATTEMPT, check_url
from reconciler.redaction import redact


class MeteredTransport(httpx.AsyncBaseTransport):
    """Guard, bound, count and log every request actually put on the wire.

    Each attempt (connection to last byte of the decompressed body) must finish within
    ``limits.request_deadline`` and its body stay under ``limits.max_body_bytes``: the bound holds for each
    attempt, token requests included, without counting the wait for a concurrency slot.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        parallelism: int,
        logger: logging.Logger,
        origin: httpx.URL,
        limits: Limits,
    ) -> None:
        self._transport = transport
        self._semaphore = asyncio.Semaphore(parallelism)
        self._logger = logger
        self._origin = origin
        self._limits = limits
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_url(request.url)  # last line of defence: nothing leaves in clear text off this machine
        async with self._semaphore:
            self.count += 1
            start = time.perf_counter()
            try:
                response = await self._send_bounded(request)
            except (httpx.HTTPError, ReconcilerError) as exc:
                self._log(request, type(exc).__name__, start)
                raise
        self._log(request, str(response.status_code), start)
        return response

    async def _send_bounded(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response | None = None
        timeout = asyncio.timeout(self._limits.request_deadline)
        try:
            async with timeout:
                response = await self._transport.handle_async_request(request)
                # Read the body while holding the slot: "in flight" lasts until the answer is complete,
                # and the logged duration covers it.
                await read_bounded(response, request, self._limits.max_body_bytes)
        except TimeoutError:
            if not timeout.expired():  # not ours: let it through unchanged
                raise
            if response is not None:
                await response.aclose()  # give the half-read connection back (closed) to the pool
            raise request_deadline_error(request.method, request.url, self._limits.request_deadline) from None
        return response

    def _log(self, request: httpx.Request, outcome: str, start: float) -> None:
        report(request.method, outcome)  # reconciler.http.attempts: counted whether or not INFO is on
        if not self._logger.isEnabledFor(logging.INFO):
            return
        elapsed_ms = (time.perf_counter() - start) * 1000
        target = request.url.raw_path.decode("ascii", "replace")
        if (request.url.scheme, request.url.host, request.url.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            target = f"{request.url.scheme}://{request.url.host}{target}"  # e.g. the token endpoint
        attempt = request.extensions.get(ATTEMPT, 1)
        self._logger.info(redact(f"{request.method} {target} {outcome} {elapsed_ms:.0f}ms attempt {attempt}"))

    async def aclose(self) -> None:
        await self._transport.aclose()
