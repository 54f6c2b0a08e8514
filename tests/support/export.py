"""Helpers of the export tests: sandboxes with a hand-made state, loading and checking exported files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.loading import load_configs
from reconciler.sandbox.seed import initial_state
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.store import Store
from tests.support import schemas
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, sandbox_server

ROOT = Path(__file__).resolve().parents[2]
Point = Callable[[SandboxServer], None]  # the `point` fixture: aim later CLI runs at a server
Aim = Callable[[SandboxServer], None]  # the `aim` fixture: later CLI runs talk Taplytics to a server
SCHEMA = (ROOT / "schema" / "reconciler.schema.json").read_text()


@contextmanager
def sandbox_with(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None] | None = None, seed: str = "demo"
) -> Iterator[SandboxServer]:
    """A sandbox whose state is ``seed`` changed by ``edit`` (records as the store keeps them: ``tz``,
    ``start``, ``stop`` for schedules), over real HTTP with the canary credentials."""
    state = initial_state(seed)
    if edit is not None:
        edit(state)
    path = tmp_path / "sandbox-state.json"
    path.write_bytes(Store(state).serialize())
    with sandbox_server(
        seed=seed, state_path=path, client_id=CLIENT_ID, client_secret=CANARY_SECRET
    ) as server:
        yield server


def check_valid(path: Path, schema: bool = True) -> Any:
    """The file passes validate (offline, no environment) and the committed JSON Schema. (``schema=False``
    for hand-written files: an unquoted date-time is fine for reconciler, but a JSON Schema sees a date.)
    Typed Any: the tests read the vendor's model by attribute, and ``LoadedConfig.config`` is its base."""
    [loaded] = load_configs([path])
    if schema:
        schemas.validate(YAML(typ="safe").load(path.read_text()), SCHEMA)
    return loaded


def requests_made(server: SandboxServer) -> list[tuple[str, str]]:
    """(method, path) of every request the sandbox received, token requests included."""
    return [(r["method"], r["path"]) for r in server.requests()]
