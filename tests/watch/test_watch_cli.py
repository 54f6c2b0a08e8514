"""``reconciler watch``'s refusals before anything starts (in-process, through the CLI's error handler)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.watch.checks import CheckSettings
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.notify import Notifier
from reconciler.watch.reload import ConfigSource
from reconciler.watch.scheduler import Watcher
from tests.support.e2e import CliRunner
from tests.support.watch import taplytics_config


def test_off_loopback_requires_both_webhook_secrets(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = taplytics_config(tmp_path)
    monkeypatch.delenv("RECONCILER_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("RECONCILER_GITHUB_WEBHOOK_SECRET", raising=False)
    result = cli("watch", str(config), "--listen", "0.0.0.0:0")
    assert result.code == 1
    assert "RECONCILER_WEBHOOK_SECRET and RECONCILER_GITHUB_WEBHOOK_SECRET" in result.err
    result = cli("watch", str(config), "--listen", "0.0.0.0:0", RECONCILER_WEBHOOK_SECRET="set-but-alone")
    assert result.code == 1 and "RECONCILER_GITHUB_WEBHOOK_SECRET" in result.err


def test_bad_options_are_user_errors(cli: CliRunner, tmp_path: Path) -> None:
    config = str(taplytics_config(tmp_path))
    bad_interval = cli("watch", config, "--interval", "soon")
    assert bad_interval.code == 1 and "not a duration" in bad_interval.err
    bad_listen = cli("watch", config, "--listen", "localhost")
    assert bad_listen.code == 1 and "HOST:PORT" in bad_listen.err
    clear_text = cli("watch", config, "--notify", "http://hooks.example.com/x")
    assert clear_text.code == 1 and "Error:" in clear_text.err
    bad_config = tmp_path / "bad.yaml"
    bad_config.write_text("version: 1\nprovider: nope\n")
    assert cli("watch", str(bad_config)).code == 1


def test_healthz_turns_unhealthy_when_the_loop_stops_beating() -> None:
    watcher = Watcher(ConfigSource([], {}), CheckSettings({}), 60.0, WatchMetrics(), Notifier([]))
    assert watcher.health() == (True, "ok")
    watcher.heartbeat = time.monotonic() - 60
    alive, reason = watcher.health()
    assert not alive and "not beaten" in reason
