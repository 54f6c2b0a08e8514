"""Fakes for the http tests: a small AB Tasty-like ASGI app, a uvicorn-in-a-thread server, a clock.

The full sandbox emulator lives elsewhere (reconciler/sandbox); these fakes are deliberately tiny and only
model what the client layer relies on: the token endpoint, a capped HAL collection, faults and in-flight
counting.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

#: A client secret that must never appear in any output of the test suite.
CANARY_SECRET = "canary-secret-5f0e1c2d9b8a7e6f"
CLIENT_ID = "2_xe68dghl0ghoo42vay79rytcv"
TOKEN_PATH = "/oauth/v2/token"
TESTS_PATH = "/api/core/accounts/41902/tests"


@dataclass
class FakeClock:
    """A monotonic clock the test moves by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeAbTasty:
    """An AB Tasty-shaped API: OAuth2 token endpoint plus one HAL collection capped at ``page_cap``."""

    item_count: int = 95
    page_cap: int = 10
    expires_in: int = 43200
    delay: float = 0.0
    token_delay: float = 0.0
    include_pages: bool = True
    token_bodies: list[Any] = field(default_factory=list)
    token_headers: list[dict[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    api_requests: list[str] = field(default_factory=list)
    #: (status, headers) answered to the next API requests instead of the real answer, in order.
    faults: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    token_faults: list[int] = field(default_factory=list)
    #: page number -> status answered for that page every time.
    fail_pages: dict[int, int] = field(default_factory=dict)
    #: A ``_max_per_page`` above this is a 400 with ``refusal`` as its message (``None``: any size is capped).
    max_per_page: int | None = None
    refusal: str = "Invalid parameter '_max_per_page'"
    in_flight: int = 0
    max_in_flight: int = 0
    _counter: Iterator[int] = field(default_factory=itertools.count)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(TOKEN_PATH, self._token, methods=["POST"]),
                Route(TESTS_PATH, self._tests, methods=["GET"]),
            ]
        )

    def revoke_all(self) -> None:
        self.revoked.update(self.issued)

    async def _token(self, request: Request) -> Response:
        self.token_headers.append(dict(request.headers))
        body = await request.json()
        self.token_bodies.append(body)
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        if self.token_faults:
            return JSONResponse(
                {"message": "token service unavailable"}, status_code=self.token_faults.pop(0)
            )
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CANARY_SECRET:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "The client credentials are invalid"},
                status_code=401,
            )
        token = f"tok{next(self._counter)}-{uuid.uuid4().hex}"
        self.issued.append(token)
        return JSONResponse(
            {"access_token": token, "expires_in": self.expires_in, "token_type": "bearer", "scope": "XXX"}
        )

    async def _tests(self, request: Request) -> Response:
        self.api_requests.append(str(request.url.path) + "?" + str(request.url.query))
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.issued or token in self.revoked:
            return JSONResponse({"message": "Invalid token"}, status_code=401)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if self.faults:
            status, headers = self.faults.pop(0)
            return JSONResponse({"message": f"injected {status}"}, status_code=status, headers=headers)
        page = int(request.query_params.get("_page", "1"))
        if page in self.fail_pages:
            return JSONResponse({"message": f"page {page} failed"}, status_code=self.fail_pages[page])
        asked = int(request.query_params.get("_max_per_page", "10"))
        if self.max_per_page is not None and asked > self.max_per_page:
            return JSONResponse({"message": self.refusal}, status_code=400)
        per_page = min(asked, self.page_cap)
        pages = max(1, -(-self.item_count // per_page))
        start = (page - 1) * per_page
        items = [{"id": n, "name": f"test {n}"} for n in range(start, min(start + per_page, self.item_count))]

        def href(number: int) -> dict[str, str]:
            return {"href": f"{TESTS_PATH}?_page={number}&_max_per_page={per_page}"}

        links = {"self": href(page), "first": href(1), "last": href(pages)}
        if page < pages:
            links["next"] = href(page + 1)
        body: dict[str, Any] = {"page": page, "limit": per_page, "total": self.item_count}
        if self.include_pages:
            body["pages"] = pages
        body.update({"_links": links, "_embedded": {"items": items}})
        return JSONResponse(body)


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run ``app`` under a real uvicorn server on 127.0.0.1 (a free port) in a thread; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class SleepRecorder:
    """An injectable ``sleep`` that records the delays and returns at once."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
