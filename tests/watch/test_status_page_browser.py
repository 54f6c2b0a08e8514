"""The status page in a real browser: headless Chromium loads ``/`` and the rendered DOM shows each account
and its pending changes, with the vendor's hostile text as text. Chromium is the one system package the
suite uses: CI's ``.ci/run`` installs it; elsewhere the test is skipped, saying how to get it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import abtasty_config, change_user, sandbox_env, taplytics_config, wait_for, watching

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


def test_status_page_shows_each_account_and_its_pending_changes(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    _chromium()
    taplytics_config(tmp_path)
    abtasty_config(tmp_path, tap_sandbox)
    change_user(tap_sandbox, "qa-002", name=HOSTILE)
    with watching(
        [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], sandbox_env(tap_sandbox), tmp_path
    ) as watch:
        wait_for(
            lambda: watch.value("reconciler_pending_changes", provider="taplytics", account="my-app") == 1,
            20,
            "a check",
        )
        wait_for(
            lambda: (
                watch.value("reconciler_pending_changes", provider="abtasty", account="41902") is not None
            ),
            20,
            "abtasty",
        )
        dom = dump_dom(watch.url + "/")
    assert "<title>reconciler watch</title>" in dom
    assert 'data-account="my-app"' in dom and 'data-account="41902"' in dom
    assert "taplytics project my-app" in dom and "abtasty account 41902" in dom
    assert "~ user qa-002" in dom and "1 pending change(s)" in dom
    assert "in sync" in dom  # the AB Tasty account
    # The vendor's markup stayed text: no element was created from it, and no script ran.
    assert '<b id="injected"' not in dom and "<img" not in dom
    assert '&lt;b id=\\"injected\\"&gt;' in dom  # shown as text, quotes as the plan prints them (JSON)
