"""Selectors: ``tests[N].select`` picks tests by what they are, through the test list's filters. Pure.

Reading: each selector is one filtered, paged read of ``GET .../tests`` (``params``), and every test the
server returns is checked again here (``matches``) before it counts. The server's filter saves pages; the
local check is what decides, so a server that ignores a filter (or reads one more loosely) cannot widen a
freeze to tests the selector does not describe. One filter is never sent: ``is_preprod: false``, because
the document says "If is set only preprod test will be returned", and a server that reads it so would
answer exactly the wrong tests; that selector reads the list and keeps the tests that are not in preprod.

Resolving (``resolve``), field by field (the state with its mode, and the schedule):

- an ``id`` / ``name`` entry that sets a field wins for its test; a field it leaves out can still come
  from a selector (a frozen folder pauses a test whose own entry only schedules it);
- a selector manages only the fields it sets;
- two selectors that set the same field of one test to different values are a ``Conflict`` (the plan is
  refused, naming both lines and the test): never "last wins". When they agree, the change names both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.changes import Change
from reconciler.core.plan import Note
from reconciler.providers.abtasty.config import AbTastyConfig, Schedule, Selector, Test
from reconciler.providers.abtasty.state import Existing, ExistingTest


@dataclass(frozen=True)
class Facets:
    """What a selector looks at that ``ExistingTest`` does not keep (kept out of it, so fingerprints stay
    those of what a change touches): the test's type, its tags (``labels``) and its folder id (0: none)."""

    type: str = ""
    labels: tuple[str, ...] = ()
    folder: int = 0


def describe(index: int, selector: Selector) -> str:
    """``tests[0] select folder=12 tag=black-friday``: how plans name a selector."""
    if selector.all:
        return f"tests[{index}] select all"
    parts = [f"{key}={_shown(getattr(selector, key))}" for key in selector.filters()]
    return f"tests[{index}] select {' '.join(parts)}"


def name_of(config: AbTastyConfig, index: int) -> str:
    """``describe`` of the selector at ``tests[index]``."""
    selector = config.tests[index].select
    assert selector is not None  # indices come from ``selected``
    return describe(index, selector)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(int(value))  # as the document's filters spell them
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if " " in text or not text else text


def params(selector: Selector) -> dict[str, Any]:
    """The server-side filters of one selector's read (lists go as ``filter[x][]`` repeated)."""
    out: dict[str, Any] = {}
    for key in ("type", "folder", "tag", "exclude_tag"):
        values = getattr(selector, key)
        if values is not None:
            out[f"filter[{key}][]"] = list(values)
    if selector.name is not None:
        out["filter[name]"] = selector.name
    for key in ("active", "is_schedule"):
        flag = getattr(selector, key)
        if flag is not None:
            out[f"filter[{key}]"] = int(flag)
    if selector.is_preprod:  # never `0`: "if is set only preprod" (module docstring)
        out["filter[is_preprod]"] = 1
    return out


def matches(selector: Selector, test: ExistingTest, facets: Facets) -> bool:
    """Whether ``test`` is one the selector describes (every key set holds), whatever the server said."""
    checks = (
        selector.type is None or facets.type in selector.type,
        selector.folder is None or facets.folder in selector.folder,
        selector.tag is None or not set(selector.tag).isdisjoint(facets.labels),
        selector.exclude_tag is None or set(selector.exclude_tag).isdisjoint(facets.labels),
        selector.name is None or selector.name.lower() in test.name.lower(),  # "search by name"
        selector.active is None or (test.state == "play") is selector.active,
        selector.is_preprod is None or test.preprod is selector.is_preprod,
        selector.is_schedule is None or bool(test.start or test.stop) is selector.is_schedule,
    )
    return all(checks)


@dataclass
class Want:
    """What the config wants of one test, field by field, and which selectors asked (empty: its own entry)."""

    state: tuple[str, str | None] | None = None  # (state, mode)
    schedule: Schedule | None = None
    state_via: list[int] = field(default_factory=list)
    schedule_via: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Conflict:
    """Two selectors (entry indices) that set ``what`` of one test to different values."""

    first: int
    second: int
    test: int
    what: str


