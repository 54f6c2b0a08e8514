"""Stored records -> the payloads the document prints (same keys, same order, same types)."""

from __future__ import annotations

import hashlib
from typing import Any

from reconciler.sandbox.abtasty import readings
from reconciler.sandbox.abtasty.dates import render_when
from reconciler.sandbox.store import Record

DEFAULT_TZ = "Europe/Paris"
DEFAULT_VARIATIONS: list[Record] = [{"id": 0, "name": "Original", "type": "onthefly", "traffic": 100}]


def account_path(account_id: int) -> str:
    return f"/api/core/accounts/{account_id}"


def _href(path: str) -> dict[str, str]:
    return {"href": path}


def _test_links(account_id: int, test_id: int) -> dict[str, Any]:
    base = f"{account_path(account_id)}/tests/{test_id}"
    return {
        "self": _href(base),
        "targetings": _href(f"{base}/targetings"),
        "tool_links": _href(f"{base}/toollinks"),
        "variations": _href(f"{base}/variations"),
        "goals": _href(f"{base}/goals"),
        "nested": _href(f"/api/interface/accounts/{account_id}/tests/{test_id}/nested"),
    }


def _report_token(account_id: int, test_id: int) -> str:
    return hashlib.md5(f"{account_id}:{test_id}".encode(), usedforsecurity=False).hexdigest()


def _test_head(t: Record, account_id: int, dialects: frozenset[str]) -> dict[str, Any]:
    tz = readings.zone_of(t, DEFAULT_TZ, dialects)
    return {
        "type": t["type"],
        "labels": list(t.get("labels", ())),
        "start_datetime": render_when(t.get("start", 0), tz, dialects),
        "stop_datetime": render_when(t.get("stop", 0), tz, dialects),
        "state": t["state"],
        "preprod": bool(t.get("preprod", False)),
        "tunnel_parent": t.get("parent", 0),
        "test_visitor_count": t.get("test_visitors", 0),
        "id": t["id"],
        "name": t["name"],
        "traffic": t.get("traffic", 100),
        "active": t["state"] == "play",
        "url": t.get("url", ""),
        "ga": 0,
        "omniture": 0,
        "at_internet": 0,
        "report_token": t.get("report_token") or _report_token(account_id, t["id"]),
        "last_pause_timestamp": t.get("paused", 0),
        "last_play_timestamp": t.get("played"),
    }


def _test_tail(t: Record) -> dict[str, Any]:
    return {
        "script_verified": False,
        "global_code": "",
        "autodes_goal": "",
        "autodes_goal_last_visitors": 0,
        "start_stop_timezone": t.get("tz", DEFAULT_TZ),
        "data_collect_version": 3,
        "creation_date": t.get("created", "2019-01-01T00:00:00+0000"),
        "useragent": "",
        "ht_access": "",
        "creator_id": t.get("creator", 0),
        "visitors_count": t.get("visitors", 0),
        "original_visitors_count": 0,
        "test_rank": 0,
        "history_calc_mode": "new",
        "targeting_event_mode": "fastest",
        "dynamic_alloc_goal_id": None,
        "source_code": None,
        "description": None,
        "dynamic_alloc_modulation": 50,
        "reference_variation_id": None,
        "audience_id": t.get("audience_id"),
    }


def render_test(
    t: Record, account_id: int, folders: dict[int, str], dialects: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A test as in "Get information of one test" (same keys, same order); ``active`` derives from ``state``;
    the schedule's shape follows ``dialects`` (see ``dates``)."""
    folder_id = t.get("folder", 0)
    folder = {"id": folder_id, "name": folders.get(folder_id, f"Folder {folder_id}")} if folder_id else None
    body = {
        **_test_head(t, account_id, dialects),
        **_test_tail(t),
        "_links": _test_links(account_id, t["id"]),
        "_embedded": {"account": {"id": account_id}, "folder": folder},
    }
    return readings.test_out(body, dialects)


def render_member(m: Record, account_id: int) -> dict[str, Any]:
    """A membership as in "Get specific information about an AB Tasty user"."""
    user: dict[str, Any] = {
        "id": m["user_id"],
        "email": m["email"],
        "lastname": m.get("lastname", ""),
        "firstname": m.get("firstname", ""),
        "creation_date": m.get("created", ""),
        "connection_count": m.get("connections", 0),
        "last_login_time": m.get("last_login", m.get("created", "")),
    }
    if "mfa_phone" in m:
        user["mfa_phone_number"] = m["mfa_phone"]
        user["mfa_phone_indicative"] = m.get("mfa_indicative", "")
    user["mfa_enabled"] = bool(m.get("mfa", False))
    user["_links"] = {"self": _href(f"/api/core/users/{m['user_id']}")}
    user["_embedded"] = {"has_multiple_accounts": bool(m.get("multi", False))}
    return {
        "id": m["id"],
        "role": m["role"],
        "_links": {
            "self": _href(f"{account_path(account_id)}/membership/{m['id']}"),
            "account": _href(account_path(account_id)),
        },
        "_embedded": {"user": user},
    }


def with_self_link(item: Record, href: str) -> dict[str, Any]:
    """A stored child item (variation, modification, tool link, event) plus its ``_links.self``."""
    return {**item, "_links": {"self": _href(href)}}


def render_variation(v: Record, test_href: str) -> dict[str, Any]:
    """One variation as in "Get one specific variation" (``description`` always present)."""
    body = {
        "id": v["id"],
        "name": v["name"],
        "description": v.get("description"),
        "traffic": v["traffic"],
        "type": v["type"],
    }
    return with_self_link(body, f"{test_href}/variations/{v['id']}")
