"""A branch of one file's change and its pull request, through GitHub's documented REST API: the git
database (https://docs.github.com/en/rest/git: blobs, trees, commits, refs) and pulls
(https://docs.github.com/en/rest/pulls/pulls). The drift job's ``drift: accept`` pull requests use it.

The branch is always one commit on the base: a blob of the file's new text, a tree on the base commit's
tree, a commit whose parent is the base, and the branch ref moved there with ``force`` (the branch is ours,
rewritten while the drift lasts, so its diff is always "the base, plus this file"). A pull request is found
by its head branch (``head=owner:branch``), and only one our token opened counts as ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import NotFoundError, RequestFailedError, ServerError
from reconciler.http import ApiClient
from reconciler.http.paging import pager
from reconciler.integrations.github import PER_PAGE, id_of


@dataclass(frozen=True)
class Tip:
    """Where a branch points: its commit, that commit's tree, first parent and message."""

    sha: str
    tree: str
    parent: str
    message: str = ""


class Pulls:
    """Branches and pull requests of one repository, as ``bot`` (the token's account)."""

    def __init__(self, client: ApiClient, repository: str, bot: str) -> None:
        self.client = client
        self.repository = repository
        self.repo = f"/repos/{repository}"
        self.bot = bot

    async def default_branch(self) -> str:
        """The repository's default branch (what a pull request is opened against)."""
        answer = (await self.client.request("GET", self.repo)).json()
        branch = answer.get("default_branch") if isinstance(answer, dict) else None
        return branch if isinstance(branch, str) and branch else "main"

    async def _json(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        answer = await self.client.request(method, f"{self.repo}/{path}", json=body)
        data = answer.json()
        return data if isinstance(data, dict) else {}

    async def tip(self, branch: str) -> Tip | None:
        """The commit ``branch`` points at, or None when there is no such branch."""
        try:
            ref = await self._json("GET", f"git/ref/heads/{branch}")
        except NotFoundError:
            return None
        sha = _text(ref.get("object"), "sha")
        commit = await self._json("GET", f"git/commits/{sha}")
        parents = commit.get("parents")
        # GitHub documents objects ({"sha": ...}); a bare sha is read too; any other shape is no parent.
        first = parents[0] if isinstance(parents, list) and parents else None
        parent = first if isinstance(first, str) else _text(first, "sha") if isinstance(first, dict) else ""
        message = commit.get("message")
        return Tip(sha, _text(commit.get("tree"), "sha"), parent, message if isinstance(message, str) else "")

    async def tree_with(self, base: str, path: str, text: str) -> str:
        """The tree of commit ``base`` with ``path`` holding ``text``: its sha (nothing is committed yet)."""
        commit = await self._json("GET", f"git/commits/{base}")
        blob = await self._json("POST", "git/blobs", {"content": text, "encoding": "utf-8"})
        entry = {"path": path, "mode": "100644", "type": "blob", "sha": _text(blob, "sha")}
        tree = await self._json(
            "POST", "git/trees", {"base_tree": _text(commit.get("tree"), "sha"), "tree": [entry]}
        )
        return _text(tree, "sha")

    async def point(self, branch: str, base: str, tree: str, message: str) -> None:
        """Commit ``tree`` on ``base`` and move ``branch`` there (created, or force-updated: ours alone)."""
        commit = await self._json(
            "POST", "git/commits", {"message": message, "tree": tree, "parents": [base]}
        )
        sha = _text(commit, "sha")
        try:
            await self._json("POST", "git/refs", {"ref": f"refs/heads/{branch}", "sha": sha})
        except RequestFailedError as err:
            if err.status != 422:  # 422: the branch exists; it is ours to rewrite
                raise
            await self._json("PATCH", f"git/refs/heads/{branch}", {"sha": sha, "force": True})

    async def delete_branch(self, branch: str) -> None:
        """Remove ``branch`` (already gone is fine)."""
        try:
            await self.client.request("DELETE", f"{self.repo}/git/refs/heads/{branch}", expect_json=False)
        except (NotFoundError, RequestFailedError) as err:
            if err.status not in (404, 422):
                raise

    async def from_branch(self, branch: str) -> list[dict[str, Any]]:
        """The open pull requests from ``branch``, anyone's."""
        owner = self.repository.partition("/")[0]
        params: dict[str, str | int] = {"state": "open", "head": f"{owner}:{branch}"}
        found = await pager(self.client).links(f"{self.repo}/pulls", params, per_page=PER_PAGE)
        return [p for p in found if isinstance(p, dict)]

    def ours(self, pull: Mapping[str, Any]) -> bool:
        """Whether our token opened ``pull``: only those are ours to update, close, or delete the branch of
        (anyone can open a pull request from a branch of that name)."""
        return _login(pull) == self.bot

    async def open(self, branch: str, base: str, title: str, body: str) -> int:
        """Open a pull request from ``branch`` into ``base``; its number."""
        data = {"title": title, "head": branch, "base": base, "body": body}
        return id_of(await self._json("POST", "pulls", data), "number")

    async def update(self, number: int, **fields: str) -> None:
        """Change a pull request's title, body or state."""
        await self._json("PATCH", f"pulls/{number}", fields)

    async def is_open(self, number: int) -> bool:
        """Whether pull request ``number`` is open (one that is gone is not)."""
        try:
            return (await self._json("GET", f"pulls/{number}")).get("state") == "open"
        except NotFoundError:
            return False


def _login(item: Mapping[str, Any]) -> str | None:
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def _text(item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, str):
        raise ServerError("GET", "github", 200, f"malformed answer: {key!r} is not a string")
    return value
