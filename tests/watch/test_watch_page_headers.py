"""``GET /`` of a running watch, over a real socket, with a config whose user name is markup: the page is
sent with its Content-Security-Policy (no script may run, whatever got in) and holds no ``<script`` at all,
the name being shown escaped."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.server import SandboxServer
from reconciler.watch.page import CSP
from tests.support.watch import sandbox_env, taplytics_config, wait_for, watching

ACCOUNT = {"provider": "taplytics", "account": "my-app"}
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _page_with(url: str, text: str) -> httpx.Response | None:
    page = httpx.get(url + "/", timeout=10)
    return page if text in page.text else None


@pytest.mark.slow
def test_the_page_has_its_csp_and_no_script(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    taplytics_config(
        tmp_path, users=f"  - user_id: qa-new\n    email: qa+new@example.com\n    name: '{HOSTILE}'\n"
    )
    with watching(
        [str(tmp_path), "--interval", "1h", "--listen", "127.0.0.1:0"], sandbox_env(tap_sandbox), tmp_path
    ) as watch:
        wait_for(
            lambda: watch.value("reconciler_pending_changes", provider="taplytics", account="my-app"),
            20,
            "the drift",
        )
        page = wait_for(lambda: _page_with(watch.url, "qa-new"), 20, "the drift on the page")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert "script-src" not in CSP and "default-src 'none'" in CSP  # nothing may run
    assert "<script" not in page.text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # shown, escaped
