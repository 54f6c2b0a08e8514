"""docs/watch-alerts.yml without a watch: the state alerts group by (provider, account), so a flip of the
other state label (which replaces the ``reconciler_account_info`` series) does not restart their ``for:``
timer; and, where ``promtool`` is installed (.ci/run makes sure of it), ``promtool check rules`` and
``promtool test rules docs/watch-alerts.test.yml`` pass. tests/watch/test_watch_metrics.py checks the
metric and label names against a real scrape."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.support.watch import REPO

DOCS = REPO / "docs"
ALERTS, ALERT_TESTS = DOCS / "watch-alerts.yml", DOCS / "watch-alerts.test.yml"
HOW_TO_GET_PROMTOOL = (
    "install Debian's prometheus package (sudo apt-get install prometheus), or extract promtool from it "
    "(apt-get download prometheus && dpkg-deb -x prometheus_*.deb DIR, then DIR/usr/bin on PATH)"
)
STATES = {"sync_status", "health_status"}
_GROUPED = re.compile(r"^max by \(provider, account\) \((reconciler_account_info\{([^}]*)\})\) == 1$")


def _rules() -> dict[str, dict[str, Any]]:
    groups = YAML(typ="safe").load(ALERTS)["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


@pytest.mark.parametrize(
    "alert", ["ReconcilerAccountNeverChecked", "ReconcilerOutOfSyncTooLong", "ReconcilerAccountDegraded"]
)
def test_a_state_alert_survives_a_flip_of_the_other_state(alert: str) -> None:
    expr = " ".join(_rules()[alert]["expr"].split())
    grouped = _GROUPED.match(expr)
    assert grouped, (
        f"{alert}: {expr!r} must be max by (provider, account) (reconciler_account_info{{...}}) == 1"
    )
    labels = {m.split("=")[0].strip() for m in grouped.group(2).split(",")}
    assert len(labels & STATES) == 1, f"{alert} names one state label, the other may flip: {labels}"


def test_the_rules_pass_promtool() -> None:
    tests = YAML(typ="safe").load(ALERT_TESTS)
    assert tests["rule_files"] == [ALERTS.name]
    tested = {t["alertname"] for case in tests["tests"] for t in case["alert_rule_test"]}
    assert tested >= {"ReconcilerOutOfSyncTooLong", "ReconcilerAccountDegraded"}
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"promtool is missing: {HOW_TO_GET_PROMTOOL} (.ci/run does this before make test)")
        warnings.warn(
            f"promtool is not installed, the rules were only parsed: {HOW_TO_GET_PROMTOOL}", stacklevel=1
        )
        return
    for command in (["check", "rules", ALERTS.name], ["test", "rules", ALERT_TESTS.name]):
        run = subprocess.run(
            [promtool, *command], cwd=DOCS, capture_output=True, text=True, timeout=60, check=False
        )
        assert run.returncode == 0, f"promtool {' '.join(command)}:\n{run.stdout}{run.stderr}"
