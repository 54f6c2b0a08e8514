"""Mutations of tests and of the account script: play, pause, schedule, update_script, clear_script.

Every mutation is applied in memory, then ``await sandbox.commit()`` makes it durable before the 204.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.abtasty import readings
from reconciler.sandbox.abtasty.dates import stored_zone
from reconciler.sandbox.abtasty.reads import load_test
from reconciler.sandbox.abtasty.render import DEFAULT_TZ, render_test
from reconciler.sandbox.abtasty.state import state_of
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.store import Record
from reconciler.sandbox.web import ApiProblem, authorize, json_object, persist, write_answer

_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


async def play(request: Request) -> Response:
    sandbox, test = load_test(request)
    body = await json_object(request)
    mode = body.get("mode", "prod")
    if mode not in ("prod", "preprod"):
        raise ApiProblem(400, f"Invalid parameter 'mode': expected prod|preprod, got {mode!r}")
    test["state"] = readings.play_state(mode, sandbox.dialects)
    if mode == "preprod":
        test["preprod"] = True
    else:
        test.pop("preprod", None)
    test["played"] = int(time.time())
    return await _saved(sandbox, test)


async def pause(request: Request) -> Response:
    sandbox, test = load_test(request)
    await json_object(request)  # a body is optional, but must be JSON when present
    test["state"] = "pause"
    test["paused"] = int(time.time())
    return await _saved(sandbox, test)


def _zone(body: dict[str, Any], current: str) -> tuple[str, ZoneInfo]:
    name = body.get("timezone", current)
    if not isinstance(name, str) or not name:
        raise ApiProblem(400, f"Invalid parameter 'timezone': expected an IANA time zone name, got {name!r}")
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiProblem(400, f"Invalid parameter 'timezone': unknown time zone {name!r}") from None


def _epoch(body: dict[str, Any], key: str, zone: ZoneInfo, current: int) -> int:
    """``YYYY-MM-DDTHH:MM:SS`` local to ``zone`` -> epoch seconds; absent keeps ``current``, null is 0."""
    if key not in body:
        return current
    raw = body[key]
    if raw is None:
        return 0
    if not isinstance(raw, str) or not _LOCAL_TIME.match(raw):
        raise ApiProblem(400, f"Invalid parameter '{key}': expected YYYY-MM-DDTHH:MM:SS, got {raw!r}")
    try:
        local = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise ApiProblem(400, f"Invalid parameter '{key}': {raw!r} is not a valid date and time") from None
    return int(local.replace(tzinfo=zone).timestamp())


async def schedule(request: Request) -> Response:
    sandbox, test = load_test(request)
    body = await json_object(request)
    tz_name, zone = _zone(body, test.get("tz", DEFAULT_TZ))
    start = _epoch(body, "start_at", zone, test.get("start", 0))
    stop = _epoch(body, "stop_at", zone, test.get("stop", 0))
    if start and stop and stop <= start:
        raise ApiProblem(400, "Invalid parameters: 'stop_at' must be after 'start_at'")
    for key, value in (
        ("start", readings.to_minute(start, sandbox.dialects)),
        ("stop", readings.to_minute(stop, sandbox.dialects)),
    ):
        if value:
            test[key] = value
        else:
            test.pop(key, None)
    if "tz-not-stored" not in sandbox.dialects:
        test["tz"] = stored_zone(tz_name, sandbox.dialects)
    return await _saved(sandbox, test)


async def _saved(sandbox: Sandbox, test: Record) -> Response:
    """Persist a changed test; 204 as documented, or 200 with the test (``writes-200``)."""
    state_of(sandbox).touch_test(test["id"])
    await persist(sandbox)
    store = sandbox.store
    return write_answer(
        sandbox, render_test(test, store.account_id, state_of(store).folders, sandbox.dialects)
    )


async def _script(request: Request, counter: str) -> Response:
    sandbox = authorize(request, request.path_params["account_id"])
    await json_object(request)
    script = state_of(sandbox).script
    script[counter] = int(script.get(counter, 0)) + 1
    script["last_update" if counter == "updates" else "last_clear"] = int(time.time())
    sandbox.store.touch_meta()
    await persist(sandbox)
    return write_answer(sandbox, dict(script))


async def update_script(request: Request) -> Response:
    return await _script(request, "updates")


async def clear_script(request: Request) -> Response:
    return await _script(request, "clears")
