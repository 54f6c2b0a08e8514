"""``/metrics`` of a running watch (issue 26): a series for every account whatever its state, the info
gauge's sync and health labels, build and process metrics, no ``_created`` series, no duplicate counter,
``http_status`` and ``error`` never mixed in one label."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from ruamel.yaml import YAML

from reconciler import __version__
from reconciler.core.plan import AccountPlan
from reconciler.loading import load_configs
from reconciler.watch.checks import CheckResult
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.scheduler import AccountStatus
from tests.support.e2e import canary_sandbox
from tests.support.watch import REPO, TAPLYTICS_CANARY, taplytics_config, wait_for, watching
from tests.support.watch_health import BROKEN, MY_APP, SHOP, three_accounts

pytestmark = pytest.mark.slow  # watch in its own process
INFO = "reconciler_account_info"


def _info(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], account: dict[str, str]
) -> dict[str, str]:
    found = [
        dict(ls) for (name, ls), _ in samples.items() if name == INFO and set(account.items()) <= set(ls)
    ]
    assert len(found) == 1, found
    return found[0]


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def scrape(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Samples]:
    """One real scrape of a watch over the three accounts, once every account was checked."""
    tmp_path = tmp_path_factory.mktemp("metrics")
    accounts = tmp_path / "accounts"
    accounts.mkdir()
    with canary_sandbox(tmp_path, TAPLYTICS_CANARY) as server:
        env = three_accounts(accounts, server)
        with watching([str(accounts), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
            wait_for(lambda: watch.value("reconciler_account_up", **MY_APP) == 1, 20, "my-app's check")
            wait_for(lambda: watch.value("reconciler_account_up", **SHOP) == 1, 20, "the shop's check")
            wait_for(
                lambda: watch.value("reconciler_checks_total", outcome="error", **BROKEN), 20, "broken-app"
            )
            return watch.get("/metrics").text, watch.metrics()


def test_every_account_has_its_series_and_states(scrape: tuple[str, Samples]) -> None:
    text, samples = scrape
    assert _info(samples, MY_APP) | {} == {**MY_APP, "sync_status": "out_of_sync", "health_status": "healthy"}
    assert _info(samples, SHOP) == {**SHOP, "sync_status": "synced", "health_status": "degraded"}
    assert _info(samples, BROKEN) == {**BROKEN, "sync_status": "unknown", "health_status": "degraded"}
    broken = tuple(sorted(BROKEN.items()))
    # Never checked successfully: every series is there, for an alert to fire on.
    assert samples[("reconciler_account_up", broken)] == 0
    assert samples[("reconciler_last_successful_check_timestamp_seconds", broken)] == 0
    assert math.isnan(samples[("reconciler_pending_changes", broken)])
    assert samples[("reconciler_pending_changes", tuple(sorted(MY_APP.items())))] == 1
    build = [dict(ls) for (name, ls) in samples if name == "reconciler_build_info"]
    assert build and build[0]["version"] == __version__ and build[0]["commit"] and build[0]["python"]
    names = {name for name, _ in samples}
    for process in ("process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"):
        assert samples[(process, ())] > 0, process
    assert "process_start_time_seconds" in names
    assert not [n for n in names if n.endswith("_created")] and "_created" not in text
    assert "reconciler_check_errors_total" not in names
    requests = [dict(ls) for (name, ls) in samples if name == "reconciler_api_requests_total"]
    assert requests and {"200", "401"} <= {r["http_status"] for r in requests}
    assert all(bool(r["http_status"]) != bool(r["error"]) for r in requests), requests
    assert all(r["http_status"].isdigit() for r in requests if r["http_status"])


def test_an_exception_is_an_error_label_and_a_fresh_account_has_every_gauge(tmp_path: Path) -> None:
    metrics = WatchMetrics()
    fresh_status = AccountStatus.of(
        load_configs([str(taplytics_config(tmp_path, name="new-app"))], env={})[0]
    )
    metrics.follow(lambda: [fresh_status])  # as the scheduler holds it before its first check
    plan = AccountPlan("app.yaml", "taplytics", "my-app", ())
    metrics.record(
        "taplytics", "my-app", CheckResult(plan=plan, requests=Counter({"200": 2, "ConnectError": 1})), 1.0
    )
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for s in family.samples
    }
    mine = (("account", "my-app"), ("provider", "taplytics"))
    assert (
        samples[
            ("reconciler_api_requests_total", (*mine[:1], ("error", ""), ("http_status", "200"), mine[1]))
        ]
        == 2
    )
    assert (
        samples[
            (
                "reconciler_api_requests_total",
                (*mine[:1], ("error", "ConnectError"), ("http_status", ""), mine[1]),
            )
        ]
        == 1
    )
    fresh = (("account", "new-app"), ("provider", "taplytics"))
    assert samples[("reconciler_account_up", fresh)] == 0
    assert samples[("reconciler_last_successful_check_timestamp_seconds", fresh)] == 0
    info = (*fresh, ("health_status", "healthy"), ("sync_status", "unknown"))
    assert samples[("reconciler_account_info", tuple(sorted(info)))] == 1


# -- docs/watch-alerts.yml against the same scrape (promtool runs the rules: tests/watch/test_watch_alerts.py) --

ALERTS = REPO / "docs" / "watch-alerts.yml"
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)")  # label lists, not series
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?")
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|!~|=)\s*"([^"]*)"')
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "bool", "offset"}
# Prometheus's own series of a scrape target, not in /metrics.
_SYNTHETIC = {"up"}


def _rules() -> list[dict[str, Any]]:
    groups = YAML(typ="safe").load(ALERTS)["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every series selector of a PromQL expression: (metric, [(label, op, value)])."""
    found = []
    for name, braces, call in _SELECTOR.findall(_GROUPING.sub("", _RANGE.sub("", expr))):
        if call or name in _KEYWORDS or name[0].isdigit():
            continue  # a function, an operator, a number
        found.append((name, _MATCHER.findall(braces or "")))
    return found


