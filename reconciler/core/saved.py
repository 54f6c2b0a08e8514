"""Reading and checking a saved plan (``show FILE``, ``apply --plan FILE``). Pure and vendor-free: the
caller reads the file, ``parse_plan`` takes its text.

A plan file is untrusted input (anyone can edit it): it is refused unless it was made by this version, for
exactly the config files given (same bytes), and every resource in it can be one of its provider's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.core.changes import ChangeKind
from reconciler.core.plan import AccountPlan
from reconciler.core.state import State
from reconciler.errors import PlanError

#: The change kinds of a provider, by the provider's name (None when no such provider is installed).
KindsOf = Callable[[str], type[ChangeKind] | None]


def not_a_plan(path: str, err: Exception | None = None) -> PlanError:
    """The refusal of a file that is no plan at all (unreadable, not JSON, not a plan's document)."""
    why = f" ({err.__class__.__name__})" if err is not None else ""
    return PlanError(f"{path}: not a reconciler plan file{why}: run plan --out again")


def parse_plan(text: str, path: str) -> dict[str, Any]:
    """The document of a saved plan file's ``text`` (``path`` names it in errors); ``read_plans`` and
    ``check_saved_plan`` read its accounts."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise not_a_plan(path, err) from None
    if not isinstance(data, dict) or "accounts" not in data:
        raise not_a_plan(path)
    return data


def _account_plan(data: Any, kinds_of: KindsOf) -> AccountPlan:
    provider = data.get("provider") if isinstance(data, dict) else None
    kinds = kinds_of(provider) if isinstance(provider, str) else None
    if kinds is None:
        raise PlanError(f"not a reconciler plan file: unknown provider {provider!r}: run plan --out again")
    problem = _shape_problem(data)
    if problem is not None:
        raise PlanError(f"not a reconciler plan file: {problem}: run plan --out again")
    try:
        _check_kinds(data, kinds)
        plan = AccountPlan.from_dict(data, kinds)
    except (KeyError, TypeError, ValueError, AttributeError) as err:  # a truncated or hand-edited file
        raise PlanError(
            f"not a reconciler plan file ({err.__class__.__name__}: {err}): run plan --out again"
        ) from None
    check_resources(plan, kinds)
    return plan


_ACCOUNT = {"file": str, "provider": str, "changes": list, "fingerprints": dict}
_CHANGE = {"kind": str, "resource": dict, "before": dict, "after": dict}
_RESOURCE = {"type": str, "name": str}


def _shape_problem(data: dict[str, Any]) -> str | None:
    """What is not of the plan format's shape in one account's entry (a hand-edited file may hold any JSON),
    so that nothing later meets a list where it reads a mapping."""
    found = _wrong(data, _ACCOUNT, "account") or _wrong_list(data.get("safety", []), "safety")
    if found or not isinstance(data.get("account"), str | int) or isinstance(data.get("account"), bool):
        return found or "account is not a string or a number"
    if not isinstance(data.get("config_digest", ""), str):
        return "account.config_digest is not a string"
    for change in data["changes"]:
        found = _wrong(change, _CHANGE, "change") or _wrong(change["resource"], _RESOURCE, "resource")
        if found:
            return found
        ident = change["resource"].get("id")
        if not isinstance(ident, str | int) or isinstance(ident, bool):
            return "a resource id is not a string or a number"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in data["fingerprints"].items()):
        return "fingerprints are not strings"
    return _wrong_list(data.get("settings", []), "settings")


_NAMES: dict[type, str] = {dict: "mapping", list: "list", str: "string"}


def _wrong(item: Any, shape: Mapping[str, type], what: str) -> str | None:
    if not isinstance(item, dict):
        return f"{what} is not a mapping"
    bad = [key for key, kind in shape.items() if not isinstance(item.get(key), kind)]
    return f"{what}.{bad[0]} is missing or not a {_NAMES[shape[bad[0]]]}" if bad else None


def _wrong_list(items: Any, what: str) -> str | None:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return f"{what} is not a list of mappings"
    return None


def _check_kinds(data: dict[str, Any], kinds: type[ChangeKind]) -> None:
    """A change whose kind is not the provider's (a user change in an AB Tasty plan) names its resource."""
    for change in data["changes"]:
        if change["kind"] not in kinds._value2member_map_:
            resource = f"{change['resource']['type']}:{change['resource']['id']}"
            raise PlanError(
                f"not a reconciler plan file: {data['file']}: resource {resource!r} "
                f"cannot be in a {data['provider']} plan: run plan --out again"
            )


def check_resources(plan: AccountPlan, kinds: type[ChangeKind]) -> None:
    """Refuse a plan whose resources cannot be the provider's: a type it does not manage, a key that is not
    a number where the API wants one, or a change's kind that does not fit its resource ("test_state" on a
    "member")."""
    types = {kind.resource_type.name: kind.resource_type for kind in kinds}
    pairs: list[tuple[str, str | None]] = [(c.resource, c.kind.resource_type.name) for c in plan.changes]
    pairs += [(resource, None) for resource in plan.fingerprints]
    for resource, kind_type in pairs:
        rtype, _, key = resource.partition(":")
        known = types.get(rtype)
        if known is None or not known.key_is_valid(key) or kind_type not in (None, rtype):
            raise PlanError(
                f"not a reconciler plan file: {plan.path}: resource {resource!r} cannot be in a {plan.provider} "
                "plan: run plan --out again"
            )


def read_plans(document: Mapping[str, Any], kinds_of: KindsOf) -> list[AccountPlan]:
    """The account plans of a plan file, each checked for shape (``show``, and the files ``apply --plan``
    recorded)."""
    accounts = document.get("accounts", [])
    if not isinstance(accounts, list):
        raise PlanError("not a reconciler plan file (accounts is not a list): run plan --out again")
    return [_account_plan(a, kinds_of) for a in accounts]


def check_saved_plan(
    document: Mapping[str, Any], digests: Mapping[str, str], kinds_of: KindsOf, running: str
) -> list[AccountPlan]:
    """Refuse a plan file from another version than ``running`` or for other config (``digests``: config
    digest by path); return its account plans. The version is passed in: the core imports nothing above it."""
    version = document.get("reconciler_version")
    if version != running:
        raise PlanError(f"the plan was made by reconciler {version}, this is {running}: run plan again")
    plans = read_plans(document, kinds_of)
    if sorted(digests) != sorted(p.path for p in plans):
        raise PlanError(
            f"the plan covers {', '.join(sorted(p.path for p in plans)) or 'nothing'} but the config given is "
            f"{', '.join(sorted(digests))}: run plan again with the same files"
        )
    changed = [p.path for p in plans if digests[p.path] != p.config_digest]
    if changed:
        raise PlanError(f"the config changed since the plan was made ({', '.join(changed)}): run plan again")
    return plans


def raise_if_stale(saved: AccountPlan, existing: State) -> None:
    """Every resource the saved plan touches must still be as the plan saw it."""
    moved = [r for r, seen in saved.fingerprints.items() if existing.fingerprint(r) != seen]
    if moved:
        names = ", ".join(r.replace(":", " ", 1) for r in moved)
        raise PlanError(f"stale plan: {saved.path}: {names} changed since the plan was made; run plan again")


def _by_change(plan: AccountPlan) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Each change as ``{"KIND RESOURCE": {"before": .., "after": ..}}``, and the keys listed more than once."""
    out: dict[str, dict[str, Any]] = {}
    repeated = []
    for change in plan.changes:
        key = f"{change.kind.value} {change.resource}"
        if key in out:
            repeated.append(key)
        out[key] = {"name": change.name, "before": dict(change.before), "after": dict(change.after)}
    return out, repeated


def differences(saved: AccountPlan, fresh: AccountPlan) -> list[str]:
    """How the changes of a saved plan differ from those of a fresh plan of the same config and state: one
    line per difference, naming the change and the field (empty when they are exactly the same)."""
    from deepdiff import (
        DeepDiff,
    )  # nested before/after values, told field by field; only apply --plan needs it

    theirs, repeated = _by_change(saved)
    ours, _ = _by_change(fresh)
    lines = [f"{key}: listed more than once in the plan file" for key in sorted(set(repeated))]
    found = DeepDiff(theirs, ours, view="tree")
    for report, levels in sorted(found.items()):
        for level in sorted(levels, key=lambda lv: str(lv.path())):
            path = [str(p) for p in level.path(output_format="list")]
            where = path[0] + (f": {'.'.join(path[1:])}" if len(path) > 1 else "")
            if report == "dictionary_item_removed" and len(path) == 1:
                lines.append(f"{where}: in the plan file, not in a fresh plan")
            elif report == "dictionary_item_added" and len(path) == 1:
                lines.append(f"{where}: in a fresh plan, not in the plan file")
            else:
                lines.append(
                    f"{where}: the plan file says {_shown(level.t1)}, a fresh plan {_shown(level.t2)}"
                )
    return lines + _texts_differ(saved, fresh)


def _texts(plan: AccountPlan) -> dict[str, Any]:
    """What ``show`` and the prompt display of a plan besides its changes: all of it must match too, or an
    edited file could show a reviewer another account or a reassuring rail message."""
    return {
        "account": (plan.provider, plan.account),
        "safety": [(v.rule, v.message, v.forceable) for v in plan.violations],
        "settings": [(s.name, s.default, s.value) for s in plan.settings],
        "notes": [(n.message, n.warning) for n in plan.notes],
    }


def _texts_differ(saved: AccountPlan, fresh: AccountPlan) -> list[str]:
    theirs, ours = _texts(saved), _texts(fresh)
    return [
        f"{key}: the plan file says {_shown(theirs[key])}, a fresh plan {_shown(ours[key])}"
        for key in theirs
        if theirs[key] != ours[key]
    ]


def _shown(value: Any) -> str:
    return "nothing" if type(value).__name__ == "NotPresent" else repr(value)


def raise_if_differs(saved: AccountPlan, fresh: AccountPlan) -> None:
    """A saved plan is an approval, not a program: it is applied only when a fresh plan of the same config
    and live state holds exactly its changes (kind, resource, before, after)."""
    lines = differences(saved, fresh)
    if lines:
        shown = "\n".join(f"  {line}" for line in lines[:20])
        more = f"\n  ... and {len(lines) - 20} more" if len(lines) > 20 else ""
        raise PlanError(
            f"the plan file does not match a fresh plan of {saved.path} ({len(lines)} difference(s)); "
            f"nothing was applied. Run plan --out again and review it:\n{shown}{more}"
        )