def _explicit_id(entry: Test, existing: Existing) -> int | None:
    if entry.id is not None:
        return entry.id
    return existing.names.get(entry.name) if entry.name is not None else None


def selected(config: AbTastyConfig) -> list[tuple[int, Selector]]:
    """The selector entries, with their indices in ``tests``."""
    return [(i, t.select) for i, t in enumerate(config.tests) if t.select is not None]


def resolve(config: AbTastyConfig, existing: Existing) -> tuple[dict[int, Want], list[Conflict]]:
    """What the config wants of each test it manages (by id), and the conflicts between selectors."""
    wants: dict[int, Want] = {}
    own: dict[int, Test] = {}
    for entry in config.tests:
        ident = _explicit_id(entry, existing)
        if ident is not None and entry.select is None:
            own[ident] = entry
            wants[ident] = Want(_state_of(entry), entry.schedule)
    conflicts: list[Conflict] = []
    for index, _ in selected(config):
        entry = config.tests[index]
        for ident in existing.matches.get(index, ()):
            want = wants.setdefault(ident, Want())
            mine = own.get(ident)
            if entry.state is not None and (mine is None or mine.state is None):
                conflicts += _take(want, "state", _state_of(entry), index, ident)
            if entry.schedule is not None and (mine is None or mine.schedule is None):
                conflicts += _take(want, "schedule", entry.schedule, index, ident)
    return wants, conflicts


def _state_of(entry: Test) -> tuple[str, str | None] | None:
    return None if entry.state is None else (entry.state, entry.effective_mode)


def _take(want: Want, what: str, value: Any, index: int, ident: int) -> list[Conflict]:
    """Set ``want.<what>`` from selector ``index``, or report the selector that set it otherwise."""
    vias: list[int] = getattr(want, f"{what}_via")
    current = getattr(want, what)
    if current is None:
        setattr(want, what, value)
    elif current != value:
        return [Conflict(vias[0], index, ident, what)]
    vias.append(index)
    return []


def wanted(config: AbTastyConfig, index: int, what: str) -> str:
    """What entry ``index`` sets ``what`` ("state" or "schedule") to, in a plan's words."""
    entry = config.tests[index]
    if what == "state":
        return f"{entry.state} ({entry.effective_mode})" if entry.effective_mode else str(entry.state)
    schedule = entry.schedule
    assert schedule is not None  # a conflict on a schedule means both set one
    return f"{schedule.start_at or '…'} .. {schedule.stop_at or '…'} {schedule.timezone}"


def managed_ids(config: AbTastyConfig, existing: Existing) -> set[int]:
    """Every test the config manages: its own entries' and every selector's matches."""
    ids = {i for e in config.tests if (i := _explicit_id(e, existing)) is not None and e.select is None}
    return ids.union(*existing.matches.values())


def notes(config: AbTastyConfig, existing: Existing, changes: Iterable[Change]) -> list[Note]:
    """One line per selector: how many tests it matched and how many changes it makes; a warning when it
    matched nothing (a typo in a tag freezes nothing, silently, otherwise)."""
    changes = list(changes)
    own = {i for e in config.tests if (i := _explicit_id(e, existing)) is not None and e.select is None}
    out = []
    for index, selector in selected(config):
        name = describe(index, selector)
        count = len(existing.matches.get(index, ()))
        if not count:
            out.append(Note(f"{name}: matched no test", warning=True))
            continue
        made = sum(name in c.via.split(" & ") for c in changes)
        plural = "test" if count == 1 else "tests"
        listed = len(own.intersection(existing.matches[index]))
        aside = f" ({listed} also listed by id or name, which wins)" if listed else ""
        out.append(Note(f"{name}: {count} {plural} matched{aside}, {made} change(s)"))
    return out