def _matching(samples: Samples, name: str, matchers: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    series = [dict(ls) for (n, ls), value in samples.items() if n == name and value == 1]
    return [s for s in series if all(s.get(label) == value for label, op, value in matchers if op == "=")]


def test_every_alert_names_metrics_and_labels_of_the_scrape(scrape: tuple[str, Samples]) -> None:
    _, samples = scrape
    rules = _rules()
    assert {r["alert"] for r in rules} >= {
        "ReconcilerWatchDown",
        "ReconcilerAccountNeverChecked",
        "ReconcilerChecksStale",
        "ReconcilerOutOfSyncTooLong",
        "ReconcilerAccountDegraded",
    }
    for rule in rules:
        where = f"{ALERTS.name} {rule['alert']}"
        assert rule["for"] and rule["labels"]["severity"] and rule["annotations"]["summary"], where
        named = [(n, m) for n, m in _selectors(rule["expr"]) if n not in _SYNTHETIC]
        for name, matchers in named:
            series = [dict(ls) for (n, ls) in samples if n == name]
            assert series, f"{where}: {name} is not in the scrape"
            for label, _op, value in matchers:
                assert any(label in s for s in series), f"{where}: {name} has no label {label}"
                assert any(s.get(label) == value for s in series), f"{where}: no {name}{{{label}={value!r}}}"
        templated = set(re.findall(r"\$labels\.([A-Za-z_]+)", str(rule["annotations"])))
        for label in templated:
            assert any(label in dict(ls) for (n, ls) in samples if n in {n for n, _ in named}), (where, label)


def test_the_state_alerts_would_fire_for_the_accounts_in_those_states(scrape: tuple[str, Samples]) -> None:
    _, samples = scrape
    rules = {r["alert"]: r for r in _rules()}
    expected = {
        "ReconcilerAccountNeverChecked": {"broken-app"},
        "ReconcilerOutOfSyncTooLong": {"my-app"},
        "ReconcilerAccountDegraded": {"broken-app", "41902"},
    }
    for alert, accounts in expected.items():
        ((name, matchers),) = _selectors(rules[alert]["expr"])
        assert {s["account"] for s in _matching(samples, name, matchers)} == accounts, alert
