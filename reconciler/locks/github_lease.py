"""The lease as a git ref of the repository (``RECONCILER_LEASE=github``): see reconciler/locks/refs.py for
why a ref is atomic enough (create only if absent, replace only by compare-and-swap)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import EnvironmentVariableError
from reconciler.http import ApiClient, RetryPolicy, TokenHeaderAuth
from reconciler.locks.record import expired
from reconciler.locks.refs import Record, RefStore, ref_name
from reconciler.redaction import Secret

KIND = "leases"
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def github_client(env: Mapping[str, str]) -> tuple[ApiClient, str]:
    """A client of the repository's API from the Actions variables, and the repository."""
    names = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_TOKEN")
    EnvironmentVariableError.require(
        env,
        names,
        "GitHub locks and leases need the repository's API and a token that may write its refs "
        "(contents: write)",
    )
    token = Secret(env["GITHUB_TOKEN"])  # registered with the redactor before any request
    auth = TokenHeaderAuth(token, header="Authorization", prefix="Bearer ")
    # A lock store that is down is refused after a short retry, not the data APIs' ten attempts (about 40 s):
    # nothing has been written yet when the lease is taken, so refusing is safe and the job can be re-run.
    retry = RetryPolicy(max_attempts=3, max_retry_time=15.0)
    client = ApiClient(env["GITHUB_API_URL"], auth, parallelism=4, headers=HEADERS, retry=retry)
    return client, env["GITHUB_REPOSITORY"]


class GitHubLeaseStore:
    """Leases as refs ``refs/reconciler/leases/<digest>``."""

    def __init__(self, client: ApiClient, repository: str) -> None:
        self.refs = RefStore(client, repository)
        self.client = client
        self.where = f"GitHub {repository}"
        self._seen: Record | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubLeaseStore:
        return cls(*github_client(env))

    async def take(self, key: str, record: Mapping[str, Any], skew: float) -> Mapping[str, Any] | None:
        ref = ref_name(KIND, key)
        for _ in range(3):
            if await self.refs.create(ref, record):
                self._seen = await self.refs.read(ref)
                return None
            seen = await self.refs.read(ref)
            if seen is None:
                continue
            if not expired(seen.data, skew):
                return seen.data
            if await self.refs.replace(seen, record):  # compare-and-swap on the expired record
                self._seen = await self.refs.read(ref)
                return None
        seen = await self.refs.read(ref)
        return seen.data if seen else {"who": "another run", "where": "?", "since": "?"}

    async def renew(self, key: str, record: Mapping[str, Any]) -> bool:
        seen = self._seen or await self.refs.read(ref_name(KIND, key))
        if seen is None or seen.data.get("token") != record.get("token"):
            return False
        if not await self.refs.replace(seen, record):
            return False
        self._seen = await self.refs.read(seen.ref)
        return True

    async def release(self, key: str, record: Mapping[str, Any]) -> None:
        seen = await self.refs.read(ref_name(KIND, key))
        if seen is not None and seen.data.get("token") == record.get("token"):
            await self.refs.delete(seen.ref)

    async def close(self) -> None:
        await self.client.aclose()
