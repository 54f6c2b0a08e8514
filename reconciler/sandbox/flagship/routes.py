"""The resources: the environment (panic), campaigns (list, toggle), users (list, PUT, DELETE), flags.

Each write is persisted before it is answered and then emits a webhook event shaped as the webhooks page
describes (``event``, ``date``, the account and environment, and the event's own fields).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.flagship import readings
from reconciler.sandbox.flagship.auth import authorize
from reconciler.sandbox.flagship.state import FLAG_TYPES, ROLES, STATES, state_of
from reconciler.sandbox.web import ApiProblem, int_param, json_object, persist


def _page(request: Request, sandbox: Sandbox) -> tuple[int, int]:
    first = readings.first_page(sandbox.dialects)
    page = int_param(request, "_page", first, minimum=first)
    per_page = min(int_param(request, "_max_per_page", readings.DEFAULT_PER_PAGE), sandbox.page_cap)
    return page, per_page


def _listed(request: Request, key: str, nested: bool = False) -> JSONResponse:
    sandbox = authorize(request)
    page, per_page = _page(request, sandbox)
    items: list[dict[str, Any]] = getattr(state_of(sandbox), f"fs_{key}")
    return JSONResponse(readings.list_body(items, page, per_page, sandbox.dialects, nested))


def _done(sandbox: Sandbox, body: dict[str, Any]) -> Response:
    return JSONResponse(body) if sandbox.plays("flagship-writes-200") else Response(status_code=204)


async def _emit(sandbox: Sandbox, event: str, **fields: Any) -> None:
    await persist(sandbox)
    section = state_of(sandbox)
    sandbox.webhooks.emit(
        {
            "event": event,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "account_id": section.account_id,
            "environment_id": section.environment_id,
            **fields,
        }
    )


async def get_environment(request: Request) -> JSONResponse:
    sandbox = authorize(request)
    section = state_of(sandbox)
    return JSONResponse(
        {
            "id": section.environment_id,
            "environment": "production",
            "is_main": True,
            "panic": readings.panic_out(section.panic, sandbox.dialects),
            "single_assignment": False,
        }
    )


async def set_panic(request: Request) -> Response:
    sandbox = authorize(request)
    body = await json_object(request, empty_ok=False)
    if body.get("panic") not in ("on", "off"):
        raise ApiProblem(400, f"Invalid parameter 'panic': expected on|off, got {body.get('panic')!r}")
    section = state_of(sandbox)
    section.panic = body["panic"] == "on"
    section.touch()
    await _emit(sandbox, "environment.panic", panic=body["panic"])
    return _done(sandbox, {"panic": body["panic"]})


async def list_campaigns(request: Request) -> JSONResponse:
    return _listed(request, "campaigns")


async def toggle_campaign(request: Request) -> Response:
    """Only the state moves: the toggle route never touches the variation groups."""
    sandbox = authorize(request)
    body = await json_object(request, empty_ok=False)
    state = body.get("state")
    if state not in STATES:
        raise ApiProblem(400, f"Invalid parameter 'state': expected active|paused|interrupted, got {state!r}")
    campaign_id = request.path_params["campaign_id"]
    campaign = next((c for c in state_of(sandbox).fs_campaigns if c["id"] == campaign_id), None)
    if campaign is None:
        raise ApiProblem(404, f"Campaign {campaign_id} not found")
    if campaign["status"] != state:
        campaign["status"] = state
        state_of(sandbox).touch()
        await _emit(
            sandbox, f"feature.{state}", campaign_id=campaign_id, campaign_name=campaign["name"],
            campaign_type=campaign["type"], campaign_status=state,
        )  # fmt: skip
    return _done(sandbox, dict(campaign))


async def list_users(request: Request) -> JSONResponse:
    return _listed(request, "users", nested=True)


async def put_users(request: Request) -> Response:
    """Adds the users it does not have and sets the role of those it has (the users page: "creates
    automatically the users which do not exist")."""
    sandbox = authorize(request)
    try:
        body = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ApiProblem(400, f"Malformed JSON body: {err}") from None
    if not isinstance(body, list) or not all(isinstance(u, dict) for u in body):
        raise ApiProblem(400, "Malformed body: expected a JSON array of {email, role}")
    users = state_of(sandbox).fs_users
    for wanted in body:
        email, role = wanted.get("email"), wanted.get("role")
        if not isinstance(email, str) or "@" not in email or role not in ROLES:
            raise ApiProblem(400, f"Invalid user {json.dumps(wanted)}: email and one of {', '.join(ROLES)}")
        have = next((u for u in users if u["email"].lower() == email.lower()), None)
        if have is None:
            users.append({"email": email, "role": role})
        else:
            have["role"] = role
    state_of(sandbox).touch()
    await persist(sandbox)
    return _done(sandbox, {"updated": len(body)})


async def delete_users(request: Request) -> Response:
    """Removes the users named by the parameter this reading reads; any other parameter is ignored."""
    sandbox = authorize(request)
    gone = {e.lower() for e in request.query_params.getlist(readings.delete_param(sandbox.dialects))}
    section = state_of(sandbox)
    section.fs_users[:] = [u for u in section.fs_users if u["email"].lower() not in gone]
    section.touch()
    await persist(sandbox)
    return _done(sandbox, {"deleted": sorted(gone)})


async def list_flags(request: Request) -> JSONResponse:
    return _listed(request, "flags")


def _flag_fields(body: dict[str, Any], partial: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {k: body[k] for k in ("name", "type", "description", "source") if k in body}
    if not partial and not isinstance(fields.get("name"), str):
        raise ApiProblem(400, "Invalid parameter 'name': required")
    if "type" in fields and fields["type"] not in FLAG_TYPES:
        raise ApiProblem(400, f"Invalid parameter 'type': expected one of {', '.join(FLAG_TYPES)}")
    if not partial and "type" not in fields:
        raise ApiProblem(400, "Invalid parameter 'type': required")
    return fields


async def create_flag(request: Request) -> JSONResponse:
    sandbox = authorize(request)
    fields = _flag_fields(await json_object(request, empty_ok=False), partial=False)
    flags = state_of(sandbox).fs_flags
    if any(f["name"] == fields["name"] for f in flags):
        raise ApiProblem(409, f"Flag {fields['name']} already exists")
    flag = {"id": f"f{sandbox.store.new_id('flagship_flag', 100)}", "description": "", "source": "manual"}
    flag.update(fields)
    flags.append(flag)
    state_of(sandbox).touch()
    await _emit(sandbox, "flag.created", flag_id=flag["id"], flag_name=flag["name"])
    return JSONResponse(flag, status_code=201)


def _flag(sandbox: Sandbox, request: Request) -> dict[str, Any]:
    flag_id = request.path_params["flag_id"]
    flag = next((f for f in state_of(sandbox).fs_flags if f["id"] == flag_id), None)
    if flag is None:
        raise ApiProblem(404, f"Flag {flag_id} not found")
    return flag


async def update_flag(request: Request) -> JSONResponse:
    sandbox = authorize(request)
    flag = _flag(sandbox, request)
    flag.update(_flag_fields(await json_object(request, empty_ok=False), partial=True))
    state_of(sandbox).touch()
    await persist(sandbox)
    return JSONResponse(flag)


async def delete_flag(request: Request) -> Response:
    sandbox = authorize(request)
    flag = _flag(sandbox, request)
    state_of(sandbox).fs_flags.remove(flag)
    state_of(sandbox).touch()
    await _emit(sandbox, "flag.deleted", flag_id=flag["id"], flag_name=flag["name"])
    return Response(status_code=204)
