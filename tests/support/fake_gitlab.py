"""A local fake of the parts of GitLab's REST API v4 reconciler uses, as documented
(https://docs.gitlab.com/api/notes/#merge-requests, /api/users/#get-the-current-user, /api/rest/#pagination):
``PRIVATE-TOKEN`` auth, ``GET /user``, a merge request's notes listed with ``page`` / ``per_page`` (20 by
default, 100 at most) and a ``Link`` header of absolute URLs, ``POST`` 201 and ``PUT`` of one note, the
merge requests related to a commit (https://docs.gitlab.com/api/commits/#list-merge-requests-associated-with-a-commit:
``iid``, ``state``, ``sha``, ``merge_commit_sha``, ``squash_commit_sha``), the project id URL-encoded when it
is a path. Served by uvicorn on 127.0.0.1 in a thread."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.e2e import stop_later

TOKEN = "glpat-canaryToken0123456789ab"
BOT = "project_42_bot_reconciler"  # a project access token's user


@dataclass
class FakeGitLab:
    """The merge requests' notes and the requests received."""

    project: str = "acme/experiments"
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    commit_merge_requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by commit sha
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(5000))
    url: str = ""

    def add_note(self, iid: int, body: str, user: str = "someone", system: bool = False) -> dict[str, Any]:
        note = {"id": next(self.ids), "body": body, "author": {"username": user}, "system": system}
        self.notes.setdefault(iid, []).append(note)
        return note

    def mutations(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


def _page(request: Request, items: list[dict[str, Any]]) -> Response:
    page = int(request.query_params.get("page", "1"))
    per_page = min(int(request.query_params.get("per_page", "20")), 100)
    last = max(1, -(-len(items) // per_page))
    base = str(request.url).split("?")[0]
    links = [f'<{base}?page={last}&per_page={per_page}>; rel="last"']
    if page < last:
        links.insert(0, f'<{base}?page={page + 1}&per_page={per_page}>; rel="next"')
    body = items[(page - 1) * per_page : page * per_page]
    return JSONResponse(body, headers={"Link": ", ".join(links), "X-Total": str(len(items))})


def build_app(gl: FakeGitLab) -> Starlette:
    def denied(request: Request) -> Response | None:
        gl.requests.append((request.method, request.url.path))
        if request.headers.get("private-token") != TOKEN:
            return JSONResponse({"message": "401 Unauthorized"}, status_code=401)
        if request.path_params.get("project") not in (None, gl.project, "42"):
            return JSONResponse({"message": "404 Project Not Found"}, status_code=404)
        return None

    async def user(request: Request) -> Response:
        return denied(request) or JSONResponse({"id": 7, "username": BOT, "bot": True})

    async def notes(request: Request) -> Response:
        if (refused := denied(request)) is not None:
            return refused
        iid = int(request.path_params["iid"])
        if request.method == "POST":
            return JSONResponse(gl.add_note(iid, (await request.json())["body"], BOT), status_code=201)
        return _page(request, gl.notes.get(iid, []))

    async def note(request: Request) -> Response:
        if (refused := denied(request)) is not None:
            return refused
        for found in gl.notes.get(int(request.path_params["iid"]), []):
            if found["id"] == int(request.path_params["id"]):
                if found["author"]["username"] != BOT:
                    return JSONResponse({"message": "403 Forbidden"}, status_code=403)
                found["body"] = (await request.json())["body"]
                return JSONResponse(found)
        return JSONResponse({"message": "404 Not found"}, status_code=404)

    async def related(request: Request) -> Response:
        if (refused := denied(request)) is not None:
            return refused
        return _page(request, gl.commit_merge_requests.get(request.path_params["sha"], []))

    mr = "/api/v4/projects/{project:path}/merge_requests/{iid:int}/notes"
    return Starlette(
        routes=[
            Route("/api/v4/user", user, methods=["GET"]),
            Route("/api/v4/projects/{project:path}/repository/commits/{sha}/merge_requests", related),
            Route(mr, notes, methods=["GET", "POST"]),
            Route(mr + "/{id:int}", note, methods=["PUT"]),
        ]
    )


@contextmanager
def serve_gitlab() -> Iterator[FakeGitLab]:
    """A fake GitLab on 127.0.0.1 for the duration of the block."""
    gl = FakeGitLab()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    gl.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(build_app(gl), log_level="warning", access_log=False, loop="asyncio")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield gl
    finally:
        server.should_exit = True

        def stop() -> None:
            thread.join(5)
            sock.close()

        stop_later(stop)
