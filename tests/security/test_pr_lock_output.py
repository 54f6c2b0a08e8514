"""The canary secret never reaches the pull-request locks' outputs: the lock ref's record, the plan comment,
the refusal on stderr and the plan on stdout, even when a lock record found on GitHub quotes the secret."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.locks.pr_locks import lock_ref
from tests.support.e2e import CANARY_SECRET, CliRunner, write_config
from tests.support.pr_locks import ACCOUNT, PLAY, Hub, plan, pr_env, served_hub


def _stored(hub: Hub) -> str:
    return json.dumps([hub.gh.comments, hub.git.commits, hub.git.refs])


def test_the_lock_record_and_comment_hold_no_secret(cli: CliRunner, tmp_path: Path) -> None:
    with served_hub() as hub:
        held = plan(cli, hub, tmp_path, 7, "a" * 40)
        assert held.code == 0 and hub.lock() and CANARY_SECRET not in held.all + _stored(hub)


def test_a_record_quoting_the_secret_is_shown_redacted(cli: CliRunner, tmp_path: Path) -> None:
    with served_hub() as hub:
        hub.pulls.open(3)
        record = {"account": ACCOUNT, "path": "a.yaml", "pr": 3, "sha": "c" * 40,
                  "holder": f"someone {CANARY_SECRET}", "since": "2026-12-01T00:00:00+00:00"}  # fmt: skip
        hub.git.commits["d" * 40] = {"sha": "d" * 40, "message": json.dumps(record), "parents": []}
        hub.git.refs[lock_ref(ACCOUNT)] = "d" * 40
        config = write_config(tmp_path, PLAY, "pr8.yaml")  # not plan(): the planted record holds the canary
        refused = cli("plan", str(config), "--github-comment", "--lock", **pr_env(hub, tmp_path, 8, "b" * 40))
        assert refused.code == 1 and f"{ACCOUNT} is locked by #3" in refused.err
        assert CANARY_SECRET not in refused.all and "someone" in refused.out
        assert CANARY_SECRET not in json.dumps(hub.gh.comments) and "someone" in hub.comment(8)
