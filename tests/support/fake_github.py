"""A local fake of the parts of GitHub's REST API reconciler uses, as documented
(https://docs.github.com/en/rest/issues/comments, /issues/issues, /commits/commits#list-pull-requests-
associated-with-a-commit): bearer-token auth, ``page`` / ``per_page`` with a ``Link`` header (rel="next",
rel="last", absolute URLs), 201 on create, 422 for a body over 65,536 characters. Served by uvicorn on
127.0.0.1 in a thread."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.e2e import stop_later

TOKEN = "ghs_canaryToken0123456789abcdef"
BOT = "github-actions[bot]"  # who the Actions token comments as
LIMIT = 65_536


@dataclass
class FakeGitHub:
    """The repository's state and the requests it received."""

    repo: str = "acme/experiments"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)  # merged, with that merge commit
    open_pulls: dict[str, list[int]] = field(default_factory=dict)  # open pull requests holding the commit
    requests: list[tuple[str, str]] = field(default_factory=list)
    pull_numbers: set[int] = field(default_factory=set)  # pull requests share the issues' numbers
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    url: str = ""

    def add_comment(self, issue: int, body: str, user: str = "someone") -> dict[str, Any]:
        comment = {"id": next(self.ids), "body": body, "user": {"login": user}}
        self.comments.setdefault(issue, []).append(comment)
        return comment

    def mutations(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


def _page(request: Request, items: list[dict[str, Any]], base: str) -> Response:
    page = int(request.query_params.get("page", "1"))
    per_page = min(int(request.query_params.get("per_page", "30")), 100)
    last = max(1, -(-len(items) // per_page))
    body = items[(page - 1) * per_page : page * per_page]
    links = []
    if page < last:
        links.append(f'<{base}{request.url.path}?page={page + 1}&per_page={per_page}>; rel="next"')
    links.append(f'<{base}{request.url.path}?page={last}&per_page={per_page}>; rel="last"')
    return JSONResponse(body, headers={"Link": ", ".join(links)})


def build_app(gh: FakeGitHub, extra: list[Route] | None = None) -> Starlette:
    async def guard(request: Request) -> Response | None:
        gh.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if request.method in ("POST", "PATCH"):
            body = await request.json()
            if len(str(body.get("body", ""))) > LIMIT:
                return JSONResponse(
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "code": "custom",
                                "field": "body",
                                "message": "body is too long (maximum is 65536 characters)",
                            }
                        ],
                    },
                    status_code=422,
                )
        return None

    async def comments(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        issue = int(request.path_params["n"])
        if request.method == "POST":
            return JSONResponse(gh.add_comment(issue, (await request.json())["body"], BOT), status_code=201)
        return _page(request, gh.comments.get(issue, []), gh.url)

    async def comment(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        wanted = int(request.path_params["id"])
        for found in itertools.chain.from_iterable(gh.comments.values()):
            if found["id"] == wanted:
                found["body"] = (await request.json())["body"]
                return JSONResponse(found)
        return JSONResponse({"message": "Not Found"}, status_code=404)

    async def issues(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        if request.method == "POST":
            data = await request.json()
            number = max([*gh.issues, *gh.pull_numbers, 0]) + 1
            gh.issues[number] = {
                "number": number,
                "title": data["title"],
                "body": data["body"],
                "state": "open",
                "user": {"login": BOT},
                "labels": [{"name": name} for name in data.get("labels", [])],
            }
            return JSONResponse(gh.issues[number], status_code=201)
        state = request.query_params.get("state", "open")
        creator = request.query_params.get("creator")
        listed = [
            i
            for i in gh.issues.values()
            if (state == "all" or i["state"] == state)
            and (creator is None or i.get("user", {}).get("login") == creator)
        ]
        return _page(request, listed, gh.url)

    async def issue(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        found = gh.issues.get(int(request.path_params["n"]))
        if found is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        found.update(await request.json())
        return JSONResponse(found)

    async def pulls(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        sha = request.path_params["sha"]
        merged = [
            {"number": n, "state": "closed", "merged_at": "2026-11-29T12:00:00Z", "merge_commit_sha": sha}
            for n in gh.commit_pulls.get(sha, [])
        ]
        still_open = [
            {"number": n, "state": "open", "merged_at": None, "merge_commit_sha": "f" * 40}
            for n in gh.open_pulls.get(sha, [])
        ]
        return _page(request, still_open + merged, gh.url)

    repo = "/repos/{owner}/{name}"
    return Starlette(
        routes=[
            Route(repo + "/issues/{n:int}/comments", comments, methods=["GET", "POST"]),
            Route(repo + "/issues/comments/{id:int}", comment, methods=["PATCH"]),
            Route(repo + "/issues", issues, methods=["GET", "POST"]),
            Route(repo + "/issues/{n:int}", issue, methods=["PATCH"]),
            Route(repo + "/commits/{sha}/pulls", pulls, methods=["GET"]),
            *(extra or []),
        ]
    )


@contextmanager
def serve_github(
    extra: Callable[[FakeGitHub], list[Route]] | None = None,
) -> Iterator[FakeGitHub]:
    """A fake GitHub on 127.0.0.1 for the duration of the block; ``extra`` adds routes on its state."""
    gh = FakeGitHub()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    gh.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(gh, extra(gh) if extra else None), log_level="warning", access_log=False, loop="asyncio"
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield gh
    finally:
        server.should_exit = True

        def stop() -> None:
            thread.join(5)
            sock.close()

        stop_later(stop)  # in the background: see tests.support.e2e.stop_later
