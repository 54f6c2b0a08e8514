"""GitHub's REST API, as documented (https://docs.github.com/en/rest), for the GitOps workflow:

- the plan comment of a pull request, found by its marker and updated in place (``issues/{n}/comments``,
  paged by the ``Link`` header), never touching other comments;
- the reviewed plan: the merge job finds the pull request of the pushed commit (``commits/{sha}/pulls``) and
  reads the digest its plan comment carries;
- the drift issue: one open issue found by its marker, created, updated while drift lasts, closed after.

Everything runs on ``reconciler.http.ApiClient`` (retries, redaction, bounded pages and bodies). The token is
a ``Secret`` from the moment it is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import EnvironmentVariableError, ReconcilerError, ServerError
from reconciler.http import ApiClient, TokenHeaderAuth
from reconciler.http.paging import pager
from reconciler.redaction import Secret

PER_PAGE = 100  # GitHub's maximum for these lists
COMMENT_LIMIT = 65_536  # GitHub refuses a longer comment or issue body
DRIFT_MARKER = "<!-- reconciler:drift -->"
#: The drift issue's label, so a team can filter or route it; RECONCILER_DRIFT_LABEL names another.
DRIFT_LABEL = "drift"
DRIFT_LABEL_VARIABLE = "RECONCILER_DRIFT_LABEL"
_DIGEST = re.compile(r"<!-- reconciler:digest=([0-9a-f]{8,64}) commit=([0-9a-f]*) -->")
#: Whose comments and issues are ours: the token's own account (the Actions token comments as this bot; a
#: GitHub App or a personal token is another login: set RECONCILER_GITHUB_BOT to it).
DEFAULT_BOT = "github-actions[bot]"
_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


@dataclass(frozen=True)
class Actions:
    """The standard GitHub Actions environment a run reads (nothing from the config files)."""

    api_url: str
    repository: str
    token: Secret
    event: Mapping[str, Any]
    sha: str
    bot: str = DEFAULT_BOT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Actions:
        """Read ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``, ``GITHUB_EVENT_PATH``,
        ``GITHUB_SHA``; a missing one is an error naming it."""
        names = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_TOKEN", "GITHUB_EVENT_PATH")
        EnvironmentVariableError.require(
            env,
            names,
            "the GitHub options run inside GitHub Actions (pass the token as env GITHUB_TOKEN: "
            "${{ github.token }})",
        )
        token = Secret(env["GITHUB_TOKEN"])  # registered with the redactor before anything else happens
        return cls(
            env["GITHUB_API_URL"],
            env["GITHUB_REPOSITORY"],
            token,
            _event(env["GITHUB_EVENT_PATH"]),
            env.get("GITHUB_SHA", ""),
            env.get("RECONCILER_GITHUB_BOT") or DEFAULT_BOT,
        )

    @property
    def pull_request(self) -> int | None:
        """The pull request's number, from the event payload (``pull_request`` / ``pull_request_target``)."""
        pr = self.event.get("pull_request")
        number = pr.get("number") if isinstance(pr, dict) else None
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    @property
    def head_sha(self) -> str:
        """The commit a pull request's plan was made for (its head), else the pushed commit."""
        pr = self.event.get("pull_request")
        head = pr.get("head") if isinstance(pr, dict) else None
        sha = head.get("sha") if isinstance(head, dict) else None
        return sha if isinstance(sha, str) else self.sha

    def github(self, client: ApiClient) -> GitHub:
        """The repository of this run, through ``client``."""
        return GitHub(client, self.repository, self.bot)

    def client(self) -> ApiClient:
        """A client for the API, the token in the ``Authorization`` header only."""
        auth = TokenHeaderAuth(self.token, header="Authorization", prefix="Bearer ")
        return ApiClient(self.api_url, auth, parallelism=4, headers=_HEADERS)


