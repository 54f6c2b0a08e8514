"""A hostile HTTP/1.1 server on 127.0.0.1, raw asyncio sockets, running in the test's own event loop.

It answers each request with a scripted behaviour (``Answer``): bytes sent at once, bytes trickled one
chunk at a time, or nothing at all. Raw sockets, not an ASGI app, because the point is what no well-behaved
framework would send: a body dribbled out a byte at a time, a gzip bomb, a hand-written 302.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

TOKEN_PATH = "/oauth/v2/token"


@dataclass
class Answer:
    """What to send back: ``head`` and ``body`` at once, then ``trickle`` bytes every ``interval`` s for
    ever (or ``silent``: read the request and send nothing)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    trickle: bytes = b""
    interval: float = 0.2
    silent: bool = False

    def head(self) -> bytes:
        headers = {"Content-Length": str(len(self.body)), **self.headers}
        lines = [f"HTTP/1.1 {self.status} X"] + [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode())


def token_answer() -> Answer:
    return json_answer({"access_token": "hostile-token", "expires_in": 3600, "token_type": "bearer"})


def gzip_bomb(inflated_bytes: int) -> Answer:
    """A small gzip body that inflates to ``inflated_bytes`` zeros (about 1,000:1)."""
    body = gzip.compress(b"\0" * inflated_bytes, compresslevel=9)
    return Answer(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, body)


@dataclass
class Request:
    method: str
    path: str


@dataclass
class HostileServer:
    """``answer(request)`` picks the answer to each request; every request is logged in ``requests``."""

    answer: Callable[[Request], Answer]
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    handlers: set[asyncio.Task[Any]] = field(default_factory=set)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.handlers.add(task)
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:  # keep-alive: httpx reuses the connection
                head = await reader.readuntil(b"\r\n\r\n")
                request = self._parse(head)
                length = _content_length(head)
                if length:
                    await reader.readexactly(length)
                self.requests.append(request)
                answer = self.answer(request)
                if answer.silent:
                    await asyncio.sleep(3600)
                writer.write(answer.head() + answer.body)
                await writer.drain()
                while answer.trickle:
                    await asyncio.sleep(answer.interval)
                    writer.write(answer.trickle)
                    await writer.drain()
        writer.close()

    @staticmethod
    def _parse(head: bytes) -> Request:
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        return Request(method, target)


def _content_length(head: bytes) -> int:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value.strip())
    return 0


@contextlib.asynccontextmanager
async def hostile(answer: Callable[[Request], Answer]) -> AsyncIterator[HostileServer]:
    """Serve ``answer`` on 127.0.0.1 (a free port) for the duration of the block."""
    server = HostileServer(answer)
    listener = await asyncio.start_server(server._handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        listener.close()
        for task in server.handlers:  # still trickling or silent: the client gave up on them
            task.cancel()
        await asyncio.gather(*server.handlers, return_exceptions=True)


@contextlib.contextmanager
def hostile_in_thread(answer: Callable[[Request], Answer]) -> Iterator[HostileServer]:
    """:func:`hostile` on its own loop in a thread, for code that runs its own loop (the CLI)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    serving = hostile(answer)
    server = asyncio.run_coroutine_threadsafe(serving.__aenter__(), loop).result(timeout=10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(serving.__aexit__(None, None, None), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
