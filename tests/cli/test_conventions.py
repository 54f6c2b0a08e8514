"""Terraform's conventions: show, apply --plan without paths, -o, --color, the JSON plan format and its
schema, the help texts; and the tag script's rebuild converging after a failure or a kill."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.cli import COMMANDS
from tests.support.e2e import CANARY_SECRET, apply_then_kill, mutations, write_config

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ("PATCH", "/api/interface/accounts/41902/update_script")
ONE_TEST = "tests:\n  - id: 381296\n    state: play\n"


def test_show_renders_a_saved_plan_in_each_format(cli, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(config), "-o", str(plan_file)).code == 0
    text = cli("show", str(plan_file))
    assert text.code == 0
    assert '~ test 381296 "Public API Test": state pause -> play (prod)' in text.out
    assert json.loads(cli("show", str(plan_file), "--format", "json").out) == json.loads(
        plan_file.read_text()
    )
    markdown = cli("show", str(plan_file), "--format", "markdown").out
    assert markdown.splitlines()[1] == "### Plan: 0 to add, 2 to change, 0 to remove."
    assert "reconciler plan: Plan:" not in markdown


def test_apply_plan_without_paths_uses_the_recorded_files_and_still_checks_digests(cli, sandbox, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(config), "-o", str(plan_file)).code == 0
    config.write_text(config.read_text() + "  - id: 381321\n    state: play\n")
    refused = cli("apply", "--plan", str(plan_file))
    assert refused.code == 1 and "the config changed since the plan was made" in refused.err
    assert mutations(sandbox) == []
    config.write_text(config.read_text().replace("  - id: 381321\n    state: play\n", ""))
    applied = cli("apply", "--plan", str(plan_file))
    assert applied.code == 0, applied.all
    assert "Apply complete: 2 applied, 0 failed, 0 skipped." in applied.out
    assert 'applied: test 381296 "Public API Test": state pause -> play (prod)' in applied.err


def test_json_plans_validate_against_the_published_schema(cli, tmp_path):
    schema = json.loads((ROOT / "schema" / "plan.schema.json").read_text())
    config = write_config(
        tmp_path, ONE_TEST + "memberships:\n  members:\n    - email: n@example.com\n      role: user\n"
    )
    document = json.loads(cli("plan", str(config), "--format", "json").out)
    jsonschema.validate(document, schema)
    assert document["format_version"] == "2.0"
    assert document["accounts"][0]["account"] == 41902  # a number, as the API has it


def test_the_example_policy_reads_a_real_plan(cli, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "check_plan", ROOT / "examples" / "policy" / "check_plan.py"
    )
    assert spec is not None and spec.loader is not None
    policy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(policy)
    config = write_config(
        tmp_path, "memberships:\n  members:\n    - email: n@example.com\n      role: admin\n"
    )
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(config), "-o", str(plan_file)).code == 0
    assert policy.main(["check_plan.py", str(plan_file)]) == 1


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ([], {}, False),  # not a terminal
    ],
)
def test_color_flag_and_variables(cli, monkeypatch, tmp_path, args, env, coloured):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    config = write_config(tmp_path, ONE_TEST)
    out = cli("plan", str(config), *args, **env).out
    assert ("\x1b[" in out) is coloured
    for line in out.splitlines():  # the reset comes before the newline: no colour bleeds into the next line
        assert line.count("\x1b[") % 2 == 0


def test_every_command_documents_its_environment_exit_codes_and_an_example(cli):
    listing = cli("--help").out
    assert "..." not in listing.split("Commands:")[1]  # no first sentence is cut
    for name in COMMANDS:
        text = cli(name, "--help").out
        assert "Environment:" in text and "Exit codes:" in text and "Example:" in text, name
    assert "text: the Terraform-like plan" in cli("plan", "--help").out
    assert "ABTASTY_CLIENT_SECRET" in cli("apply", "--help").out
    watch = " ".join(cli("watch", "--help").out.split())  # click wraps the options' help
    assert "slack+https://" in watch and "teams+https://" in watch


def test_a_failed_rebuild_is_planned_again_until_it_succeeds(cli, sandbox, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    sandbox.set_faults(forced=[{"method": "PATCH", "path": SCRIPT[1], "status": 422, "times": None}])
    failed = cli("apply", str(config), "--auto-approve")
    assert failed.code == 1 and "1 applied, 1 failed" in failed.out
    sandbox.set_faults(forced=[])
    plan = cli("plan", str(config), "--detailed-exitcode")
    assert plan.code == 2
    assert "~ tag script: rebuild (owed: an earlier apply changed tests and did not rebuild it)" in plan.out
    sandbox.clear_requests()
    assert cli("apply", str(config), "--auto-approve").code == 0
    assert mutations(sandbox) == [SCRIPT]
    assert cli("plan", str(config), "--detailed-exitcode").code == 0


@pytest.mark.slow
def test_a_kill_between_the_test_changes_and_the_rebuild_is_planned_again(cli, sandbox, tmp_path):
    config = write_config(tmp_path, ONE_TEST)
    # The rebuild keeps failing (503, retried), the test change is done: SIGKILL lands between the two, as
    # soon as the first rebuild attempt has been answered (at most 4 s in).
    sandbox.set_faults(forced=[{"method": "PATCH", "path": SCRIPT[1], "status": 503, "times": None}])
    apply_then_kill(sandbox, config, after_s=4.0, cwd=tmp_path, until=lambda: SCRIPT in mutations(sandbox))
    assert ("PATCH", "/api/interface/accounts/41902/tests/381296/play") in mutations(sandbox)
    sandbox.set_faults(forced=[])
    plan = cli("plan", str(config), "--detailed-exitcode")
    assert plan.code == 2 and "tag script: rebuild (owed" in plan.out
    assert cli("apply", str(config), "--auto-approve").code == 0
    assert cli("plan", str(config), "--detailed-exitcode").code == 0
    assert CANARY_SECRET not in plan.all
