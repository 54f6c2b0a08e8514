"""What deserves a notification, decided once per check and per account, without repeating itself.

- ``drift``: pending changes appeared, or the pending changes are not the ones already reported;
- ``drift_cleared``: the account is in sync again after a reported drift;
- ``check_failed``: a check failed with an error other than the last one reported (a failure that lasts
  is reported once, and again only when its message changes);
- ``self_healed`` / ``self_heal_failed``: what a self-heal did (a failure, like a check's, once per message).

The drift's identity is a digest of its changes (kind, resource, before, after): the same drift seen at every
interval is one event; a drift that grows or changes is a new one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.plan import AccountPlan
from reconciler.render import render_text
from reconciler.watch.checks import CheckResult

MAX_LINES = 50  # changes listed in one event; the count says how many there are


@dataclass(frozen=True)
class Event:
    """One notification: its kind, the account, the plan (as the CLI prints it) or the error."""

    kind: str
    provider: str
    account: str
    path: str
    changes: tuple[str, ...] = ()
    total: int = 0
    plan_text: str = ""
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON body a ``--notify`` URL receives."""
        return {
            "event": self.kind,
            "provider": self.provider,
            "account": self.account,
            "path": self.path,
            "pending_changes": self.total,
            "changes": list(self.changes),
            "plan": self.plan_text,
            "error": self.error,
        }

    def headline(self) -> str:
        """One line for people (Slack's text, the log)."""
        where = f"{self.provider} {self.account} ({self.path})"
        return {
            "drift": f"Drift in {where}: {self.total} pending change(s)",
            "drift_cleared": f"Drift cleared in {where}: in sync",
            "check_failed": f"Check failed for {where}: {self.error}",
            "self_healed": f"Self-healed {where}: {self.total} change(s) applied",
            "self_heal_failed": f"Self-heal failed for {where}: {self.error}",
            "config_error": f"Config files not reloaded ({self.path}), the last good ones stay in use: {self.error}",
        }.get(self.kind, f"{self.kind} in {where}")


def drift_digest(plan: AccountPlan) -> str:
    """The identity of a drift: what would change, not when it was seen."""
    body = [[c.kind.value, c.resource, dict(c.before), dict(c.after)] for c in plan.changes]
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class EventTracker:
    """What was last reported for one account."""

    provider: str
    account: str
    path: str
    drift: str | None = None
    error: str | None = None
    heal_error: str | None = None
    _out: list[Event] = field(default_factory=list)

    def events(self, result: CheckResult) -> list[Event]:
        """The notifications ``result`` calls for (often none)."""
        self._out = []
        if result.heal is not None:
            self._heal(result)
        if result.error is not None or result.plan is None:
            if result.error != self.error:
                self._emit("check_failed", error=result.error)
            self.error = result.error
            return self._out
        self.error = None
        digest = drift_digest(result.plan) if result.plan.changes else None
        if digest is not None and digest != self.drift:
            self._emit("drift", plan=result.plan)
        elif digest is None and self.drift is not None:
            self._emit("drift_cleared")
        self.drift = digest
        return self._out

    def _heal(self, result: CheckResult) -> None:
        heal = result.heal
        assert heal is not None
        if heal.error is None:
            self.heal_error = None
            self._emit("self_healed", plan=heal.plan)
            self.drift = None  # healed drift needs no "cleared" after it
        elif heal.error != self.heal_error:
            self.heal_error = heal.error
            self._emit("self_heal_failed", error=heal.error, plan=heal.plan)

    def _emit(self, kind: str, *, plan: AccountPlan | None = None, error: str | None = None) -> None:
        lines = plan_lines(plan) if plan is not None else []
        self._out.append(
            Event(
                kind,
                self.provider,
                self.account,
                self.path,
                tuple(lines[:MAX_LINES]),
                len(plan.changes) if plan is not None else 0,
                render_text([plan]) if plan is not None else "",
                error,
            )
        )


def plan_lines(plan: AccountPlan) -> list[str]:
    """Each change as the CLI prints it (``~ user qa-001 "QA One": ...``), without the heading."""
    text = render_text([plan])
    return [line.strip() for line in text.splitlines() if line.startswith("  ")]
