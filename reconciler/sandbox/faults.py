"""Fault injection: latency with jitter, 5xx, token-bucket 429, dropped connections, token expiry, and
forced statuses (a rule answers, say, 402 for one route, deterministically).

Every random decision comes from one ``random.Random(fault_seed)`` so a serial test run is reproducible.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.sandbox.clock import Clock

DropPhase = Literal["before", "after", "random"]
DROP_PHASES: tuple[str, ...] = ("before", "after", "random")
ERROR_STATUSES: tuple[int, ...] = (500, 502, 503, 504)
FORCED_KEYS = frozenset({"method", "path", "status", "message", "times"})


def _check_forced(index: int, rule: Any) -> None:
    """``ValueError`` naming the rule and field when a ``forced`` rule is malformed."""
    where = f"forced[{index}]"
    if not isinstance(rule, dict):
        raise ValueError(f"{where} must be an object")
    unknown = sorted(set(rule) - FORCED_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}")
    path, status = rule.get("path"), rule.get("status")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"{where}.path must be a path starting with '/' (a trailing '*' makes it a prefix)")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"{where}.status must be an integer from 400 to 599")
    if rule.get("method") is not None and not isinstance(rule["method"], str):
        raise ValueError(f"{where}.method must be a string or null")
    if rule.get("message") is not None and not isinstance(rule["message"], str):
        raise ValueError(f"{where}.message must be a string or null")
    times = rule.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"{where}.times must be null (always) or an integer >= 1")


def forced_matches(rule: dict[str, Any], method: str, path: str) -> bool:
    """A rule's ``method`` (null or ``*``: any) and ``path`` (exact, or a prefix when it ends in ``*``)."""
    wanted = rule.get("method")
    if wanted not in (None, "*") and str(wanted).upper() != method.upper():
        return False
    pattern = str(rule["path"])
    return path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern


