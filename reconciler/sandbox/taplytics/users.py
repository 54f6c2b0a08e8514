"""``/v2/users``: the list (paged, ``Link`` header), one user, and create-or-update.

``GET /v2/users/{user_id}`` is not in the document; the sandbox serves it so a client can read one user
without paging through all of them.
"""

from __future__ import annotations

import itertools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.store import Record, Store
from reconciler.sandbox.taplytics import readings
from reconciler.sandbox.taplytics.paging import DEFAULT_PER_PAGE, cursor_page, link_header, page_params
from reconciler.sandbox.taplytics.payload import apply_update, parse_update, render_user
from reconciler.sandbox.taplytics.state import state_of
from reconciler.sandbox.taplytics.tokens import authorize
from reconciler.sandbox.web import ApiProblem, int_param, json_object, persist, sandbox_of

USER_LIMIT_MESSAGE = "The parameters in your request were valid, but the user limit of the plan is reached"


def _user_id(request: Request) -> str:
    user_id = request.path_params["user_id"]
    assert isinstance(user_id, str)
    return user_id


async def list_users(request: Request) -> JSONResponse:
    """``{"users": [...], "numEntities": total}``, oldest first; a page past the end is empty. With ``cursor``:
    ``{"users": [...], "nextPaginationToken": ...}`` and no ``Link`` (see ``paging.cursor_page``)."""
    sandbox = authorize(request, None)
    if sandbox.plays("cursor"):
        return JSONResponse(cursor_page(request, state_of(sandbox).users, sandbox.page_cap, render_user))
    page, per_page = page_params(request, sandbox.page_cap)
    readings.check_per_page(int_param(request, "per_page", DEFAULT_PER_PAGE), sandbox.dialects)
    users = state_of(sandbox).users
    start = (page - 1) * per_page
    chosen = itertools.islice(users.values(), start, start + per_page) if start < len(users) else ()
    link = link_header(request, page, per_page, len(users), sandbox.dialects)
    return JSONResponse(
        {"users": [render_user(u) for u in chosen], "numEntities": len(users)},
        headers={} if sandbox.plays("no-link") else {"Link": link},
    )


async def get_user(request: Request) -> JSONResponse:
    """``GET /v2/users/{user_id}``: the user, or 404 (a route the document does not list; with
    ``no-user-route`` it is not there at all: 404 like any unknown route, before the key is checked)."""
    sandbox = sandbox_of(request)
    if sandbox.plays("no-user-route"):
        raise ApiProblem(404, f'No route found for "GET {request.url.path}"')
    authorize(request, None)
    user_id = _user_id(request)
    user = state_of(sandbox).users.get(user_id)
    if user is None:
        raise ApiProblem(404, f"User {user_id!r} not found")
    return JSONResponse(render_user(user))


async def _authorized_body(request: Request) -> tuple[Sandbox, dict[str, Any]]:
    """Auth before validation: a malformed body is a 400 only for a caller whose key came another way."""
    try:
        body = await json_object(request)
    except ApiProblem:
        authorize(request, None)
        raise
    return authorize(request, body), body


def _create(store: Store, user_id: str) -> Record:
    """A new user, last in creation order; 402 once the project's user limit is reached."""
    section = state_of(store)
    if section.users_limit is not None and len(section.users) >= section.users_limit:
        raise ApiProblem(402, USER_LIMIT_MESSAGE)
    newest = next(reversed(section.users.values()), None)
    user: Record = {"user_id": user_id, "n": store.new_id("taplytics_user", newest["n"] + 1 if newest else 1)}
    section.users[user_id] = user
    return user


async def post_user(request: Request) -> JSONResponse:
    """Create the user or update it; 200 with the whole user either way (the document's success code), or
    201 for a creation with ``post-201``. Nothing is written when an update changes nothing."""
    sandbox, body = await _authorized_body(request)
    fields = parse_update(body)
    store, user_id = sandbox.store, _user_id(request)
    user = state_of(store).users.get(user_id)
    before = dict(user) if user is not None else None
    if user is None:
        user = _create(store, user_id)
    apply_update(user, fields, sandbox.dialects)
    if user != before:
        state_of(store).touch_user(user_id)
        await persist(sandbox)
        event = "user_created" if before is None else "user_updated"
        sandbox.webhooks.emit({"event": event, "user": render_user(user)})  # after it is durable
    created = before is None and sandbox.plays("post-201")
    return JSONResponse(render_user(user), status_code=201 if created else 200)
