"""GitHub's "get a pull request" for the fake (https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request):
``state`` open or closed and ``merged``; 404 for a number it does not know. Its state lives beside the
fake's own, like tests/support/fake_git.py's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_github import TOKEN, FakeGitHub


@dataclass
class Pulls:
    """Pull requests by number."""

    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)

    def open(self, number: int) -> None:
        self.pulls[number] = {"number": number, "state": "open", "merged": False}

    def merge(self, number: int) -> None:
        self.pulls[number] = {"number": number, "state": "closed", "merged": True}

    def close(self, number: int) -> None:
        self.pulls[number] = {"number": number, "state": "closed", "merged": False}


def pull_routes(gh: FakeGitHub, pulls: Pulls) -> list[Route]:
    async def one(request: Request) -> Response:
        gh.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        found = pulls.pulls.get(int(request.path_params["n"]))
        return JSONResponse(found or {"message": "Not Found"}, status_code=200 if found else 404)

    return [Route("/repos/{owner}/{name}/pulls/{n:int}", one, methods=["GET"])]
