"""The watch's Prometheus metrics, in a registry of their own (several watchers can share a process: tests).

Labels are the provider and the account (an AB Tasty account id, a Taplytics project name): neither is a
secret. An account whose file is removed has its series removed too, so a dashboard does not show a
stale gauge forever.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from reconciler.watch.checks import CheckResult

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_ACCOUNT = ("provider", "account")
# From a 20 ms sandbox plan to a 10,000-test account's minute.
_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class WatchMetrics:
    """Every series ``/metrics`` shows."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.pending = Gauge(
            "reconciler_pending_changes",
            "Changes the last successful check found pending.",
            _ACCOUNT,
            registry=r,
        )
        self.last_success = Gauge(
            "reconciler_last_successful_check_timestamp_seconds",
            "Unix time of the last check that completed.",
            _ACCOUNT,
            registry=r,
        )
        self.duration = Histogram(
            "reconciler_check_duration_seconds",
            "How long a check took.",
            _ACCOUNT,
            buckets=_BUCKETS,
            registry=r,
        )
        self.checks = Counter(
            "reconciler_checks", "Checks run, by outcome.", (*_ACCOUNT, "outcome"), registry=r
        )
        self.errors = Counter("reconciler_check_errors", "Checks that failed.", _ACCOUNT, registry=r)
        self.requests = Counter(
            "reconciler_api_requests",
            "API attempts by status code (or exception name), retries and token requests included.",
            (*_ACCOUNT, "status"),
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

    def record(self, provider: str, account: str, result: CheckResult, now: float) -> None:
        """Count one check's outcome."""
        labels = (provider, account)
        self.duration.labels(*labels).observe(result.duration)
        for status, count in result.requests.items():
            self.requests.labels(*labels, status).inc(count)
        if result.heal is not None:
            outcome = "failure" if result.heal.error else "success"
            self.heals.labels(*labels, outcome).inc()
        if result.error is not None or result.plan is None:
            self.errors.labels(*labels).inc()
            self.checks.labels(*labels, "error").inc()
            return
        self.checks.labels(*labels, "success").inc()
        self.pending.labels(*labels).set(len(result.plan.changes))
        self.last_success.labels(*labels).set(now)

    def forget(self, provider: str, account: str) -> None:
        """Drop every series of an account that is no longer watched."""
        metrics: list[MetricWrapperBase] = [
            self.pending,
            self.last_success,
            self.duration,
            self.checks,
            self.errors,
            self.requests,
            self.heals,
        ]
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
