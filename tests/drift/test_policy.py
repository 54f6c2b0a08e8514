"""``drift: revert | accept | report`` in the config: the same key for every provider, a misspelt value
refused at its line with a did-you-mean, the policy shown in the plan, and self-heal leaving the drift of an
``accept`` or ``report`` account alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.config.drift import drift_of
from reconciler.loading import load_configs
from reconciler.providers import registry
from reconciler.providers.flagship.provider import FlagshipProvider
from reconciler.sandbox.server import SandboxServer
from reconciler.watch.checks import CheckSettings, run_check
from reconciler.watch.reload import ConfigSource
from tests.support.e2e import CliRunner, canary_sandbox, mutations, write_config
from tests.support.fake_github import TOKEN, serve_github
from tests.support.flagship import write_flagship
from tests.support.watch import TAPLYTICS_CANARY, sandbox_env, taplytics_config

NEW_USER = "  - user_id: qa-new\n    email: qa+new@example.com\n    name: New QA\n"


@pytest.fixture
def tap_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    with canary_sandbox(tmp_path, TAPLYTICS_CANARY) as server:
        yield server


def test_every_provider_declares_the_key(tmp_path: Path) -> None:
    assert {p.name for p in registry.providers()} >= {"abtasty", "taplytics", "flagship"}
    tap = taplytics_config(tmp_path)
    tap.write_text(tap.read_text() + "drift: report\n")
    files = [write_config(tmp_path, "drift: accept\n"), tap, write_flagship(tmp_path, "drift: revert\n")]
    assert [drift_of(c.config) for c in load_configs(files)] == ["accept", "report", "revert"]
    [default] = load_configs([write_config(tmp_path, "", name="plain.yaml")])
    assert drift_of(default.config) == "revert"


def test_a_misspelt_policy_names_its_line_and_the_fix(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, "tests: []\ndrift: acept\n")
    result = cli("validate", str(config))
    assert result.code == 1
    assert f"{config}:6:" in result.err and "did you mean 'accept'?" in result.err, result.err


def test_the_plan_shows_a_policy_other_than_the_default(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "drift: report\ntests:\n  - id: 381296\n    state: play\n")
    shown = cli("plan", str(config))
    assert shown.code == 0, shown.all
    assert "* drift: revert -> report (default -> this config)" in shown.out
    assert "drift" not in cli("plan", str(write_config(tmp_path, "", "b.yaml"))).out  # the default: no line
    as_json = cli("plan", str(config), "--format", "json")
    [account] = json.loads(as_json.out)["accounts"]
    assert account["settings"] == [{"name": "drift", "default": "revert", "value": "report"}]
    markdown = cli("plan", str(config), "--format", "markdown")
    assert ":shield: **`drift: revert -> report (default -> this config)`**" in markdown.out
    assert mutations(sandbox) == []


async def _check(path: Path, server: SandboxServer) -> tuple[int, object]:
    env = sandbox_env(server)
    result = await run_check(ConfigSource([str(path)], env).load()[0], CheckSettings(env, self_heal=True))
    assert result.error is None and result.plan is not None, result.error
    return len(result.plan.changes), result.heal


@pytest.mark.parametrize("policy", ["accept", "report"])
async def test_self_heal_leaves_the_drift_of_an_account_that_does_not_revert(
    policy: str, tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = taplytics_config(tmp_path, users=NEW_USER)
    path.write_text(path.read_text() + f"drift: {policy}\n")
    pending, heal = await _check(path, tap_sandbox)
    assert pending == 1 and heal is None
    assert "qa-new" not in str(tap_sandbox.state())


async def test_self_heal_reverts_by_default(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    path = taplytics_config(tmp_path, users=NEW_USER)
    pending, heal = await _check(path, tap_sandbox)
    assert pending == 0 and heal is not None
    assert "qa-new" in str(tap_sandbox.state())


def test_the_pull_request_comment_and_the_drift_issue_show_the_policy(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "ab" * 20}}}))
    report = write_config(tmp_path, "drift: report\ntests:\n  - id: 381296\n    state: play\n")
    with serve_github() as gh:
        env = {"GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": gh.repo, "GITHUB_TOKEN": TOKEN,
               "GITHUB_EVENT_PATH": str(event), "GITHUB_SHA": "cd" * 20}  # fmt: skip
        assert cli("plan", str(report), "--github-comment", **env).code == 0
        assert cli("plan", str(report), "--github-drift-issue", **env).code == 0
        [issue] = gh.issues.values()
        assert "Policy `drift: report`: reported only: nothing reverts it on its own" in str(issue["body"])
        report.write_text(report.read_text().replace("drift: report\n", ""))
        assert cli("plan", str(report), "--github-drift-issue", **env).code == 0
    [comment] = gh.comments[7]
    assert "> :shield: **`drift: revert -> report (default -> this config)`**" in str(comment["body"])
    assert "Policy `drift: revert`: the next apply sets the account back to the config" in str(issue["body"])
    assert mutations(sandbox) == []


def test_accept_is_refused_for_a_provider_without_export_update(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_flagship(tmp_path, "drift: accept\n")
    assert cli("validate", str(config)).code == 0  # every provider has export --update today
    # A provider without one (a third-party package may ship none): the check reads the provider's class.
    monkeypatch.setattr(FlagshipProvider, "exporter_at", None)
    result = cli("validate", str(config))
    assert result.code == 1 and f"{config}:6:" in result.err, result.err
    assert "drift: accept needs export --update, which flagship does not have yet" in result.err
