"""Membership: list (HAL), one, POST (email, role), PATCH (role and/or email), DELETE."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.abtasty import readings
from reconciler.sandbox.abtasty.hal import hal_collection
from reconciler.sandbox.abtasty.render import account_path, render_member
from reconciler.sandbox.abtasty.state import state_of
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.pages import json_page
from reconciler.sandbox.store import Record
from reconciler.sandbox.web import ApiProblem, authorize, json_object, persist, write_answer

ROLES = ("admin", "user", "creator", "viewer")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _member(request: Request) -> tuple[Sandbox, Record]:
    sandbox = authorize(request, request.path_params["account_id"])
    member_id = request.path_params["membership_id"]
    member = readings.member_key(state_of(sandbox).members, member_id, sandbox.dialects)
    if member is None:
        raise ApiProblem(404, f"Membership {member_id} not found")
    return sandbox, member


def _render(sandbox: Sandbox, member: Record) -> dict[str, Any]:
    account = sandbox.store.account_id
    return readings.member_out(
        render_member(member, account), member, account_path(account), sandbox.dialects
    )


def _role(body: dict[str, Any]) -> str:
    role = body.get("role")
    if role not in ROLES:
        raise ApiProblem(400, f"Invalid parameter 'role': expected admin|user|creator|viewer, got {role!r}")
    assert isinstance(role, str)
    return role


def _email(body: dict[str, Any], sandbox: Sandbox, exclude: int | None = None) -> str:
    email = body.get("email")
    if not isinstance(email, str) or not _EMAIL.match(email.strip()):
        raise ApiProblem(400, f"Invalid parameter 'email': expected an email address, got {email!r}")
    email = email.strip()
    wanted = email.lower()
    for member in state_of(sandbox).members.values():
        if member["email"].lower() == wanted and member["id"] != exclude:
            raise ApiProblem(400, f"Invalid parameter 'email': {email} is already a member of this account")
    return email


async def list_members(request: Request) -> Response:
    sandbox = authorize(request, request.path_params["account_id"])
    store = sandbox.store

    def page() -> dict[str, Any]:
        members = sorted(state_of(store).members.values(), key=lambda m: m["id"])
        return hal_collection(request, members, lambda m: _render(sandbox, m), sandbox.page_cap)

    return json_page(request, sandbox.page_cache, store, page)


async def get_member(request: Request) -> JSONResponse:
    sandbox, member = _member(request)
    return JSONResponse(_render(sandbox, member))


async def add_member(request: Request) -> Response:
    """200 with the new membership (the document says 200 here); with ``post-201``, 201 with an empty body
    and a ``Location`` (the status table's "201 when resource is created")."""
    sandbox = authorize(request, request.path_params["account_id"])
    body = await json_object(request, empty_ok=False)
    email, role = _email(body, sandbox), _role(body)
    store = sandbox.store
    now = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    member: Record = {
        "id": store.new_id("member", max(state_of(store).members, default=200000) + 1),
        "role": role,
        "user_id": store.new_id("user", 300000),
        "email": email,
        "firstname": "",
        "lastname": "",
        "created": now,
        "connections": 0,
    }
    state_of(store).members[member["id"]] = member
    state_of(store).touch_member(member["id"])
    await persist(sandbox)
    if readings.answer_503_once(store, sandbox.dialects):
        raise ApiProblem(503, "Service Unavailable: the router timed out waiting for the backend")
    if sandbox.plays("post-201"):
        location = f"/api/core/accounts/{store.account_id}/membership/{member['id']}"
        return Response(status_code=201, headers={"Location": location})
    return JSONResponse(_render(sandbox, member), status_code=200)


async def update_member(request: Request) -> Response:
    sandbox, member = _member(request)
    body = await json_object(request, empty_ok=False)
    if "role" not in body and "email" not in body:
        raise ApiProblem(400, "Invalid parameters: expected 'role' and/or 'email'")
    if sandbox.plays("member-patch-strict") and not ("role" in body and "email" in body):
        raise ApiProblem(400, "Invalid parameters: 'email' and 'role' are both required")
    role = _role(body) if "role" in body else member["role"]
    email = _email(body, sandbox, exclude=member["id"]) if "email" in body else member["email"]
    member["role"], member["email"] = role, email
    state_of(sandbox).touch_member(member["id"])
    await persist(sandbox)
    return write_answer(sandbox, _render(sandbox, member))


async def delete_member(request: Request) -> Response:
    sandbox, member = _member(request)
    del state_of(sandbox).members[member["id"]]
    state_of(sandbox).touch_member(member["id"])
    await persist(sandbox)
    return write_answer(sandbox, {"message": f"Membership {member['id']} revoked"})
