"""The watch's Prometheus metrics, in a registry of their own (several watchers can share a process: tests).

Two kinds of series:

- **per account, from the first scrape**: ``reconciler_account_up``, ``reconciler_account_info`` (Argo CD's
  ``argocd_app_info``: value 1, the states in labels), ``reconciler_pending_changes`` and
  ``reconciler_last_successful_check_timestamp_seconds``, read from the watcher's accounts at scrape time
  (``follow``), so an account that never had a successful check still has every series and an alert on it
  can fire. A removed account's series disappear with it.
- **counted**: checks, API attempts, self-heals, reloads, notifications, check durations.

Plus ``reconciler_build_info`` and the process's own (resident memory, CPU, open file descriptors, start
time). No ``_created`` series (they double the series count for a timestamp nobody alerts on). Labels are
the provider and the account (an AB Tasty account id, a Taplytics project name): neither is a secret; an API
attempt is labelled ``http_status`` (``200``, ``429``) or ``error`` (``ConnectError``), never both in one.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

from reconciler import __version__
from reconciler.watch.checks import CheckResult
from reconciler.watch.health import Observed, assess
from reconciler.watch.revision import build_commit

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_ACCOUNT = ("provider", "account")
# From a 20 ms sandbox plan to a 10,000-test account's minute.
_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
NEVER = (
    0.0  # last_successful_check_timestamp before any success: "time() - it" is huge, a staleness alert fires
)
UNKNOWN_PENDING = math.nan  # pending_changes before any success: unknown, not zero

# Process-wide (the watch is prometheus_client's only user here); the library's function is untyped.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Tracked(Observed, Protocol):
    """An account as the scrape reads it (the scheduler's ``AccountStatus``)."""

    provider: str
    account: str
    last_success: float | None


class _Accounts(Collector):
    """The per-account gauges, computed from the watcher's accounts at every scrape."""

    def __init__(self) -> None:
        self.source: Callable[[], Iterable[Tracked]] = list

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = self._families()
        up, info, pending, last = families
        for status in self.source():
            labels = [status.provider, status.account]
            state = assess(status)
            up.add_metric(labels, 1.0 if status.error is None and status.plan is not None else 0.0)
            info.add_metric([*labels, state.sync.value, state.condition.value], 1.0)
            plan = status.plan
            pending.add_metric(labels, float(len(plan.changes)) if plan is not None else UNKNOWN_PENDING)
            last.add_metric(labels, status.last_success if status.last_success is not None else NEVER)
        return iter(families)

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                "reconciler_account_up",
                "1 when the account's last check succeeded; 0 when it failed or none has finished yet.",
                labels=_ACCOUNT,
            ),
            GaugeMetricFamily(
                "reconciler_account_info",
                "Always 1: the account's sync status (synced, out_of_sync, unknown) and health status "
                "(healthy, degraded) in labels.",
                labels=[*_ACCOUNT, "sync_status", "health_status"],
            ),
            GaugeMetricFamily(
                "reconciler_pending_changes",
                "Changes the last successful check found pending; NaN before the first successful check.",
                labels=_ACCOUNT,
            ),
            GaugeMetricFamily(
                "reconciler_last_successful_check_timestamp_seconds",
                "Unix time of the last successful check; 0 when none has succeeded.",
                labels=_ACCOUNT,
            ),
        ]


class WatchMetrics:
    """Every series ``/metrics`` shows."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._accounts = _Accounts()
        r.register(self._accounts)
        ProcessCollector(registry=r)
        Gauge(
            "reconciler_build_info",
            "Always 1: the running reconciler's version, commit and Python in labels.",
            ("version", "commit", "python"),
            registry=r,
        ).labels(__version__, build_commit(), platform.python_version()).set(1)
        self.duration = Histogram(
            "reconciler_check_duration_seconds",
            "How long a check took.",
            _ACCOUNT,
            buckets=_BUCKETS,
            registry=r,
        )
        self.checks = Counter(
            "reconciler_checks",
            "Checks run, by outcome (success, error).",
            (*_ACCOUNT, "outcome"),
            registry=r,
        )
        self.requests = Counter(
            "reconciler_api_requests",
            "API attempts, retries and token requests included: by HTTP status code when a response came "
            "back (http_status), else by exception name (error).",
            (*_ACCOUNT, "http_status", "error"),
            registry=r,
        )
        self.heals = Counter(
            "reconciler_self_heal_applies",
            "Self-heal applies, by outcome (success: every change applied).",
            (*_ACCOUNT, "outcome"),
            registry=r,
        )
        self.config_errors = Counter(
            "reconciler_config_reload_errors", "Re-reads of the config files that failed.", registry=r
        )
        self.notifications = Counter(
            "reconciler_notifications", "Notification deliveries, by outcome.", ("outcome",), registry=r
        )

    def follow(self, accounts: Callable[[], Iterable[Tracked]]) -> None:
        """Read the per-account gauges from ``accounts`` at every scrape (the watcher's account statuses)."""
        self._accounts.source = accounts

    def record(self, provider: str, account: str, result: CheckResult, now: float) -> None:
        """Count one check's outcome (the per-account gauges come from ``follow``)."""
        labels = (provider, account)
        self.duration.labels(*labels).observe(result.duration)
        for outcome, count in result.requests.items():
            status, error = (outcome, "") if outcome.isdigit() else ("", outcome)
            self.requests.labels(*labels, status, error).inc(count)
        if result.heal is not None:
            outcome = "failure" if result.heal.error else "success"
            self.heals.labels(*labels, outcome).inc()
        failed = result.error is not None or result.plan is None
        self.checks.labels(*labels, "error" if failed else "success").inc()

    def forget(self, provider: str, account: str) -> None:
        """Drop every counted series of an account that is no longer watched."""
        metrics: list[MetricWrapperBase] = [self.duration, self.checks, self.requests, self.heals]
        for metric in metrics:
            for labels in _series_of(metric, provider, account):
                metric.remove(*labels)

    def exposition(self) -> bytes:
        """The text format a scraper reads."""
        return generate_latest(self.registry)


def _series_of(metric: MetricWrapperBase, provider: str, account: str) -> list[tuple[str, ...]]:
    # prometheus_client keeps each child under its label values; no public listing exists.
    children: dict[tuple[str, ...], object] = getattr(metric, "_metrics", {})
    return [labels for labels in list(children) if labels[:2] == (provider, account)]
