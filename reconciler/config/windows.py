"""The ``sync_windows:`` section of a config file: when changes to the account may be written.

In the config (not a flag) so a pull request reviews a freeze like any other change::

    sync_windows:
      - name: black-friday
        kind: deny
        schedule: "0 0 27 11 *"      # cron, in the window's timezone
        duration: 5d
        timezone: America/New_York
        changes: [test]              # optional: only these resource types (the provider's: see window_model)

What the windows mean, and their evaluation, is ``reconciler.core.windows`` (pure, a clock argument).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model, field_validator
from pydantic_core import PydanticCustomError

from reconciler.config.models import StrictModel, _check_timezone
from reconciler.core.changes import ChangeKind
from reconciler.core.plan import AccountPlan
from reconciler.core.windows import (
    MAX_DURATION,
    Cron,
    CronError,
    Denial,
    Window,
    denials,
    describe,
    open_windows,
    refused,
)
from reconciler.errors import ReconcilerError

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def parse_window_duration(text: str) -> dt.timedelta:
    """``5d``, ``12h``, ``1h30m``, ``90m``; ``ValueError`` otherwise, or past ``MAX_DURATION``."""
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not a duration: use e.g. 5d, 12h, 1h30m")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    span = dt.timedelta(days=days, hours=hours, minutes=minutes)
    if not dt.timedelta(0) < span <= MAX_DURATION:
        raise ValueError(f"{text!r}: a window lasts more than 0 and at most {MAX_DURATION.days} days")
    return span


def _literal(value: str) -> str:
    if "${" in value:
        raise PydanticCustomError("window_reference", "a sync window is written out, never a ${VAR}")
    return value


def _cron(value: str) -> str:
    try:
        Cron.parse(value)
    except CronError as err:
        raise PydanticCustomError("cron", str(err)) from None
    return value


def _duration(value: str) -> str:
    try:
        parse_window_duration(value)
    except ValueError as err:
        raise PydanticCustomError("window_duration", str(err)) from None
    return value


Plain = Annotated[str, Field(min_length=1), AfterValidator(_literal)]


class SyncWindow(StrictModel):
    """One allow or deny window."""

    name: Plain = Field(description="Named in plan, apply's refusal and the status page.")
    kind: Literal["allow", "deny"] = Field(description="deny: no writes while open; allow: writes only then.")
    schedule: Annotated[Plain, AfterValidator(_cron)] = Field(
        description="Cron (minute hour day month weekday), in `timezone`'s wall time: when the window opens."
    )
    duration: Annotated[Plain, AfterValidator(_duration)] = Field(
        description="How long it stays open: 5d, 12h, 90m."
    )
    timezone: Annotated[Plain, AfterValidator(_check_timezone)] = Field(
        description="IANA name, e.g. Europe/Paris."
    )
    # Each provider narrows this to its own resource types (``window_model``): a window of a file can only
    # name changes its provider makes.
    changes: list[str] = Field(
        default_factory=list, description="Only these kinds of change (default: every change)."
    )

    @field_validator("changes")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("window_changes", "each kind of change once")
        return value


def change_types(kinds: type[ChangeKind]) -> tuple[str, ...]:
    """The resource types a provider's changes act on (``user`` of ``user_add``), in its kinds' order."""
    return tuple(dict.fromkeys(kind.resource_type.name for kind in kinds))


def window_model(name: str, kinds: type[ChangeKind]) -> type[SyncWindow]:
    """``SyncWindow`` for one provider: ``changes:`` takes only the resource types of ``kinds``, so a
    misspelt or foreign one is refused at load with file:line and a did-you-mean (the loader's
    ``literal_error``), and the schema lists them."""
    allowed = Literal[change_types(kinds)]  # type: ignore[valid-type]  # built from the enum at import
    return create_model(
        name,
        __base__=SyncWindow,
        __doc__=SyncWindow.__doc__,
        changes=(
            list[allowed],  # type: ignore[valid-type]
            Field(default_factory=list, description="Only these kinds of change (default: every change)."),
        ),
    )


def windows_field() -> Any:
    """The field a provider's top-level model declares: ``sync_windows: list[SyncWindow] = windows_field()``."""
    return Field(default_factory=list, description="When changes may be written (allow / deny windows).")


def windows_of(loaded: Any) -> list[Window]:
    """The windows of a ``LoadedConfig`` (none when its provider's model has no ``sync_windows``), each
    knowing how to find its FILE:LINE."""
    out = []
    for index, w in enumerate(getattr(loaded.config, "sync_windows", None) or []):
        out.append(
            Window(
                w.name,
                w.kind,
                Cron.parse(w.schedule),
                parse_window_duration(w.duration),
                w.timezone,
                frozenset(w.changes),
                locate=functools.partial(loaded.where, ("sync_windows", index)),
            )
        )
    return out


class WindowRefusal(ReconcilerError):
    """A change a sync window denies, and no ``--override-window``."""


def window_denials(loaded: Any, resources: list[str], now: dt.datetime) -> list[Denial]:
    """The changes of ``resources`` that ``loaded``'s windows refuse at ``now``."""
    return denials(windows_of(loaded), resources, now)


def enforce_windows(
    configs: list[Any], plans: list[AccountPlan], now: dt.datetime, override: str | None
) -> list[str]:
    """Refuse (``WindowRefusal``, exit 1) the plans' changes a window denies at ``now``, unless
    ``override`` gives a reason; the lines that say what was overridden (for the output and the log)."""
    by_path = {c.path: c for c in configs}
    found: list[Denial] = []
    for plan in plans:
        loaded = by_path.get(plan.path)
        if loaded is not None and plan.changes:
            found.extend(window_denials(loaded, [c.resource for c in plan.changes], now))
    if not found:
        return []
    lines = [d.message() for d in found[:10]] + (
        [f"... and {len(found) - 10} more"] if len(found) > 10 else []
    )
    if override is None:
        raise WindowRefusal(
            "a sync window denies these changes, nothing was applied:\n  "
            + "\n  ".join(lines)
            + "\nTo apply anyway (a hotfix): --override-window REASON (the reason goes to the audit log)"
        )
    return [f"overriding sync windows ({override}): {line}" for line in lines]


def windows_report(configs: list[Any], plans: list[AccountPlan], now: dt.datetime) -> list[str]:
    """What ``plan`` says about windows: each window in force and when it ends, and the changes held."""
    by_path = {p.path: p for p in plans}
    out: list[str] = []
    for loaded in configs:
        evaluated = open_windows(windows_of(loaded), now)  # once for the lines and every change
        out.extend(f"{loaded.path}: {describe(w, end)}" for w, end in evaluated if end is not None)
        plan = by_path.get(loaded.path)
        held = refused(evaluated, [c.resource for c in plan.changes]) if plan else []
        if held:
            out.append(
                f"{loaded.path}: {len(held)} change(s) held by a sync window: apply would refuse them "
                "(--override-window REASON to apply anyway)"
            )
    return out
