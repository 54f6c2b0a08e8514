"""Pull-request locks end to end: ``plan --github-comment --lock`` of several pull requests on one account,
the CLI against the sandbox and the local GitHub fake (comments, git refs, pulls), over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.support.e2e import CliRunner, write_config
from tests.support.pr_locks import ACCOUNT, PAUSE, PLAY, Hub, plan, pr_env

ROOT = Path(__file__).resolve().parents[2]


def test_two_pull_requests_the_second_waits_for_the_first_to_merge(
    cli: CliRunner, hub: Hub, tmp_path: Path
) -> None:
    first = plan(cli, hub, tmp_path, 7, "a" * 40)
    assert first.code == 0, first.all
    record = hub.lock()  # the contract the drift job reads: one JSON line on the ref's commit
    assert set(record) == {"account", "path", "pr", "sha", "holder", "since"}
    assert [record[k] for k in ("account", "path", "pr", "sha")] == [ACCOUNT, "pr7.yaml", 7, "a" * 40]
    assert str(record["holder"]).startswith("dev7 on ") and str(record["holder"]).endswith("(run 107)")
    assert str(record["since"]).endswith("+00:00")
    assert f"# lock: held by this pull request #7 (plan at {'a' * 12})" in first.out
    assert "lock: held by this pull request #7" in hub.comment(7)
    since = record["since"]

    refused = plan(cli, hub, tmp_path, 8, "b" * 40)
    assert refused.code == 1
    assert f"{ACCOUNT} is locked by #7 (plan at {'a' * 12})" in refused.err
    assert 'reconciler unlock "abtasty account 41902"' in refused.err
    body = hub.comment(8)
    assert "plan refused, an account is locked by another pull request" in body
    assert "wait for #7 to merge or close" in body and "reconciler unlock" in body
    assert "reconciler:digest=" not in body  # no digest: the merge job cannot apply a refused plan
    assert "**Next:** merge" not in body
    assert hub.lock()["pr"] == 7  # untouched

    again = plan(cli, hub, tmp_path, 7, "c" * 40)  # the holder re-plans: its lock follows its head
    assert again.code == 0, again.all
    assert hub.lock()["sha"] == "c" * 40 and hub.lock()["since"] == since

    hub.pulls.merge(7)
    second = plan(cli, hub, tmp_path, 8, "d" * 40)
    assert second.code == 0, second.all
    assert hub.lock()["pr"] == 8  # #7's stale lock taken over
    assert "reconciler:digest=" in hub.comment(8)


def test_three_pull_requests_queue_and_unchanged_accounts_are_never_refused(
    cli: CliRunner, hub: Hub, tmp_path: Path
) -> None:
    assert plan(cli, hub, tmp_path, 1, "1" * 40).code == 0
    assert plan(cli, hub, tmp_path, 2, "2" * 40).code == 1
    assert plan(cli, hub, tmp_path, 3, "3" * 40).code == 1
    idle = plan(cli, hub, tmp_path, 4, "4" * 40, PAUSE)  # changes nothing here: neither locked nor refused
    assert idle.code == 0, idle.all
    assert "lock: held by #1 (plan at 111111111111) (this pull request changes nothing here)" in idle.out
    hub.pulls.close(1)  # closed unmerged: released as well
    assert plan(cli, hub, tmp_path, 2, "5" * 40).code == 0
    third = plan(cli, hub, tmp_path, 3, "6" * 40)
    assert third.code == 1 and f"is locked by #2 (plan at {'5' * 12})" in third.err  # waits for the second
    hub.pulls.merge(2)
    assert plan(cli, hub, tmp_path, 3, "7" * 40).code == 0
    assert hub.lock()["pr"] == 3


def test_a_plan_that_stops_changing_an_account_releases_its_lock(
    cli: CliRunner, hub: Hub, tmp_path: Path
) -> None:
    assert plan(cli, hub, tmp_path, 5, "e" * 40).code == 0 and hub.lock()
    dropped = plan(cli, hub, tmp_path, 5, "f" * 40, PAUSE)
    assert dropped.code == 0 and hub.lock() == {}
    assert "Released the lock of #5 on abtasty account 41902 (this plan no longer changes it)" in dropped.err


def test_lock_store_down_refuses_the_plan(cli: CliRunner, hub: Hub, tmp_path: Path) -> None:
    hub.git.down = True
    down = plan(cli, hub, tmp_path, 9, "9" * 40)
    assert down.code == 1 and "the lock store GitHub acme/experiments cannot be used" in down.err
    assert "### reconciler plan failed" in hub.comment(9)


def test_lock_needs_the_comment(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, PLAY)
    result = cli("plan", str(config), "--lock")
    assert result.code == 1 and "--lock needs --github-comment" in result.err


def test_the_sharded_recipe_locks_in_show_merge(cli: CliRunner, hub: Hub, tmp_path: Path) -> None:
    assert plan(cli, hub, tmp_path, 7, "a" * 40).code == 0
    config = write_config(tmp_path, PLAY, "shard.yaml")
    assert cli("plan", str(config), "-o", str(tmp_path / "1.json")).code == 0
    merge = ("show", "--merge", str(tmp_path / "1.json"), "--github-comment", "--lock")
    refused = hub.clean(cli(*merge, **pr_env(hub, tmp_path, 8, "b" * 40)))
    assert refused.code == 1 and f"{ACCOUNT} is locked by #7 (plan at {'a' * 12})" in refused.err
    assert "reconciler:digest=" not in hub.comment(8) and "wait for #7 to merge or close" in hub.comment(8)
    hub.pulls.merge(7)
    merged = hub.clean(cli(*merge, **pr_env(hub, tmp_path, 8, "b" * 40)))
    assert merged.code == 0, merged.all
    assert hub.lock()["pr"] == 8 and "lock: held by this pull request #8" in merged.out


def test_the_json_plan_names_the_lock_holder(cli: CliRunner, hub: Hub, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    config = write_config(tmp_path, PLAY, "pr7.yaml")
    env = pr_env(hub, tmp_path, 7, "a" * 40)
    assert cli("plan", str(config), "--github-comment", "--lock", "-o", str(out), **env).code == 0
    [account] = json.loads(out.read_text())["accounts"]
    assert account["lock"]["pr"] == 7 and account["lock"]["ours"] is True
    assert account["lock"]["sha"] == "a" * 40 and account["lock"]["holder"].startswith("dev7 on ")
    jsonschema.validate(
        json.loads(out.read_text()), json.loads((ROOT / "schema/plan.schema.json").read_text())
    )
    shown = cli("show", str(out), "--format", "json")
    assert json.loads(shown.out)["accounts"][0]["lock"] == account["lock"]  # a saved plan keeps it
    assert cli("apply", "--plan", str(out), "--auto-approve").code == 0  # and applies: not part of the plan


def test_a_merged_pull_requests_lock_is_gone_at_anyones_next_plan(
    cli: CliRunner, hub: Hub, tmp_path: Path
) -> None:
    assert plan(cli, hub, tmp_path, 7, "a" * 40).code == 0 and hub.lock()
    hub.pulls.merge(7)
    other = plan(cli, hub, tmp_path, 9, "9" * 40, PAUSE)  # changes nothing: it still sweeps the stale lock
    assert other.code == 0 and hub.lock() == {}
    assert f"Released the lock of #7 on {ACCOUNT} (closed or merged)." in other.err
