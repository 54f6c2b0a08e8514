"""Typed changes: what one API call would do to one resource, with its before and after. Vendor-free.

A provider declares its kinds of change as a ``ChangeKind`` enum and its ``ResourceType`` s; the core reads
from them the action (for the summary), the display order and whether a resource's key is a number (for
the plan file). A change is plain data so that a saved plan can carry it and ``apply --plan`` can rebuild it
exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """Terraform's three verbs, for the summary line."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class ResourceType:
    """One kind of resource a provider manages.

    ``name`` is the prefix of its resource keys ("test" in "test:381296"); ``group`` orders the types in a
    plan (lowest first); ``numeric`` says whether its key is a number (an AB Tasty test id) or a string that
    must stay one even when it looks like a number (a Taplytics user_id "007").
    """

    name: str
    label: str
    group: int
    numeric: bool = False

    def key_is_valid(self, key: str) -> bool:
        """Whether ``key`` can be a key of this type (a hand-edited plan may say anything)."""
        # isascii too: "²".isdigit() is True, and int("²") fails.
        return key.isascii() and key.isdigit() if self.numeric else bool(key)


class ChangeKind(StrEnum):
    """The base of each provider's enum of change kinds.

    A member's value names the resource type first ("test_state" acts on a "test"); the order in which the
    members are defined is the order in which one resource's changes are shown and applied. A provider
    overrides ``action`` for its creates and deletes, and ``resource_type`` to return its declared types.
    """

    @property
    def action(self) -> Action:
        """create / update / delete (update unless the provider says otherwise)."""
        return Action.UPDATE

    @property
    def resource_type(self) -> ResourceType:
        """The type of resource this kind of change acts on."""
        raise NotImplementedError(f"{type(self).__name__} must define resource_type")

    @property
    def order(self) -> int:
        """Position in the provider's enum: the order of one resource's changes."""
        return _positions(type(self))[self]


@functools.cache
def _positions(kinds: type[ChangeKind]) -> dict[ChangeKind, int]:
    return {kind: i for i, kind in enumerate(kinds)}


@dataclass(frozen=True)
class Change:
    """One API call's worth of change to one resource.

    ``resource`` is the stable key ("test:381296", "member:remi@abtasty.com", "user:qa-001") used for
    fingerprints and dependencies; ``name`` is for people (the test's name, the member's email). ``via``
    says which config entry asked for the change when that is not obvious from the resource (a selector:
    ``tests[0] select folder=12``); empty otherwise, and then absent from plan files, so plans without it
    read and compare as before.
    """

    kind: ChangeKind
    resource: str
    name: str
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    via: str = ""

    @property
    def action(self) -> Action:
        """create / update / delete."""
        return self.kind.action

    @property
    def resource_type(self) -> str:
        """The resource's type ("test")."""
        return self.resource.partition(":")[0]

    @property
    def key(self) -> str:
        """The resource's own key, without its type ("381296", "remi@abtasty.com")."""
        return self.resource.partition(":")[2]

    def sort_key(self) -> tuple[int, int | str, int]:
        """By resource type (its group), then key (numerically for numeric types), then kind order."""
        rtype = self.kind.resource_type
        ident: int | str = int(self.key) if rtype.numeric and self.key.isdigit() else self.key
        return rtype.group, ident, self.kind.order

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (plan files, JSON output)."""
        ident: int | str = int(self.key) if self.kind.resource_type.numeric else self.key
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "action": self.action.value,
            "resource": {"type": self.resource_type, "id": ident, "name": self.name},
            "before": dict(self.before),
            "after": dict(self.after),
        }
        if self.via:  # only when set: a plan without selectors keeps the bytes it always had
            out["via"] = self.via
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], kinds: type[ChangeKind] | None = None) -> Change:
        """The inverse of ``to_dict``. ``kinds`` is the provider's enum; without it, the kind is looked up
        among every provider's kinds loaded so far (it must be unambiguous)."""
        res = data["resource"]
        kind = parse_kind(data["kind"], kinds)
        via = data.get("via", "")
        # A plan file is untrusted: a hand-edited "via" must not reach a renderer as anything but text.
        if not isinstance(via, str):
            raise TypeError("change.via is not a string")
        return cls(kind, f"{res['type']}:{res['id']}", res["name"], data["before"], data["after"], via)


def parse_kind(value: object, kinds: type[ChangeKind] | None = None) -> ChangeKind:
    """The ``ChangeKind`` spelled ``value``; ``ValueError`` when there is none (or several)."""
    families: Iterable[type[ChangeKind]] = [kinds] if kinds is not None else ChangeKind.__subclasses__()
    found = [
        family(value) for family in families if isinstance(value, str) and value in family._value2member_map_
    ]
    if len(found) != 1:
        raise ValueError(f"unknown change kind {value!r}")
    return found[0]


def display_order(changes: Iterable[Change]) -> list[Change]:
    """``changes`` sorted as plans show them: by resource type, key, then kind."""
    return sorted(changes, key=Change.sort_key)


@dataclass(frozen=True)
class Needs:
    """What one change needs, as indexes into the plan's changes.

    ``waits``: changes that must be done (whatever their outcome) before it starts; ``requires``: changes
    whose failure skips it; ``any_of``: changes of which at least one must have applied, else it is skipped
    with ``any_reason`` (a rebuild after test changes is pointless when none applied).
    """

    waits: tuple[int, ...] = ()
    requires: tuple[int, ...] = ()
    any_of: tuple[int, ...] = ()
    any_reason: str = ""
