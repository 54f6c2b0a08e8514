"""What Taplytics tests share (like tests/support/e2e.py): a config file of
users, a provider wired to a sandbox, a sandbox holding chosen users, the request log."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from reconciler.http import ApiClient, TokenHeaderAuth
from reconciler.loading import load_configs
from reconciler.providers.taplytics.provider import TaplyticsProvider
from reconciler.sandbox.seed import initial_state
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.store import Store
from tests.support.e2e import sandbox_server

TAPLYTICS_CANARY = "canary-taplytics-token-3e8b1f0c5d"  # grepped for in every output
TAP_HEADER = "version: 1\nprovider: taplytics\nproject:\n  name: my-app\n"


def users_yaml(users: Iterable[dict[str, Any]]) -> str:
    """A ``users:`` block; custom_data values are written as JSON (a YAML subset), so types survive."""
    users = list(users)
    if not users:
        return "users: []\n"
    lines = ["users:"]
    for user in users:
        lines.append(f"  - user_id: {json.dumps(user['user_id'])}")
        for key in ("email", "name"):
            if key in user:
                lines.append(f"    {key}: {json.dumps(user[key])}")
        if "custom_data" in user:
            lines.append(f"    custom_data: {json.dumps(user['custom_data'])}")
    return "\n".join(lines) + "\n"


def write_taplytics(tmp_path: Path, users: Iterable[dict[str, Any]], name: str = "tap.yaml") -> Path:
    path = tmp_path / name
    path.write_text(TAP_HEADER + users_yaml(users))
    return path


@asynccontextmanager
async def provider_for(server: SandboxServer, config: Path) -> AsyncIterator[TaplyticsProvider]:
    [loaded] = load_configs([config])
    async with ApiClient(server.url, TokenHeaderAuth(server.taplytics_token)) as client:
        yield TaplyticsProvider(client, loaded)


def api_requests(server: SandboxServer) -> list[dict[str, Any]]:
    """The Taplytics requests of the sandbox's log (``/v2/...``)."""
    return [r for r in server.requests() if r["path"].startswith("/v2/")]


def user_ids(n: int) -> list[str]:
    """The ids of a ``generated:...,users=N`` seed, in creation order."""
    return [f"user-{i:06d}" for i in range(n)]


def taplytics_env(server: SandboxServer) -> dict[str, str]:
    """The environment that points the CLI's Taplytics client at ``server`` with its token."""
    return {"TAPLYTICS_API_URL": server.url, "TAPLYTICS_API_TOKEN": server.taplytics_token}


@contextmanager
def taplytics_sandbox(
    tmp_path: Path,
    users: Iterable[dict[str, Any]] | None = None,
    dialects: str = "",
    page_cap: int = 100,
) -> Iterator[SandboxServer]:
    """A demo sandbox over HTTP whose Taplytics token is the canary, its users replaced by ``users`` (records
    as the store keeps them, in creation order; ``custom_data`` may hold anything, as a server could)."""
    state = initial_state("demo")
    if users is not None:
        records = [{**user, "n": n} for n, user in enumerate(users, start=1)]
        state["taplytics_users"] = {r["user_id"]: r for r in records}
        state["next_ids"]["taplytics_user"] = len(records) + 1
    path = tmp_path / "taplytics-state.json"
    path.write_bytes(Store(state).serialize())
    with sandbox_server(
        seed="demo",
        state_path=path,
        taplytics_token=TAPLYTICS_CANARY,
        dialects=dialects,
        page_cap=page_cap,
    ) as server:
        yield server
