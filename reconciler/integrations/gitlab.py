"""GitLab's REST API (v4), as documented (https://docs.gitlab.com/api/notes/), for the merge-request note:
found by its marker among the notes the token's own user wrote (``GET /user``), updated in place, else
created. Notes are paged with ``page`` / ``per_page`` and a ``Link`` header, as GitHub's comments are.
``apply --gitlab-reviewed`` reads that note back on the merge request that made the pushed commit.

A job's ``CI_JOB_TOKEN`` cannot write notes: the token is a project access token (scope ``api``) in a
masked CI/CD variable, ``GITLAB_TOKEN``, sent as ``PRIVATE-TOKEN`` and a ``Secret`` from the moment it is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reconciler.encode import markdown as md
from reconciler.errors import EnvironmentVariableError, ReconcilerError, ServerError
from reconciler.http import ApiClient, TokenHeaderAuth
from reconciler.http.paging import pager
from reconciler.redaction import Secret

_SHA = re.compile(r"[0-9a-f]{7,64}")
NOTE_LIMIT = 1_000_000  # GitLab's note limit (characters): far above the plan's own cut
PER_PAGE = 100


@dataclass(frozen=True)
class Pipeline:
    """The standard GitLab CI variables a merge-request pipeline has."""

    api_url: str
    project: str
    merge_request: int
    token: Secret
    commit: str
    url: str = ""  # the pipeline's page (CI_PIPELINE_URL), linked from the note

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Pipeline:
        """Read ``CI_API_V4_URL``, ``CI_PROJECT_ID``, ``CI_MERGE_REQUEST_IID`` and ``GITLAB_TOKEN``; a
        missing one is an error naming it."""
        names = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "GITLAB_TOKEN")
        EnvironmentVariableError.require(
            env,
            names,
            "--gitlab-comment runs in a merge-request pipeline, with a project access token (scope api) in "
            "the masked variable GITLAB_TOKEN",
        )
        token = Secret(env["GITLAB_TOKEN"])  # registered with the redactor before anything else happens
        iid = env["CI_MERGE_REQUEST_IID"]
        if not iid.isdigit():
            raise ReconcilerError(f"CI_MERGE_REQUEST_IID {iid!r} is not a number")
        return cls(
            env["CI_API_V4_URL"],
            env["CI_PROJECT_ID"],
            int(iid),
            token,
            # The merge request's head: in a merged-results pipeline CI_COMMIT_SHA is a temporary merge commit.
            env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or env.get("CI_COMMIT_SHA", ""),
            md.link_target(env.get("CI_PIPELINE_URL", "")),
        )

    def client(self) -> ApiClient:
        return _client(self.api_url, self.token)


@dataclass(frozen=True)
class Merged:
    """A default-branch pipeline, for ``apply --gitlab-reviewed``: the project, the branch and the commit
    pushed to it."""

    api_url: str
    project: str
    token: Secret
    commit: str
    branch: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Merged:
        """Read ``CI_API_V4_URL``, ``CI_PROJECT_ID``, ``CI_COMMIT_SHA``, ``CI_COMMIT_BRANCH`` and
        ``GITLAB_TOKEN``."""
        names = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_COMMIT_SHA", "CI_COMMIT_BRANCH", "GITLAB_TOKEN")
        EnvironmentVariableError.require(
            env,
            names,
            "--gitlab-reviewed runs in the pipeline of a push to the default branch, with the project access "
            "token --gitlab-comment uses in GITLAB_TOKEN",
        )
        token = Secret(env["GITLAB_TOKEN"])  # registered with the redactor before anything else happens
        sha = env["CI_COMMIT_SHA"]
        if not _SHA.fullmatch(sha):
            raise ReconcilerError(f"CI_COMMIT_SHA {sha!r} is not a commit sha")
        return cls(env["CI_API_V4_URL"], env["CI_PROJECT_ID"], token, sha, env["CI_COMMIT_BRANCH"])

    def client(self) -> ApiClient:
        return _client(self.api_url, self.token)


@dataclass(frozen=True)
class MergeRequest:
    """The merge request that made a commit: its iid and the head commit it was merged at."""

    iid: int
    head: str


def _client(api_url: str, token: Secret) -> ApiClient:
    """A client for the API, the token in the ``PRIVATE-TOKEN`` header only."""
    return ApiClient(api_url, TokenHeaderAuth(token, header="PRIVATE-TOKEN"), parallelism=4)


def _made(item: Mapping[str, Any], merged: Merged) -> bool:
    """Whether merge request ``item`` made the pushed commit: merged into this project's pushed branch, and
    the commit is its merge or squash commit, or (a fast-forward merge, neither of those) its head."""
    if (
        item.get("state") != "merged"
        or not item.get("merged_at")
        or item.get("target_branch") != merged.branch
    ):
        return False
    target = item.get("target_project_id")
    if merged.project.isdigit() and str(target) != merged.project:  # CI_PROJECT_ID is the numeric id in CI
        return False
    made = [item.get("merge_commit_sha"), item.get("squash_commit_sha")]
    return merged.commit in made or (not any(made) and item.get("sha") == merged.commit)


async def merged_request(client: ApiClient, merged: Merged) -> MergeRequest | None:
    """The merge request whose merge made the pushed commit, or None. GitLab lists every merge request
    "related" to a commit (https://docs.gitlab.com/api/commits/#list-merge-requests-associated-with-a-commit),
    newest first, into any branch: only one merged into the pushed branch that names this commit counts, and
    two such are refused rather than one picked (a second one opened at the same head must not be taken for
    the one reviewed)."""
    path = f"/projects/{quote(merged.project, safe='')}/repository/commits/{merged.commit}/merge_requests"
    found = [i for i in await pager(client).links(path, {}, per_page=PER_PAGE) if isinstance(i, dict)]
    made = [i for i in found if _made(i, merged)]
    if len(made) > 1:
        listed = ", ".join(f"!{i.get('iid')}" for i in made)
        raise ReconcilerError(
            f"commit {merged.commit[:12]} is the merge of several merge requests into {merged.branch} ({listed}): "
            "which one was reviewed cannot be told; run `reconciler apply` by hand without --gitlab-reviewed"
        )
    if not made:
        return None
    iid, head = made[0].get("iid"), made[0].get("sha")
    if not isinstance(iid, int) or isinstance(iid, bool) or not isinstance(head, str):
        raise ServerError("GET", "gitlab", 200, "malformed answer: a merge request without its iid or sha")
    return MergeRequest(iid, head)


async def reviewed_note(merged: Merged, marker: str) -> tuple[MergeRequest | None, str | None]:
    """The merge request that made the pushed commit, and the body of our plan note on it (None for
    either when there is none)."""
    async with merged.client() as client:
        request = await merged_request(client, merged)
        if request is None:
            return None, None
        note = await GitLab(client, merged.project, request.iid).find_note(marker)
    return request, _body(note) if note is not None else None


class GitLab:
    """One merge request's notes. Only notes written by the token's user are read as ours or edited:
    anyone can write a note starting with our marker."""

    def __init__(self, client: ApiClient, project: str, merge_request: int) -> None:
        self.client = client
        self.notes = f"/projects/{quote(project, safe='')}/merge_requests/{merge_request}/notes"

    async def whoami(self) -> str:
        """The token's user name."""
        answer = (await self.client.request("GET", "/user")).json()
        name = answer.get("username") if isinstance(answer, dict) else None
        if not isinstance(name, str):
            raise ServerError("GET", "gitlab", 200, "malformed answer: the user has no username")
        return name

    async def find_note(self, marker: str) -> dict[str, Any] | None:
        """Our note: the last one whose body starts with ``marker``."""
        me = await self.whoami()
        notes = await pager(self.client).links(self.notes, {"sort": "asc"}, per_page=PER_PAGE)
        ours = [n for n in notes if isinstance(n, dict) and _by(n, me) and _body(n).startswith(marker)]
        return ours[-1] if ours else None

    async def upsert_note(self, marker: str, body: str) -> str:
        """Update our note in place, or create it; "updated" or "created"."""
        found = await self.find_note(marker)
        if found is not None:
            await self.client.request("PUT", f"{self.notes}/{_id(found)}", json={"body": body})
            return "updated"
        await self.client.request("POST", self.notes, json={"body": body})
        return "created"


def _by(note: Mapping[str, Any], user: str) -> bool:
    author = note.get("author")
    return isinstance(author, dict) and author.get("username") == user and not note.get("system")


def _body(note: Mapping[str, Any]) -> str:
    body = note.get("body")
    return body if isinstance(body, str) else ""


def _id(note: Mapping[str, Any]) -> int:
    value = note.get("id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ServerError("GET", "gitlab", 200, "malformed answer: a note's id is not a number")
    return value


async def publish_note(pipeline: Pipeline, marker: str, body: str) -> str:
    """Create or update the merge request's plan note; what was done."""
    async with pipeline.client() as client:
        return await GitLab(client, pipeline.project, pipeline.merge_request).upsert_note(marker, body)


def terraform_report(create: int, update: int, delete: int) -> dict[str, int]:
    """The merge-request widget's report (``artifacts: reports: terraform``): the counts, nothing else."""
    return {"create": create, "update": update, "delete": delete}
