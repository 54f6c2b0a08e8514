"""GitHub's git database endpoints for the fake (https://docs.github.com/en/rest/git): blobs, trees (an
entry by ``content`` or by blob ``sha``, on a ``base_tree``; a tree's sha is its content's, as git's is) and
commits (created, read, with their tree), refs (create answers 422 when the ref exists; update without ``force`` only on a
fast-forward, else 422; get, delete, matching-refs). The state lives beside the fake's own."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.fake_github import TOKEN, FakeGitHub


@dataclass
class GitState:
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)  # sha -> text
    trees: dict[str, dict[str, str]] = field(default_factory=dict)  # sha -> {path: blob sha}
    down: bool = False  # every git request answers 503
    forbidden: bool = False  # every git request answers 403 (a token without contents: write)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def sha(self, data: Any) -> str:
        return hashlib.sha1(f"{next(self.counter)}{json.dumps(data)}".encode()).hexdigest()

    def blob(self, text: str) -> str:
        sha = hashlib.sha1(f"blob {text}".encode()).hexdigest()
        self.blobs[sha] = text
        return sha

    def tree(self, entries: dict[str, str]) -> str:
        sha = hashlib.sha1(json.dumps(entries, sort_keys=True).encode()).hexdigest()
        self.trees[sha] = dict(entries)
        return sha

    def seed(self, files: dict[str, str], branch: str = "main") -> str:
        """A commit holding ``files`` at the tip of ``branch`` (the repository's main line): its sha."""
        tree = self.tree({path: self.blob(text) for path, text in files.items()})
        sha = self.sha(files)
        self.commits[sha] = {"sha": sha, "message": "seed", "parents": [], "tree": {"sha": tree}}
        self.refs[f"refs/heads/{branch}"] = sha
        return sha

    def file_at(self, ref: str, path: str) -> str | None:
        """The text of ``path`` in the commit ``ref`` (a ref name) points at; None when it has none."""
        commit = self.commits.get(self.refs.get(ref, ""), {})
        blob = self.trees.get(commit.get("tree", {}).get("sha", ""), {}).get(path)
        return None if blob is None else self.blobs[blob]

    def ancestors(self, sha: str) -> set[str]:
        seen, todo = set(), [sha]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += self.commits.get(current, {}).get("parents", [])
        return seen


def git_routes(gh: FakeGitHub, git: GitState) -> list[Route]:
    def denied(request: Request) -> Response | None:
        gh.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if git.down:
            return JSONResponse({"message": "Service Unavailable"}, status_code=503)
        if git.forbidden:
            return JSONResponse({"message": "Resource not accessible by integration"}, status_code=403)
        return None

    def ref_json(name: str) -> dict[str, Any]:
        return {"ref": name, "object": {"sha": git.refs[name], "type": "commit"}}

    async def blobs(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        return JSONResponse({"sha": git.blob((await request.json())["content"])}, status_code=201)

    async def trees(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        data = await request.json()
        base = data.get("base_tree")
        if base is not None and base not in git.trees:
            return JSONResponse({"message": "Invalid tree info"}, status_code=422)
        entries = dict(git.trees.get(base, {}) if base else {})
        for entry in data["tree"]:
            if "content" in entry:
                entries[entry["path"]] = git.blob(entry["content"])
            elif entry.get("sha") in git.blobs:
                entries[entry["path"]] = entry["sha"]
            else:
                return JSONResponse({"message": "Invalid tree info"}, status_code=422)
        return JSONResponse({"sha": git.tree(entries)}, status_code=201)

    async def commits(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        data = await request.json()
        sha = git.sha(data)
        git.commits[sha] = {
            "sha": sha,
            "message": data["message"],
            "parents": list(data["parents"]),
            "tree": {"sha": data["tree"]},
        }
        return JSONResponse(git.commits[sha], status_code=201)

    async def commit(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        found = git.commits.get(request.path_params["sha"])
        return JSONResponse(found or {"message": "Not Found"}, status_code=200 if found else 404)

    async def create_ref(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        data = await request.json()
        if data["ref"] in git.refs:
            return JSONResponse({"message": "Reference already exists"}, status_code=422)
        git.refs[data["ref"]] = data["sha"]
        return JSONResponse(ref_json(data["ref"]), status_code=201)

    async def one_ref(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        name = "refs/" + request.path_params["ref"]
        if name not in git.refs:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if request.method == "DELETE":
            del git.refs[name]
            return Response(status_code=204)
        if request.method == "PATCH":
            data = await request.json()
            if not data.get("force") and git.refs[name] not in git.ancestors(data["sha"]):
                return JSONResponse({"message": "Update is not a fast forward"}, status_code=422)
            git.refs[name] = data["sha"]
        return JSONResponse(ref_json(name))

    async def matching(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        prefix = "refs/" + request.path_params["prefix"]
        return JSONResponse([ref_json(n) for n in sorted(git.refs) if n.startswith(prefix)])

    repo = "/repos/{owner}/{name}/git"
    return [
        Route(repo + "/blobs", blobs, methods=["POST"]),
        Route(repo + "/trees", trees, methods=["POST"]),
        Route(repo + "/commits", commits, methods=["POST"]),
        Route(repo + "/commits/{sha}", commit, methods=["GET"]),
        Route(repo + "/refs", create_ref, methods=["POST"]),
        Route(repo + "/ref/{ref:path}", one_ref, methods=["GET"]),
        Route(repo + "/refs/{ref:path}", one_ref, methods=["PATCH", "DELETE"]),
        Route(repo + "/matching-refs/{prefix:path}", matching, methods=["GET"]),
    ]
