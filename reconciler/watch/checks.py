"""One check of one account: plan it, and with ``--self-heal`` apply the drift through the CLI's apply path.

Everything the check learns is in a ``CheckResult``; nothing here keeps state between checks, counts
metrics or notifies: the scheduler does that with the result.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.audit import AuditLog, run_context
from reconciler.config.drift import heals
from reconciler.config.loaded import LoadedConfig
from reconciler.config.windows import window_denials
from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.core.schedule import ApplyResult, Outcome, Status
from reconciler.encode import terminal
from reconciler.engine import Session
from reconciler.errors import ReconcilerError
from reconciler.http.attempts import observe_attempts
from reconciler.providers import registry
from reconciler.redaction import redact

logger = logging.getLogger("reconciler.watch")


@dataclass(frozen=True)
class Heal:
    """What a self-heal did: the plan it applied and how many changes applied / failed / were skipped."""

    plan: AccountPlan
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    error: str | None = None


@dataclass
class CheckResult:
    """The outcome of one check: the plan left pending (after a self-heal, what is still pending), or the
    error that stopped it; what a self-heal did; the API attempts by outcome ("200", "429", ...)."""

    plan: AccountPlan | None = None
    error: str | None = None
    heal: Heal | None = None
    requests: Counter[str] = field(default_factory=Counter)
    duration: float = 0.0
    held: tuple[str, ...] = ()  # the changes a sync window keeps self-heal from applying, and why
    unsettled: str | None = None  # why self-heal did not apply: the config files are being written

    @property
    def throttled(self) -> bool:
        """Whether the API answered 429 at least once (the scheduler backs off)."""
        return self.requests["429"] > 0


@dataclass(frozen=True)
class CheckSettings:
    """How checks talk to the APIs: the environment, the sandbox overlay, parallelism, self-heal."""

    env: Mapping[str, str]
    sandbox_env: Mapping[str, str] | None = None
    parallelism: int = 8
    self_heal: bool = False
    allow_hosts: tuple[str, ...] = ()  # --allow-host: hosts trusted with credentials besides the vendors'
    audit_log: Path | None = None  # --audit-log: every change a self-heal attempts, as apply writes it
    # The wall clock the sync windows are read on (tests move it; the sandbox's clock is separate).
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))


Events = Callable[[AccountPlan, Outcome], None]
Unsettled = Callable[[LoadedConfig], str | None]  # why a config must not be applied now (ConfigSource)


class _Withheld(Exception):
    """Raised by the check of the plan made under the lock: a window or the files forbid applying it."""


async def run_check(
    loaded: LoadedConfig, settings: CheckSettings, unsettled: Unsettled | None = None
) -> CheckResult:
    """Plan ``loaded``'s account (and heal it when asked, once ``unsettled`` has no objection: it is asked
    right before applying); never raises a ``ReconcilerError``."""
    result = CheckResult()
    start = time.perf_counter()
    session = Session(
        [loaded], settings.env, settings.parallelism, settings.sandbox_env, allow_hosts=settings.allow_hosts
    )
    with observe_attempts(lambda _method, outcome: result.requests.update((outcome,))):
        try:
            result.plan = (await session.plan())[0]
            # `drift: accept` / `report`: the account's drift is a person's to settle, never self-healed
            heal = settings.self_heal and heals(loaded.config)
            if heal:
                _withhold(result, result.plan, loaded, settings, unsettled)
            if heal and result.plan.changes and not result.held and not result.unsettled:
                result.heal = await _heal(session, result, result.plan, loaded, settings, unsettled)
                if result.heal is not None and result.heal.applied:
                    result.plan = (await session.plan())[0]  # what is left, so the gauge tells the truth
        except ReconcilerError as err:
            result.error = redact(str(err))
        except Exception as err:  # a bug must not stop the watch: report it as this account's error
            logger.exception("internal error while checking %s", loaded.path)
            result.error = redact(f"internal error ({type(err).__name__}): a bug in reconciler, see the log")
    result.duration = time.perf_counter() - start
    return result


def _withhold(
    result: CheckResult,
    plan: AccountPlan,
    loaded: LoadedConfig,
    settings: CheckSettings,
    unsettled: Unsettled | None,
) -> bool:
    """Whether ``plan`` must not be applied now, the reason kept in ``result``: a sync window denies one of
    its changes (self-heal waits for it to open, at a later check), or the files are being written."""
    now = settings.clock()
    resources = [c.resource for c in plan.changes]
    result.held = tuple(d.message() for d in window_denials(loaded, resources, now))
    result.unsettled = None
    if plan.changes and not result.held and unsettled is not None:
        result.unsettled = unsettled(loaded)
    return bool(result.held or result.unsettled)


async def _heal(
    session: Session,
    result: CheckResult,
    first: AccountPlan,
    loaded: LoadedConfig,
    settings: CheckSettings,
    unsettled: Unsettled | None,
) -> Heal | None:
    """Apply through ``Session.apply`` as ``reconciler apply --auto-approve`` does (nothing approved in
    advance: a fresh fetch and plan under the account's lock), the rails enforced (never forced), every
    change attempted unless it depends on a failed one. No ``stop``: a signal lets a self-heal finish.
    The plan made under the lock is the one applied, so the windows and the files are checked again on it
    (the account or the files may have changed since the first plan): None when they withhold it.
    With ``--audit-log``, each outcome is written there first, as apply writes it."""

    def recheck(plans: list[AccountPlan]) -> None:
        if _withhold(result, plans[0], loaded, settings, unsettled):
            result.plan = plans[0]  # what is pending now, and what the reasons are about
            raise _Withheld

    try:
        if settings.audit_log is None:
            results = await session.apply(force=False, on_event=_log_outcome, on_plan=recheck)
        else:
            # The context is taken at each heal: git-sync may have moved the checkout since the last one.
            context = await asyncio.to_thread(watch_context, loaded, settings.env)
            with AuditLog(settings.audit_log, context) as audit:
                events = _both(audit.record, _log_outcome)
                results = await session.apply(force=False, on_event=events, on_plan=recheck)
    except _Withheld:
        return None
    except ReconcilerError as err:  # a rail refused, the fetch failed, the log cannot be opened: none applied
        return Heal(first, error=redact(str(err)))
    return _heal_of(results[0])


def watch_context(loaded: LoadedConfig, env: Mapping[str, str]) -> dict[str, object]:
    """An audit line's ``run`` for a self-heal: apply's (user, host, the config's git commit, CI) with the
    watch's own instead of a pull request's: the command, the process and the hash of the file applied."""
    return run_context(
        [loaded.path], env, command="watch --self-heal", pid=os.getpid(), config_sha256=loaded.digest
    )


def _both(first: Events, then: Events) -> Events:
    def both(plan: AccountPlan, outcome: Outcome) -> None:
        first(plan, outcome)  # durably in the audit log before anything else is told
        then(plan, outcome)

    return both


def _log_outcome(plan: AccountPlan, outcome: Outcome) -> None:
    """``self-heal taplytics my-app: applied: user qa-001 "QA One": name ...``: apply's words, not the keys."""
    reason = f" ({outcome.reason})" if outcome.reason else ""
    line = f"self-heal {plan.provider} {plan.account}: {outcome.status}: {change_words(plan, outcome.change)}"
    level = logging.INFO if outcome.status is Status.APPLIED else logging.WARNING
    logger.log(level, redact(line + reason))


def change_words(plan: AccountPlan, change: Change) -> str:
    """The change as the plan names it (``test 381296 "Public API Test": state pause -> play``)."""
    provider = registry.get(plan.provider)
    if provider is None:  # pragma: no cover - a plan only exists for an installed provider
        return change.resource
    sep = " " if provider.inline(change) else ": "
    return terminal.text(f"{provider.label(change)}{sep}{provider.describe(change)}")  # server-chosen names


def _heal_of(result: ApplyResult) -> Heal:
    failures = [o for o in result.outcomes if o.status in (Status.FAILED, Status.SKIPPED)]
    error = "; ".join(f"{change_words(result.plan, o.change)}: {o.reason}" for o in failures[:5]) or None
    return Heal(
        result.plan,
        applied=result.count(Status.APPLIED),
        failed=result.count(Status.FAILED),
        skipped=result.count(Status.SKIPPED),
        error=redact(error) if error else None,
    )