@dataclass
class Faults:
    """What can go wrong. All off by default; ``token_ttl`` is the documented 43200 s.

    ``drop_phase``: ``before`` loses the request before it is processed, ``after`` processes it (a mutation
    is applied and persisted) and then loses the response, ``random`` picks one of the two each time.
    ``rate_limit_burst`` is the bucket size (default: max(1, rate_limit_rps)).
    ``throttle_rate``: a share of requests answered 429 with ``Retry-After: 1`` at random, as a busy API sheds
    load whatever one client's own rate (the token bucket models that client's quota).
    ``forced``: rules ``{"method", "path", "status", "message", "times"}``; the first rule matching a request
    answers ``status`` with ``message`` before any processing, ``times`` times (null: every time).
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    rate_limit_rps: float = 0.0
    rate_limit_burst: int | None = None
    throttle_rate: float = 0.0
    drop_rate: float = 0.0
    drop_phase: DropPhase = "random"
    token_ttl: int = 43200
    fault_seed: int | None = 0
    error_statuses: list[int] = field(default_factory=lambda: list(ERROR_STATUSES))
    forced: list[dict[str, Any]] = field(default_factory=list)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad field."""
        for name in ("latency_ms", "jitter_ms", "rate_limit_rps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("error_rate", "throttle_rate", "drop_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.drop_phase not in DROP_PHASES:
            raise ValueError("drop_phase must be one of before|after|random")
        if self.token_ttl < 1:
            raise ValueError("token_ttl must be >= 1")
        if self.rate_limit_burst is not None and self.rate_limit_burst < 1:
            raise ValueError("rate_limit_burst must be >= 1")
        if not self.error_statuses or any(not 500 <= s <= 599 for s in self.error_statuses):
            raise ValueError("error_statuses must be a non-empty list of 5xx codes")
        if not isinstance(self.forced, list):
            raise ValueError("forced must be a list of rules")
        for index, rule in enumerate(self.forced):
            _check_forced(index, rule)

    def updated(self, changes: dict[str, Any]) -> Faults:
        """A copy with ``changes`` applied; ``ValueError`` for unknown fields or bad values."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        if isinstance(changes.get("forced"), list):  # our own copies: a caller's later edits change nothing
            changes = {
                **changes,
                "forced": [dict(r) if isinstance(r, dict) else r for r in changes["forced"]],
            }
        try:
            new = dataclasses.replace(self, **changes)
            new.validate()
        except TypeError as err:  # e.g. a string compared with a number
            raise ValueError(f"bad fault value: {err}") from None
        return new


@dataclass
class Decision:
    """What the injector decided for one request."""

    delay_s: float = 0.0
    retry_after: int | None = None
    error_status: int | None = None
    drop: Literal["before", "after"] | None = None
    forced: tuple[int, str] | None = None  # (status, message) of a matching forced rule


class FaultInjector:
    """Holds the current ``Faults``, the seeded RNG and the token bucket (refilled by ``clock``: the sandbox
    sets its own)."""

    def __init__(self, faults: Faults) -> None:
        faults.validate()
        self.faults = faults
        self.clock = Clock()
        self._rng = random.Random(faults.fault_seed)
        self._tokens = 0.0
        self._stamp = self.clock.monotonic()
        self._reset_bucket()
        self._left: list[int | None] = [rule.get("times") for rule in faults.forced]

    def set(self, faults: Faults, reseed: bool = False, rearm: bool = False) -> None:
        """Switch to ``faults``; the RNG restarts from ``fault_seed`` when it changes or ``reseed`` is set;
        the forced rules' ``times`` count again from the start when they change or ``rearm`` is set (so
        changing the latency does not revive a rule that was used up)."""
        if rearm or faults.forced != self.faults.forced:
            self._left = [rule.get("times") for rule in faults.forced]
        reseed = reseed or faults.fault_seed != self.faults.fault_seed
        rate_changed = (faults.rate_limit_rps, faults.rate_limit_burst) != (
            self.faults.rate_limit_rps,
            self.faults.rate_limit_burst,
        )
        self.faults = faults
        if reseed:
            self._rng = random.Random(faults.fault_seed)
        if rate_changed:
            self._reset_bucket()

    def _capacity(self) -> float:
        f = self.faults
        return float(f.rate_limit_burst) if f.rate_limit_burst else max(1.0, f.rate_limit_rps)

    def _reset_bucket(self) -> None:
        self._tokens = self._capacity()
        self._stamp = self.clock.monotonic()

    def _take_token(self) -> int | None:
        """None when a request may pass, else the Retry-After in whole seconds."""
        rps = self.faults.rate_limit_rps
        if rps <= 0:
            return None
        now = self.clock.monotonic()
        self._tokens = min(self._capacity(), self._tokens + (now - self._stamp) * rps)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - self._tokens) / rps))

    def _force(self, method: str, path: str) -> tuple[int, str] | None:
        """The first live forced rule matching the request, used up by one."""
        for index, rule in enumerate(self.faults.forced):
            left = self._left[index]
            if (left is None or left > 0) and forced_matches(rule, method, path):
                if left is not None:
                    self._left[index] = left - 1
                status = int(rule["status"])
                return status, rule.get("message") or f"Forced status {status}"
        return None

    def decide(self, method: str, path: str) -> Decision:
        """What happens to one request. A forced rule wins over the random faults (it is deterministic) and
        draws nothing from the RNG or the token bucket."""
        f = self.faults
        decision = Decision()
        if f.latency_ms or f.jitter_ms:
            jitter = self._rng.uniform(-f.jitter_ms, f.jitter_ms) if f.jitter_ms else 0.0
            decision.delay_s = max(0.0, f.latency_ms + jitter) / 1000.0
        decision.forced = self._force(method, path)
        if decision.forced is not None:
            return decision
        decision.retry_after = self._take_token()
        if decision.retry_after is None and f.throttle_rate and self._rng.random() < f.throttle_rate:
            decision.retry_after = 1
        if decision.retry_after is not None:
            return decision
        if f.error_rate and self._rng.random() < f.error_rate:
            decision.error_status = self._rng.choice(f.error_statuses)
            return decision
        if f.drop_rate and self._rng.random() < f.drop_rate:
            phase = f.drop_phase if f.drop_phase != "random" else self._rng.choice(("before", "after"))
            decision.drop = "before" if phase == "before" else "after"
        return decision
