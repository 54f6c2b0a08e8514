"""The status page in a real browser: headless Chromium loads ``/`` and the rendered DOM shows each account
and its pending changes, with the vendor's hostile text as text. Chromium is the one system package the
suite uses: CI's ``.ci/run`` installs it; elsewhere the test is skipped, saying how to get it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.sandbox.server import SandboxServer
from tests.support.watch import change_user, wait_for, watching
from tests.support.watch_health import BROKEN, MY_APP, SHOP, SUMMER_SALE, three_accounts

pytestmark = pytest.mark.slow  # a headless browser

HOW_TO_GET_CHROMIUM = "install Debian's package (sudo apt-get update && sudo apt-get install chromium)"
HOSTILE = '<img src=x onerror="document.title=1"><b id="injected">x</b>'


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"chromium is missing: {HOW_TO_GET_CHROMIUM} (.ci/run does this before make test)")
        pytest.skip(f"chromium is not installed: {HOW_TO_GET_CHROMIUM} to run this test")
    return found


def dump_dom(url: str) -> str:
    """The DOM after the page ran (and would have run any script), as Chromium serializes it."""
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--virtual-time-budget=3000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(url: str, path: Path) -> None:
    """A PNG of the page as Chromium renders it, 1400 px wide (to look at: a test cannot judge legibility)."""
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1400,900",
        f"--screenshot={path}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and path.stat().st_size > 0, done.stderr[-2000:]


def _commit(directory: Path) -> str:
    """Make ``directory`` a git repository holding its files; the commit."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "accounts"]):
        subprocess.run(["git", "-C", str(directory), *args], check=True, env=env, capture_output=True)
    head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True)
    return head.stdout.strip()


def test_status_page_shows_each_account_worst_first(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    _chromium()
    accounts = tmp_path / "accounts"
    accounts.mkdir()
    env = three_accounts(accounts, tap_sandbox)
    commit = _commit(accounts)
    change_user(tap_sandbox, "qa-001", name=HOSTILE)
    with watching([str(accounts), "--interval", "1h", "--listen", "127.0.0.1:0"], env, tmp_path) as watch:
        wait_for(lambda: watch.value("reconciler_pending_changes", **MY_APP) == 2, 20, "my-app's check")
        wait_for(lambda: watch.value("reconciler_account_up", **SHOP) == 1, 20, "the shop's check")
        wait_for(lambda: watch.value("reconciler_checks_total", outcome="error", **BROKEN), 20, "broken-app")
        dom = dump_dom(watch.url + "/")
        screenshot(watch.url + "/", tmp_path / "status-page.png")
    assert "<title>reconciler watch</title>" in dom
    assert "3 accounts: 1 synced, 1 out of sync, 1 unknown; 2 degraded" in dom
    assert f"reconciler {__version__}" in dom and f"git {commit[:12]}" in dom
    assert "next 20" in dom  # the next check's time (this century)
    # Worst first: degraded (never checked, then in sync), then out of sync and healthy.
    order = re.findall(r'data-account="([^"]+)" data-sync="([^"]+)" data-health="([^"]+)"', dom)
    assert order == [
        ("broken-app", "unknown", "degraded"),
        ("41902", "synced", "degraded"),
        ("my-app", "out_of_sync", "healthy"),
    ]
    assert "the last check failed" in dom and "401" in dom
    assert f'test {SUMMER_SALE} "Summer sale" is paused, yet its start time' in dom
    assert "2 pending change(s)" in dom
    # One entry per line, never wrapped inside: an element each, under white-space: pre.
    entries = re.findall(r"<li>([~+-] user qa-00[12][^<]*)</li>", dom)
    assert len(entries) == 2, dom
    assert ".plan li{white-space:pre;" in dom
    # The vendor's markup stayed text: no element was created from it, and no script ran.
    assert '<b id="injected"' not in dom and "<img" not in dom and "<b>behind</b>" not in dom
    assert "&lt;b id=" in dom and "&lt;b&gt;behind&lt;/b&gt;" in dom
