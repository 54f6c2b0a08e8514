"""The Flagship rails and refusals, through the CLI against the sandbox: panic on is refused without
``--force`` (and applied with it), ``min_admins`` is refused even with it, an unknown or ambiguous campaign
is an error naming its YAML line, none of them sends a write; a failed flag POST is read back before it is
sent again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.flagship.state import ACCOUNT_ID, state_of
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import sandbox_server
from tests.support.flagship import FLAGSHIP_CANARY, api_requests, flagship_cli, section, write_flagship


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with sandbox_server(flagship_client_secret=FLAGSHIP_CANARY) as running:
        yield running


@pytest.fixture
def run(server: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    return flagship_cli(server, monkeypatch, capsys)


def writes(server: SandboxServer) -> list[str]:
    sent = api_requests(server)
    return [f"{r['method']} {r['path']}" for r in sent if r["method"] != "GET" and "token" not in r["path"]]


def test_panic_on_needs_force(run: Any, server: SandboxServer, tmp_path: Path) -> None:
    config = str(write_flagship(tmp_path, "panic: on\n"))
    refused = run("apply", config, "--auto-approve")
    assert refused.code == 1
    assert "refusing to turn panic mode on" in refused.all and "--force" in refused.all
    assert writes(server) == [] and section(server)["panic"] is False
    forced = run("apply", config, "--auto-approve", "--force")
    assert forced.code == 0, forced.all
    assert section(server)["panic"] is True
    assert run("plan", config, "--detailed-exitcode").code == 0
    off = write_flagship(tmp_path, "panic: off\n", "off.yaml")
    assert run("apply", str(off), "--auto-approve").code == 0  # turning it off needs no force
    assert section(server)["panic"] is False


def test_min_admins_is_not_forceable(run: Any, server: SandboxServer, tmp_path: Path) -> None:
    body = "users:\n  prune: true\n  members:\n    - email: bob@example.com\n      role: CREATOR\n"
    config = str(write_flagship(tmp_path, "  safety:\n    min_admins: 1\n" + body))
    refused = run("apply", config, "--auto-approve", "--force")
    assert refused.code == 1
    assert "leaves 0 admin(s) (now 2); min_admins is 1" in refused.all
    assert writes(server) == []


def test_unknown_and_ambiguous_campaigns_name_their_line(
    run: Any, server: SandboxServer, tmp_path: Path
) -> None:
    for campaign in state_of(server.sandbox).fs_campaigns[:2]:  # the live records: two campaigns, one name
        campaign["name"] = "Twin"
    body = (
        "campaigns:\n  - id: nope\n    state: active\n  - name: Missing\n    state: paused\n"
        "  - name: Twin\n    state: paused\n"
    )
    config = write_flagship(tmp_path, body)
    result = run("plan", str(config))
    assert result.code == 1
    assert f"{config}:7: campaign nope is not in environment" in result.err
    assert f"{config}:9: no campaign named 'Missing'" in result.err
    assert f"{config}:11: 2 campaigns are named 'Twin' (c01, c02): give the id instead" in result.err
    assert writes(server) == []


def test_a_failed_flag_post_is_read_back_before_it_is_sent_again(
    run: Any, server: SandboxServer, tmp_path: Path
) -> None:
    path = f"/v1/accounts/{ACCOUNT_ID}/flags"
    server.set_faults(forced=[{"method": "POST", "path": path, "status": 502, "times": 1}])
    config = str(write_flagship(tmp_path, "flags:\n  keys:\n    - key: fresh\n      type: number\n"))
    assert run("apply", config, "--auto-approve").code == 0
    assert [f["name"] for f in section(server)["flags"]].count("fresh") == 1
    posts = [r["status"] for r in api_requests(server) if r["method"] == "POST" and r["path"] == path]
    assert posts == [502, 201]  # refused, the list read back (no flag), then sent once more