def _event(path: str) -> Mapping[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ReconcilerError(
            f"GITHUB_EVENT_PATH {path}: cannot read the event payload ({err.__class__.__name__})"
        ) from None
    return data if isinstance(data, dict) else {}


def digest_tag(digest: str, commit: str) -> str:
    """The hidden line a plan comment carries: what was reviewed, for which commit."""
    return f"<!-- reconciler:digest={digest} commit={commit} -->"


def read_digest(body: str) -> str | None:
    """The digest a plan comment carries: its last line, written by reconciler after everything else, so a
    look-alike tag in a test's name or a server's message (higher up in the body) is never read."""
    lines = body.rstrip().splitlines()
    match = _DIGEST.fullmatch(lines[-1].strip()) if lines else None
    return match.group(1) if match else None


class GitHub:
    """One repository's comments and issues. Only those written by ``bot`` (the token's account) are ever
    read as ours or edited: anyone can comment with our marker."""

    def __init__(self, client: ApiClient, repository: str, bot: str = DEFAULT_BOT) -> None:
        self.client = client
        self.repo = f"/repos/{repository}"
        self.bot = bot

    def _ours(self, item: Mapping[str, Any], marker: str) -> bool:
        user = item.get("user")
        login = user.get("login") if isinstance(user, dict) else None
        return login == self.bot and str(item.get("body", "")).startswith(marker)

    async def _all(self, path: str, params: Mapping[str, str | int] | None = None) -> list[dict[str, Any]]:
        items = await pager(self.client).links(path, dict(params or {}), per_page=PER_PAGE)
        return [i for i in items if isinstance(i, dict)]

    async def find_comment(self, issue: int, marker: str) -> dict[str, Any] | None:
        """Our comment on ``issue``: the last one whose body starts with ``marker``."""
        comments = await self._all(f"{self.repo}/issues/{issue}/comments")
        ours = [c for c in comments if self._ours(c, marker)]
        return ours[-1] if ours else None

    async def upsert_comment(self, issue: int, marker: str, body: str) -> str:
        """Update our comment in place, or create it; returns "updated" or "created"."""
        found = await self.find_comment(issue, marker)
        if found is not None:
            await self.client.request(
                "PATCH", f"{self.repo}/issues/comments/{id_of(found)}", json={"body": body}
            )
            return "updated"
        await self.client.request("POST", f"{self.repo}/issues/{issue}/comments", json={"body": body})
        return "created"

    async def merged_pull(self, sha: str) -> int | None:
        """The pull request whose merge made commit ``sha`` (merged, with ``sha`` as its merge commit); the
        open pull requests that merely contain the commit do not count."""
        pulls = await self._all(f"{self.repo}/commits/{sha}/pulls")
        merged = [p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == sha]
        return id_of(merged[0], "number") if merged else None

    async def find_issue(self, marker: str) -> dict[str, Any] | None:
        """The open issue (not a pull request) whose body starts with ``marker``."""
        issues = await self._all(f"{self.repo}/issues", {"state": "open", "creator": self.bot})
        ours = [i for i in issues if "pull_request" not in i and self._ours(i, marker)]
        return ours[0] if ours else None

    async def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> int:
        """Open an issue (GitHub creates a label it does not know yet); its number."""
        data: dict[str, Any] = {"title": title, "body": body}
        if labels:
            data["labels"] = list(labels)
        answer = await self.client.request("POST", f"{self.repo}/issues", json=data)
        return id_of(answer.json(), "number")

    async def update_issue(self, number: int, **fields: str) -> None:
        """Change an issue's title, body or state."""
        await self.client.request("PATCH", f"{self.repo}/issues/{number}", json=fields)

    async def comment(self, issue: int, body: str) -> None:
        """Add a comment."""
        await self.client.request("POST", f"{self.repo}/issues/{issue}/comments", json={"body": body})


def id_of(item: Any, key: str = "id") -> int:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ServerError("GET", "github", 200, f"malformed answer: {key!r} is not a number")
    return value
