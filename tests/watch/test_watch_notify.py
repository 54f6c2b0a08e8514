"""Notifications of a running watch (issue 26): every shape stamped with the time, the account's sync and
health states, the config revision (git HEAD) and the page link (``--public-url``); Microsoft Teams'
Workflows webhook receives an Adaptive Card whose text is escaped; all over real HTTP to a local receiver."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import run_cli
from tests.support.watch import CANARIES, Receiver, change_user, taplytics_config, wait_for, watching
from tests.support.watch_health import three_accounts

pytestmark = pytest.mark.slow  # watch in its own process
PAGE = "https://watch.example.com/status/"
PHISH = "[Approve](https://evil.example) **now** <b>x</b>"
_GIT = ["-c", "user.name=t", "-c", "user.email=t@example.com"]


def _commit(directory: Path) -> str:
    for args in (["init", "-q"], ["add", "."], [*_GIT, "commit", "-q", "-m", "accounts"]):
        subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True)
    head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True)
    return head.stdout.strip()[:12]


def _shaped(received: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The bodies by shape: the generic JSON, Slack's text, Teams' message."""
    return {
        "json": [r for r in received if "event" in r],
        "slack": [r for r in received if set(r) == {"text"}],
        "teams": [r for r in received if "attachments" in r],
    }


def test_every_shape_is_stamped_and_teams_gets_an_escaped_adaptive_card(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts"
    accounts.mkdir()
    env = three_accounts(accounts, tap_sandbox)
    commit = _commit(accounts)
    change_user(tap_sandbox, "qa-001", name=PHISH)
    with Receiver() as receiver:
        args = [str(accounts), "--interval", "1h", "--listen", "127.0.0.1:0", "--public-url", PAGE]
        args += [
            "--notify",
            receiver.url,
            "--notify",
            f"slack+{receiver.url}",
            "--notify",
            f"teams+{receiver.url}",
        ]
        with watching(args, env, tmp_path):
            wait_for(lambda: len(receiver.received) >= 6, 30, "drift and failure, in three shapes each")
        shapes = _shaped(receiver.received)
    everything = json.dumps(receiver.received)
    for canary in CANARIES:
        assert canary not in everything
    drift = next(e for e in shapes["json"] if e["event"] == "drift")
    assert (drift["account"], drift["sync_status"], drift["health_status"]) == (
        "my-app",
        "out_of_sync",
        "healthy",
    )
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", drift["timestamp"])
    assert drift["page"] == PAGE and drift["revision"] == f"git {commit}"
    failed = next(e for e in shapes["json"] if e["event"] == "check_failed")
    assert (failed["sync_status"], failed["health_status"]) == ("unknown", "degraded")
    assert "401" in failed["health_reasons"][0]

    slack = next(s["text"] for s in shapes["slack"] if s["text"].startswith("Drift in taplytics my-app"))
    assert f"<{PAGE}|status page>" in slack and f"config revision: git {commit}" in slack
    assert "sync: out_of_sync" in slack and "at: 20" in slack

    (attachment,) = next(t for t in shapes["teams"] if "Drift in" in json.dumps(t))["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Status page", "url": PAGE}
    ]
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert texts[0].startswith("Drift in taplytics my-app")  # no escape Teams mobile would show
    phish = next(t for t in texts if "qa" in t and "Approve" in t)
    # Shown as characters, never a link, emphasis or HTML: every piece of markup is escaped.
    assert r"\[Approve\](https\://evil.example) \*\*now\*\* \<b\>x\</b\>" in phish, phish
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["sync"] == r"out\_of\_sync" and facts["config revision"] == f"git {commit}"


@pytest.mark.parametrize(
    "url", ["ftp://watch.example.com/", "watch.example.com", "https:///path", "https://a b/"]
)
def test_a_bad_public_url_is_a_clear_error(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = taplytics_config(tmp_path)
    result = run_cli(monkeypatch, capsys, {}, "watch", str(config), "--public-url", url)
    assert result.code == 1
    assert "--public-url" in result.err and "e.g. https://watch.example.com/" in result.err
