"""``general_statistics``, computed from the state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from reconciler.sandbox.abtasty.state import state_of
from reconciler.sandbox.store import Record
from reconciler.sandbox.web import authorize

DOCUMENTED_GROUPS = ("ab", "multivariate", "multipage", "predictive", "byapi", "personalization")
# Every test type folds into one of the document's six campaign groups (the key set stays as documented).
TYPE_GROUP = {
    "ab": "ab",
    "multivariate": "multivariate",
    "mvt": "multivariate",
    "multipage": "multipage",
    "predictive": "predictive",
    "mastersegment": "personalization",
    "segmentation": "personalization",
    "subsegment": "personalization",
    "tunnel": "multipage",
    "mobileapp": "byapi",
    "heatmap": "byapi",
}


def _month_of_epoch(ts: int) -> tuple[int, int]:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.year, moment.month


def _month_of_date(text: str) -> tuple[int, int]:
    return int(text[0:4]), int(text[5:7])


def _campaign_states(tests: Iterable[Record]) -> dict[str, dict[str, int]]:
    states = {group: {"running": 0, "paused": 0} for group in DOCUMENTED_GROUPS}
    for test in tests:
        group = str(TYPE_GROUP.get(test["type"], test["type"]))
        counts = states.setdefault(group, {"running": 0, "paused": 0})
        counts["running" if test["state"] == "play" else "paused"] += 1
    return states


def _by_month(pairs: Iterable[tuple[tuple[int, int], int]], average: bool = False) -> list[dict[str, str]]:
    """``[(month, visitors)]`` -> the document's rows (strings), most recent month first."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for month, visitors in pairs:
        groups[month].append(visitors)
    rows = []
    for (year, month_no), counts in sorted(groups.items(), reverse=True):
        row = {
            "month_year": f"{month_no}-{year}",
            "count_visitors": str(sum(counts)),
            "count_tests": str(len(counts)),
        }
        if average:
            row["avg_visitors"] = str(sum(counts) // len(counts))
        rows.append(row)
    return rows


def general_statistics(tests: list[Record], members: list[Record]) -> dict[str, Any]:
    played = [t for t in tests if t.get("played")]
    return {
        "campaign_states": _campaign_states(tests),
        "count_collaborators": len(members),
        "count_collaborators_connections": sum(1 for m in members if m.get("connections", 0) > 0),
        "started_experiments": _by_month(
            (_month_of_epoch(t["played"]), t.get("visitors", 0)) for t in played
        ),
        "created_experiments": _by_month(
            ((_month_of_date(t.get("created", "2019-01")), t.get("visitors", 0)) for t in tests), average=True
        ),
        "played_experiments": _by_month(
            (_month_of_epoch(t["played"]), t.get("visitors", 0)) for t in played if t["state"] == "play"
        ),
    }


async def get_general_statistics(request: Request) -> JSONResponse:
    sandbox = authorize(request, request.path_params["account_id"])
    store = sandbox.store
    return JSONResponse(
        general_statistics(list(state_of(store).tests.values()), list(state_of(store).members.values()))
    )
