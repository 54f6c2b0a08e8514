"""Records kept as git refs through GitHub's REST API (https://docs.github.com/en/rest/git), the store of
both kinds of lock: no server of ours, and the one atomic primitive a lock needs.

A record is a commit whose message is a JSON line; the ref ``refs/reconciler/<kind>/<digest>`` points at it.

- *Take*: ``POST git/refs`` creates the ref only if it does not exist (GitHub answers 422 otherwise), so of
  two runs creating one ref exactly one wins.
- *Replace* (renew, take over an expired record): a new commit whose parent is the record seen, then
  ``PATCH git/refs`` with ``force: false``: GitHub moves the ref only on a fast-forward, so a record that
  changed since it was read (someone else renewed or took it) is never overwritten: compare-and-swap.
- *Read*: ``GET git/ref`` then ``GET git/commits``.

The commit's tree holds one file (the same JSON), because a commit needs a tree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import NotFoundError, RequestFailedError, ServerError
from reconciler.http import ApiClient


def ref_name(kind: str, key: str) -> str:
    """The ref of ``key``: a digest, so any account name makes a valid ref name."""
    return f"refs/reconciler/{kind}/{hashlib.sha256(key.encode()).hexdigest()[:24]}"


@dataclass(frozen=True)
class Record:
    """A record as read: the commit the ref points at and its JSON."""

    ref: str
    sha: str
    data: Mapping[str, Any]


class RefStore:
    """Records of one repository, through ``client`` (retries, redaction, bounded bodies)."""

    def __init__(self, client: ApiClient, repository: str) -> None:
        self.client = client
        self.repo = f"/repos/{repository}"

    async def _commit(self, data: Mapping[str, Any], parents: list[str]) -> str:
        text = json.dumps(dict(data), sort_keys=True)
        tree = await self.client.request(
            "POST",
            f"{self.repo}/git/trees",
            json={"tree": [{"path": "lock.json", "mode": "100644", "type": "blob", "content": text}]},
        )
        commit = await self.client.request(
            "POST",
            f"{self.repo}/git/commits",
            json={"message": text, "tree": _field(tree.json(), "sha"), "parents": parents},
        )
        return str(_field(commit.json(), "sha"))

    async def create(self, ref: str, data: Mapping[str, Any]) -> bool:
        """Create ``ref`` holding ``data``; False when it already exists (someone else holds it)."""
        sha = await self._commit(data, [])
        try:
            await self.client.request("POST", f"{self.repo}/git/refs", json={"ref": ref, "sha": sha})
        except RequestFailedError as err:
            if err.status == 422:
                return False
            raise
        return True

    async def replace(self, seen: Record, data: Mapping[str, Any]) -> bool:
        """Point ``seen.ref`` at ``data`` if it still points at ``seen.sha``; False when it moved or is gone."""
        sha = await self._commit(data, [seen.sha])
        try:
            await self.client.request(
                "PATCH", f"{self.repo}/git/{seen.ref}", json={"sha": sha, "force": False}
            )
        except (RequestFailedError, NotFoundError) as err:
            if err.status in (404, 409, 422):
                return False
            raise
        return True

    async def read(self, ref: str) -> Record | None:
        """The record at ``ref``, or None when there is none."""
        try:
            answer = await self.client.request("GET", f"{self.repo}/git/{_short(ref)}")
        except NotFoundError:
            return None
        sha = _field(_field(answer.json(), "object", dict), "sha")
        return await self._record(ref, sha)

    async def _record(self, ref: str, sha: str) -> Record:
        commit = await self.client.request("GET", f"{self.repo}/git/commits/{sha}")
        try:
            data = json.loads(_field(commit.json(), "message"))
        except ValueError:
            data = {}
        return Record(ref, sha, data if isinstance(data, dict) else {})

    async def delete(self, ref: str) -> None:
        """Remove ``ref`` (already gone is fine)."""
        try:
            await self.client.request("DELETE", f"{self.repo}/git/{ref}", expect_json=False)
        except (NotFoundError, RequestFailedError) as err:
            if err.status not in (404, 422):
                raise

    async def all(self, kind: str) -> list[Record]:
        """Every record of ``kind``."""
        answer = await self.client.request("GET", f"{self.repo}/git/matching-refs/reconciler/{kind}/")
        found = answer.json()
        refs = [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
        return [await self._record(_field(r, "ref"), _field(_field(r, "object", dict), "sha")) for r in refs]


def _short(ref: str) -> str:
    """``git/ref/...`` takes the name without ``refs/`` (GitHub's "get a reference")."""
    return "ref/" + ref.removeprefix("refs/")


def _field(item: Any, key: str, kind: type = str) -> Any:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, kind):
        raise ServerError("GET", "github", 200, f"malformed answer: {key!r} is not a {kind.__name__}")
    return value
