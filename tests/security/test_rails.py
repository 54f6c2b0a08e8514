"""Issue 13.6: rails that cannot be walked around. Every case applies against a generated account over real
HTTP and asserts the exit code and that nothing was changed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.engine import lock_key
from reconciler.lock import account_lock
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import Result, generated, mutations, run_cli, server_env, write_config

Cli = Callable[..., Result]
SEED = "generated:tests=40,members=20"


@pytest.fixture
def big(tmp_path: Path) -> Iterator[SandboxServer]:
    """40 tests (about a third playing), 20 members (two admins)."""
    yield from generated(tmp_path, SEED)


@pytest.fixture
def run(big: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    def invoke(*args: str, **env: str) -> Result:
        return run_cli(monkeypatch, capsys, {**server_env(big), **env}, *args)

    return invoke


def _playing(server: SandboxServer) -> list[int]:
    return sorted(t["id"] for t in server.state()["tests"].values() if t["state"] == "play")


def _tests(ids: list[int], entry: str) -> str:
    return "tests:\n" + "".join(f"  - id: {i}\n{entry}" for i in ids)


def _local(delta: dt.timedelta) -> str:
    # To the minute: a schedule with seconds is refused at validation (issue 25, item 16).
    return (dt.datetime.now(dt.UTC) + delta).strftime("%Y-%m-%dT%H:%M:00")


@pytest.mark.parametrize(
    "entry",
    [
        "    state: pause\n",
        "    state: play\n    mode: preprod\n",
        f"    schedule:\n      stop_at: '{_local(dt.timedelta(days=-1))}'\n      start_at: '2019-01-01T00:00:00'\n      timezone: UTC\n",
        f"    schedule:\n      start_at: '{_local(dt.timedelta(days=30))}'\n      timezone: UTC\n",
    ],
    ids=["pause", "preprod", "stop_at-in-the-past", "start_at-ahead"],
)  # fmt: skip
def test_stopping_playing_tests_by_any_means_counts_towards_max_pause_fraction(
    run: Cli, big: SandboxServer, tmp_path: Path, entry: str
) -> None:
    playing = _playing(big)
    assert len(playing) >= 10
    config = write_config(tmp_path, _tests(playing, entry))
    before = big.state()
    result = run("apply", str(config), "--auto-approve")
    assert result.code == 1, result.all
    assert (
        f"of {len(playing)} playing tests of the account" in result.err and "max_pause_fraction" in result.err
    )
    assert mutations(big) == [] and big.state() == before


def test_a_future_stop_at_is_not_a_stop(run: Cli, big: SandboxServer, tmp_path: Path) -> None:
    later = f"    schedule:\n      stop_at: '{_local(dt.timedelta(days=30))}'\n      timezone: UTC\n"
    config = write_config(tmp_path, _tests(_playing(big), later))
    result = run("plan", str(config))
    assert result.code == 0 and "max_pause_fraction" not in result.all


def _members_config(server: SandboxServer, demote: int, extra: str = "") -> str:
    members = sorted(server.state()["members"].values(), key=lambda m: m["id"])
    lines = [f"  safety:\n{extra}" if extra else "", "memberships:\n  members:\n"]
    demoted = 0
    for member in members:
        role = member["role"]
        if role not in ("admin", "viewer") and demoted < demote:
            role, demoted = "viewer", demoted + 1
        lines.append(f"    - email: {member['email']}\n      role: {role}\n")
    return "".join(lines)


def test_demotions_count_with_revocations(run: Cli, big: SandboxServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, _members_config(big, demote=6))
    result = run("apply", str(config), "--auto-approve")
    assert result.code == 1, result.all
    assert "refusing to revoke or demote 6 of 20 members" in result.err
    assert "max_access_loss_fraction" in result.err and mutations(big) == []


def test_the_old_rail_name_is_still_read(run: Cli, big: SandboxServer, tmp_path: Path) -> None:
    body = _members_config(big, demote=6, extra="    max_delete_fraction: 0.5\n")
    config = write_config(tmp_path, body)
    result = run("plan", str(config))
    assert result.code == 0 and "max_access_loss_fraction" not in result.err
    assert "safety max_access_loss_fraction: 0.25 -> 0.5 (default -> this config)" in result.out
    both = "    max_delete_fraction: 0.5\n    max_access_loss_fraction: 0.5\n"
    config = write_config(tmp_path, _members_config(big, demote=0, extra=both))
    refused = run("validate", str(config))
    assert refused.code == 1 and "old name of max_access_loss_fraction" in refused.err


@pytest.mark.parametrize(
    "email", ["ev\u0430@example.com", "eva\u200b@example.com", "ev\u00e9@example.com"]
)  # Cyrillic a, zero-width space, e-acute
def test_lookalike_emails_are_refused_unless_allowed_and_then_shown_escaped(
    run: Cli, big: SandboxServer, tmp_path: Path, email: str
) -> None:
    body = f"memberships:\n  members:\n    - email: {email}\n      role: viewer\n"
    config = write_config(tmp_path, body)
    refused = run("plan", str(config))
    assert refused.code == 1 and f"{config}:7:7:" in refused.err and "allow_unicode_email" in refused.err
    assert big.requests() == []
    config = write_config(tmp_path, body + "      allow_unicode_email: true\n")
    for fmt in ("text", "markdown"):
        shown = run("plan", str(config), "--format", fmt)
        assert shown.code == 0, shown.all
        assert email not in shown.out and "\\" in shown.out


def test_a_weakened_safety_block_is_a_line_of_every_plan(
    run: Cli, big: SandboxServer, tmp_path: Path
) -> None:
    body = "  safety:\n    min_admins: 0\n    max_pause_fraction: 1.0\n"
    config = write_config(tmp_path, body)
    text = run("plan", str(config))
    assert "  * safety max_pause_fraction: 0.5 -> 1.0 (default -> this config)" in text.out
    assert "  * safety min_admins: 1 -> 0 (default -> this config)" in text.out
    markdown = run("plan", str(config), "--format", "markdown")
    assert "> :shield: **`safety min_admins: 1 -> 0 (default -> this config)`**" in markdown.out
    document = json.loads(run("plan", str(config), "--format", "json").out)
    assert {"name": "safety min_admins", "default": 1, "value": 0} in document["accounts"][0]["settings"]
    default = run("plan", str(write_config(tmp_path, "")))
    assert "* safety" not in default.out


def test_a_second_apply_on_the_same_account_is_refused_naming_the_holder(
    run: Cli, big: SandboxServer, tmp_path: Path
) -> None:
    from reconciler.loading import load_configs
    from reconciler.providers.abtasty.provider import AbTastyProvider

    config = write_config(tmp_path, "tests:\n  - id: 500000\n    state: pause\n")
    [loaded] = load_configs([config])
    endpoint = AbTastyProvider.default_endpoint(server_env(big))
    key, label = lock_key(loaded, endpoint)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    with account_lock(key, label, env):  # the first run, holding the account
        result = run("apply", str(config), "--auto-approve")
    assert result.code == 1, result.all
    assert "abtasty account 41902 is being applied by another run (pid " in result.err
    assert " since 20" in result.err and mutations(big) == []
    assert run("apply", str(config), "--auto-approve").code == 0  # released: the next run goes ahead


def test_another_sandbox_port_is_another_lock(big: SandboxServer, tmp_path: Path) -> None:
    from reconciler.loading import load_configs
    from reconciler.providers.abtasty.provider import AbTastyProvider, OAuthEndpoint

    [loaded] = load_configs([write_config(tmp_path, "")])
    local = AbTastyProvider.default_endpoint(server_env(big))
    real = OAuthEndpoint("https://api.abtasty.com", "https://api2.abtasty.com/t", "id", local.client_secret)
    real2 = OAuthEndpoint(
        "https://API2.abtasty.com.", "https://api2.abtasty.com/t", "id", local.client_secret
    )
    assert lock_key(loaded, real)[0] == lock_key(loaded, real2)[0] == "abtasty:41902"
    assert lock_key(loaded, local)[0] == f"abtasty:41902@127.0.0.1:{big.port}"
