"""The ASGI application: one Starlette router holding each vendor's routes (under the URL prefixes it owns)
and the ``/_sandbox/`` control routes, behind the vendors' gates and the fault and request-log layer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from reconciler.sandbox import control
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.faults import FaultInjector, Faults
from reconciler.sandbox.gates import VendorGates
from reconciler.sandbox.middleware import SandboxMiddleware, quiet_deliberate_drops
from reconciler.sandbox.pages import PageCache
from reconciler.sandbox.persist import GroupCommitter
from reconciler.sandbox.seed import initial_state
from reconciler.sandbox.store import Store, load_state
from reconciler.sandbox.vendor import Credentials
from reconciler.sandbox.web import ApiProblem, handle_http_exception, handle_problem, handle_unexpected


def open_store(seed: str, state_path: Path | None) -> tuple[Store, GroupCommitter | None]:
    """Load ``state_path`` when it exists (the seed is then ignored), else build the seed and, with a path,
    write it there. A corrupt file raises ``SandboxStateError``; it is never silently replaced."""
    if state_path is not None and state_path.exists():
        store = load_state(state_path)
        return store, GroupCommitter(store, state_path)
    store = Store(initial_state(seed))
    if state_path is None:
        return store, None
    committer = GroupCommitter(store, state_path)
    committer.write_now()
    return store, committer


def build_sandbox(
    seed: str,
    state_path: Path | None,
    credentials: Credentials,
    faults: Faults,
    page_cap: int = 100,
    dialects: frozenset[str] = frozenset(),
    page_cache: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> Sandbox:
    """The sandbox state and settings; ``overrides`` replace some credentials (by name, not from the
    environment); ``dialects`` are the readings it plays (``reconciler.sandbox.dialects``); ``page_cache``
    keeps list pages serialised until the next mutation (``reconciler.sandbox.pages``)."""
    if overrides:
        credentials = Credentials({**credentials.values, **overrides}, credentials.from_env - set(overrides))
    store, committer = open_store(seed, state_path)
    cache = PageCache() if page_cache else None
    return Sandbox(
        store,
        committer,
        FaultInjector(faults),
        credentials,
        page_cap=page_cap,
        dialects=dialects,
        page_cache=cache,
    )


def build_app(sandbox: Sandbox, loop_box: list[asyncio.AbstractEventLoop] | None = None) -> ASGIApp:
    """The whole server. ``loop_box`` receives the serving event loop at startup (for thread-safe access)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        quiet_deliberate_drops()
        if loop_box is not None:
            loop_box.append(asyncio.get_running_loop())
        yield

    starlette = Starlette(
        routes=[*(route for vendor in sandbox.vendors for route in vendor.routes()), *control.routes()],
        exception_handlers={
            ApiProblem: handle_problem,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    starlette.state.sandbox = sandbox
    return SandboxMiddleware(VendorGates(starlette, sandbox), sandbox)
