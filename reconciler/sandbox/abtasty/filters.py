"""The documented filters of ``GET .../tests`` (and the ordering ones), each a predicate on a record.

``filter[x][]`` may also be sent as ``filter[x]`` or ``filter[x][N]`` (the document's own links use
``filter[type][0]=ab``); every form is accepted. Dialects play the other readings: ``filters-ignored`` (a
server that does not know the folder, tag and flag filters and answers the whole list), ``is-preprod-any``
("If is set only preprod test will be returned", read literally) and ``tags-any-case``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from reconciler.sandbox.store import Record
from reconciler.sandbox.web import ApiProblem

Predicate = Callable[[Record], bool]
TEST_TYPES = frozenset(
    ["ab", "mastersegment", "predictive", "segmentation", "tunnel", "mvt", "multipage", "multivariate", "subsegment", "mobileapp", "heatmap"]
)  # fmt: skip
_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


def multi(request: Request, name: str) -> list[str]:
    """Every value of ``filter[name]``, ``filter[name][]`` and ``filter[name][N]``."""
    pattern = re.compile(rf"^filter\[{re.escape(name)}\](\[\d*\])?$")
    return [v for k, v in request.query_params.multi_items() if pattern.match(k)]


def _ints(request: Request, name: str) -> set[int]:
    values = set()
    for raw in multi(request, name):
        try:
            values.add(int(raw))
        except ValueError:
            message = f"Invalid parameter 'filter[{name}][]': expected an integer, got {raw!r}"
            raise ApiProblem(400, message) from None
    return values


def _flag(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(f"filter[{name}]")
    if raw is None:
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ApiProblem(400, f"Invalid parameter 'filter[{name}]': expected 0|1, got {raw!r}")


def _text_predicates(request: Request) -> list[Predicate]:
    preds: list[Predicate] = []
    name = (request.query_params.get("filter[name]") or "").lower()
    if name:
        preds.append(lambda t: name in t["name"].lower())
    name_or_url = (request.query_params.get("filter[name_or_url]") or "").lower()
    if name_or_url:
        preds.append(lambda t: name_or_url in t["name"].lower() or name_or_url in t.get("url", "").lower())
    search = request.query_params.get("filter[search]")
    if search:
        q = search.lower().strip()
        preds.append(lambda t: q in t["name"].lower() or q in t.get("url", "").lower() or q == str(t["id"]))
    return preds


#: What ``filters-ignored`` drops: filters a server could not know and skip silently (type and the name
#: search stay: the document's own example uses type, and a name filter is what every list has).
IGNORABLE = ("folder", "tag", "exclude_tag", "is_preprod", "is_schedule")


def _without_ignored(request: Request) -> Request:
    """The request as a server that ignores the ``IGNORABLE`` filters reads it."""
    pattern = re.compile(rf"^filter\[({'|'.join(IGNORABLE)})\]")
    kept = [(k, v) for k, v in request.query_params.multi_items() if not pattern.match(k)]
    scope = dict(request.scope, query_string=urlencode(kept).encode())
    return Request(scope)


def _tags(request: Request, name: str, fold: bool) -> set[str]:
    values = multi(request, name)
    return {v.casefold() for v in values} if fold else set(values)


def _labels(record: Record, fold: bool) -> set[str]:
    labels = record.get("labels", ())
    return {label.casefold() for label in labels} if fold else set(labels)


def _set_predicates(request: Request, dialects: frozenset[str]) -> list[Predicate]:
    preds: list[Predicate] = []
    types = set(multi(request, "type"))
    unknown = sorted(types - TEST_TYPES)
    if unknown:
        raise ApiProblem(400, f"Invalid parameter 'filter[type][]': unknown type(s) {', '.join(unknown)}")
    if types:
        preds.append(lambda t: t["type"] in types)
    parents, folders = _ints(request, "parent"), _ints(request, "folder")
    if parents:
        preds.append(lambda t: t.get("parent", 0) in parents)
    if folders:
        preds.append(lambda t: t.get("folder", 0) in folders)
    fold = "tags-any-case" in dialects
    tags, excluded = _tags(request, "tag", fold), _tags(request, "exclude_tag", fold)
    if tags:
        preds.append(lambda t: not tags.isdisjoint(_labels(t, fold)))
    if excluded:
        preds.append(lambda t: excluded.isdisjoint(_labels(t, fold)))
    return preds


def _state_predicates(request: Request, dialects: frozenset[str]) -> list[Predicate]:
    preds: list[Predicate] = []
    active = _flag(request, "active")
    if active is not None:
        preds.append(lambda t: (t["state"] == "play") is active)
    if "filter[is_preprod]" in request.query_params:
        # Documented: "If is set only preprod test will be returned". 0/false is read as "not preprod".
        raw = request.query_params["filter[is_preprod]"].lower()
        want = raw not in _FALSE or "is-preprod-any" in dialects
        preds.append(lambda t: bool(t.get("preprod", False)) is want)
    scheduled = _flag(request, "is_schedule")
    if scheduled is not None:
        preds.append(lambda t: bool(t.get("start", 0) or t.get("stop", 0)) is scheduled)
    return preds


def _order_keys(request: Request) -> list[tuple[str, bool]]:
    """``[(field, descending)]`` in the order the parameters were given."""
    keys = []
    for key, value in request.query_params.multi_items():
        match = re.match(r"^filter\[_order\]\[(id|name)\]$", key)
        if not match:
            continue
        if value.upper() not in ("ASC", "DESC"):
            raise ApiProblem(400, f"Invalid parameter '{key}': expected ASC|DESC, got {value!r}")
        keys.append((match[1], value.upper() == "DESC"))
    return keys


def sort_records(records: list[Record], keys: list[tuple[str, bool]]) -> list[Record]:
    """Stable multi-key sort; ids ascending when no order is asked for (as the document's lists)."""
    result = sorted(records, key=itemgetter("id"))
    for field, desc in reversed(keys):
        key: Callable[[Record], Any] = (
            (lambda r: r["name"].lower()) if field == "name" else (lambda r: r["id"])
        )
        result.sort(key=key, reverse=desc)
    return result


def select_tests(
    request: Request, tests: list[Record], dialects: frozenset[str] = frozenset()
) -> list[Record]:
    """The tests the request's filters keep, in the order it asks for (as ``dialects`` read them)."""
    if "filters-ignored" in dialects:
        request = _without_ignored(request)
    preds = (
        _text_predicates(request) + _set_predicates(request, dialects) + _state_predicates(request, dialects)
    )
    order = _order_keys(request)
    # Without filters (every page of a plain listing) skip the 10,000-record scan: it was most of a page's time.
    chosen = [t for t in tests if all(p(t) for p in preds)] if preds else tests
    return sort_records(chosen, order)


def order_only(request: Request, records: list[Record]) -> list[Record]:
    """For collections whose only filter is ``filter[_order][id]``."""
    return sort_records(records, [k for k in _order_keys(request) if k[0] == "id"])
