"""Account files cut into shards for a CI matrix (``reconciler accounts``). Pure and vendor-free.

Two rules decide what must stay together, and a union-find joins them: an account is never split (one
account, one file, but a renamed or re-created file can name it twice), and accounts that share a credential
variable share one shard, because a vendor counts its rate limit per credential: two jobs on one credential
would only throttle each other. The groups are then packed, largest first, into the emptiest shard, so a
re-run on the same files gives the same shards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: GitHub Actions runs at most 256 jobs of one matrix: the shards, not the accounts, are its jobs.
MATRIX_LIMIT = 256


@dataclass(frozen=True)
class AccountFile:
    """One account file as the shard list names it; ``deleted`` marks a file gone since the base commit
    (listed, so a reviewer sees it is no longer managed; never planned: there is nothing to read)."""

    file: str
    provider: str
    account: str
    credentials: tuple[str, ...] = ()
    deleted: bool = False
    renamed_from: str | None = None

    def ties(self) -> list[str]:
        """What ties this file to others: its account, and each credential variable it uses."""
        return [f"account {self.provider}:{self.account}", *(f"credential {c}" for c in self.credentials)]


@dataclass(frozen=True)
class Shard:
    """One job of the matrix."""

    index: int
    accounts: tuple[AccountFile, ...] = field(default_factory=tuple)

    @property
    def files(self) -> list[str]:
        """The files to plan (deleted ones excluded)."""
        return [a.file for a in self.accounts if not a.deleted]

    @property
    def deleted(self) -> list[str]:
        """The files removed since the base commit."""
        return [a.file for a in self.accounts if a.deleted]

    def to_matrix(self) -> dict[str, Any]:
        """One entry of a GitHub Actions matrix ``include`` (``paths``: the files, space-separated, for the
        action's ``paths`` input; ``files``: the same as a list)."""
        return {
            "shard": self.index,
            "paths": " ".join(self.files),
            "files": self.files,
            "deleted": self.deleted,
            "providers": sorted({a.provider for a in self.accounts}),
            "accounts": [f"{a.provider}:{a.account}" for a in self.accounts],
            "credentials": sorted({c for a in self.accounts for c in a.credentials}),
            "renamed": {a.file: a.renamed_from for a in self.accounts if a.renamed_from},
        }


def _groups(accounts: Sequence[AccountFile]) -> list[list[AccountFile]]:
    """The accounts joined by any shared key, each group in input order, groups by first member."""
    parent = list(range(len(accounts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, account in enumerate(accounts):
        for key in account.ties():
            if key in owner:
                parent[root(i)] = root(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[AccountFile]] = {}
    for i, account in enumerate(accounts):
        groups.setdefault(root(i), []).append(account)
    return list(groups.values())


def shard(accounts: Iterable[AccountFile], count: int) -> list[Shard]:
    """At most ``count`` shards (never empty ones) holding every account, sorted by file."""
    if count < 1 or count > MATRIX_LIMIT:
        raise ValueError(f"shards must be between 1 and {MATRIX_LIMIT} (GitHub's jobs per matrix)")
    ordered = sorted(accounts, key=lambda a: (a.file, a.deleted))
    groups = sorted(_groups(ordered), key=lambda g: (-len(g), g[0].file))
    bins: list[list[AccountFile]] = [[] for _ in range(min(count, len(groups)))]
    for group in groups:
        min(bins, key=len).extend(group)  # min() keeps the first of equals: deterministic
    return [Shard(i + 1, tuple(sorted(b, key=lambda a: a.file))) for i, b in enumerate(bins)]


def matrix(shards: Sequence[Shard]) -> list[dict[str, Any]]:
    """The shard list as a matrix ``include``: ``fromJSON`` takes it as is."""
    return [s.to_matrix() for s in shards]
