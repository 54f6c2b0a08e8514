"""A saved plan handed to apply or plan as if it were a config (Terraform's `apply PLANFILE`) is named for
what it is, with the command that applies it; before the confirmation prompt's refusal, and before any
request (issue 31 walk: it listed missing keys 'provider' and 'version')."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.plan import AccountPlan
from reconciler.integrations.words import render_comment
from reconciler.render import render_text
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, write_config

PAUSE = "tests:\n  - id: 381296\n    state: play\n"


@pytest.mark.parametrize("command", ["apply", "plan", "validate"])
def test_a_saved_plan_as_a_config_says_how_to_apply_it(
    command: str, cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    assert cli("plan", str(write_config(tmp_path, PAUSE)), "-o", str(saved)).code == 0
    sandbox.clear_requests()
    result = cli(command, str(saved))  # stdin is no terminal: the prompt's refusal would come first
    assert result.code == 1, result.all
    assert f"{saved}:1:1: a saved plan (plan -o), not a config" in result.err
    assert f"`reconciler apply --plan {saved}`" in result.err and f"`reconciler show {saved}`" in result.err
    assert "missing required key" not in result.err and "not a terminal" not in result.err
    assert sandbox.requests() == []


def test_in_sync_accounts_are_each_said_to_match(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """One account "matches the configuration"; several each match theirs, in the text and the comment
    (issue 31 walk: a plan of a directory of three in-sync accounts said "The account matches")."""
    alone = cli("plan", str(write_config(tmp_path, "tests:\n  - id: 381296\n    state: pause\n")))
    assert alone.out.splitlines()[-1] == "No changes. The account matches the configuration.", alone.all
    shop = AccountPlan("accounts/shop.yaml", "abtasty", "41902", ())
    blog = AccountPlan("accounts/blog.yaml", "abtasty", "41903", ())
    assert (
        render_text([shop, blog]).splitlines()[-1] == "No changes. Every account matches its configuration."
    )
    comment = render_comment([shop, blog], refused=False, run_url="", limit=60_000, elsewhere="")
    assert "### No changes. Every account matches its configuration." in comment
