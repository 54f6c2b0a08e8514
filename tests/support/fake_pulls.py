"""GitHub's pulls endpoints for the fake (https://docs.github.com/en/rest/pulls/pulls), on the fake's git
state: list (``state``, ``head=owner:branch``, paged), create (201; 422 when the head branch does not exist
or an open pull request already has that head, GitHub's "A pull request already exists for ..."), get,
update (title, body, ``state: closed``), each with ``state`` and ``merged``; 404 for a number it does not know.
Pull requests share the issues' numbers, as on GitHub; and ``GET /repos/{owner}/{repo}`` answers the
repository's ``default_branch``. A test opens, merges or closes another author's pull request by number
(``open``, ``merge``, ``close``: the locks' holders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_git import GitState, git_routes
from tests.support.fake_github import BOT, LIMIT, TOKEN, FakeGitHub, _page


@dataclass
class PullState:
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    default_branch: str = "main"

    def opened(self, head: str) -> list[dict[str, Any]]:
        return [p for p in self.pulls.values() if p["state"] == "open" and p["head"]["ref"] == head]

    def add(self, gh: FakeGitHub, head: str, user: str = "someone", state: str = "open") -> int:
        """A pull request someone else opened (for the locks of other pull requests)."""
        number = max([*gh.issues, *self.pulls, 0]) + 1
        gh.pull_numbers.add(number)
        self.pulls[number] = {"number": number, "state": state, "merged": False, "title": "", "body": "",
                              "head": {"ref": head}, "base": {"ref": self.default_branch},
                              "user": {"login": user}}  # fmt: skip
        return number

    def open(self, number: int, head: str = "") -> None:
        """Pull request ``number`` open (created if new, its head branch ``pr-N`` unless given)."""
        found = self.pulls.setdefault(number, {"number": number, "title": "", "body": "",
                                               "head": {"ref": head or f"pr-{number}"},
                                               "base": {"ref": self.default_branch},
                                               "user": {"login": "someone"}})  # fmt: skip
        found.update(state="open", merged=False)

    def merge(self, number: int) -> None:
        self.open(number)
        self.pulls[number].update(state="closed", merged=True)

    def close(self, number: int) -> None:
        self.open(number)
        self.pulls[number].update(state="closed", merged=False)


def _invalid(message: str) -> Response:
    return JSONResponse({"message": "Validation Failed", "errors": [{"message": message}]}, status_code=422)


def pull_routes(gh: FakeGitHub, git: GitState, state: PullState) -> list[Route]:
    def denied(request: Request) -> Response | None:
        gh.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return None

    async def pulls(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        if request.method == "POST":
            data = await request.json()
            return _invalid("body is too long") if len(str(data.get("body", ""))) > LIMIT else create(data)
        wanted = request.query_params.get("state", "open")
        head = request.query_params.get("head")
        listed = [
            p
            for p in state.pulls.values()
            if (wanted == "all" or p["state"] == wanted)
            and (head is None or head == f"{gh.repo.split('/')[0]}:{p['head']['ref']}")
        ]
        return _page(request, listed, gh.url)

    def create(data: dict[str, Any]) -> Response:
        head = data["head"]
        if f"refs/heads/{head}" not in git.refs:
            return _invalid(f"head: {head} is not a branch")
        if state.opened(head):
            return _invalid(f"A pull request already exists for {gh.repo.split('/')[0]}:{head}.")
        number = state.add(gh, head, BOT)
        state.pulls[number].update(title=data["title"], body=data.get("body", ""))
        state.pulls[number]["base"] = {"ref": data["base"]}
        return JSONResponse(state.pulls[number], status_code=201)

    async def pull(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        found = state.pulls.get(int(request.path_params["n"]))
        if found is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if request.method == "PATCH":
            data = await request.json()
            if len(str(data.get("body", ""))) > LIMIT:
                return _invalid("body is too long")
            found.update({k: data[k] for k in ("title", "body", "state") if k in data})
        return JSONResponse(found)

    async def repository(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        return JSONResponse({"full_name": gh.repo, "default_branch": state.default_branch})

    repo = "/repos/{owner}/{name}"
    return [
        Route(repo, repository, methods=["GET"]),
        Route(repo + "/pulls", pulls, methods=["GET", "POST"]),
        Route(repo + "/pulls/{n:int}", pull, methods=["GET", "PATCH"]),
    ]


def repository_routes(gh: FakeGitHub, git: GitState, state: PullState) -> list[Route]:
    """The git database and the pulls, on one state: what the drift job's pull requests use."""
    return [*git_routes(gh, git), *pull_routes(gh, git, state)]
