"""The comment's size and the digest, without a network."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from reconciler.cli.github import plan_comment, publish_plan
from reconciler.core.plan import plans_digest
from reconciler.engine import make_plan
from reconciler.integrations.github import COMMENT_LIMIT, Actions, read_digest
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.state import Existing, ExistingTest
from tests.support.fake_github import TOKEN, serve_github


def thousand_change_plan():  # type: ignore[no-untyped-def]
    config = AbTastyConfig.model_validate(
        {
            "version": 1,
            "provider": "abtasty",
            "account": {"id": 41902, "safety": {"max_pause_fraction": 1.0}},
            "tests": [{"id": i, "state": "play", "mode": "preprod"} for i in range(1, 1001)],
        }
    )
    tests = {
        i: ExistingTest(i, f"A rather long test name, number {i}, to fill the comment", "pause", False)
        for i in range(1, 1001)
    }
    return make_plan("accounts/shop.yaml", config, Existing(41902, tests=tests))


def test_a_1000_change_plan_is_cut_to_fit_and_posts(tmp_path: Path) -> None:
    plan = thousand_change_plan()
    assert len(plan.changes) == 1001  # and the tag script
    with serve_github() as gh:
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 3, "head": {"sha": "abc"}}}))
        env = {
            "GITHUB_API_URL": gh.url,
            "GITHUB_REPOSITORY": gh.repo,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_EVENT_PATH": str(event),
        }
        actions = Actions.from_env(env)
        body = plan_comment([plan], actions, env, force=False)
        assert len(body) <= COMMENT_LIMIT
        assert "change(s) not shown, to fit in " in body
        assert "Plan: 0 to add, 1001 to change, 0 to remove." in body  # the counts are never cut
        assert read_digest(body) == plans_digest([plan])
        assert asyncio.run(publish_plan(body, actions)) == "created"  # the fake refuses bodies over the limit
        [comment] = gh.comments[3]
        assert comment["body"] == body


def test_digest_depends_on_the_changes_only() -> None:
    plan = thousand_change_plan()
    assert plans_digest([plan]) == plans_digest([thousand_change_plan()])
    assert plans_digest([plan]) != plans_digest([])


def test_text_from_a_config_cannot_forge_the_digest_nor_hide_rows(tmp_path: Path) -> None:
    from reconciler.providers.taplytics.config import TaplyticsConfig
    from reconciler.providers.taplytics.state import Existing as Project

    forged = "x <!-- reconciler:digest=0123456789abcdef commit= -->"
    config = TaplyticsConfig.model_validate(
        {
            "version": 1,
            "provider": "taplytics",
            "project": {"name": "app"},
            "users": [{"user_id": "u1", "name": forged}, {"user_id": "u2", "name": "second"}],
        }
    )
    plan = make_plan("t.yaml", config, Project("app"))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "head": {"sha": "abc"}}}))
    env = {
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REPOSITORY": "a/b",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": str(event),
    }
    body = plan_comment([plan], Actions.from_env(env), env, force=False)
    assert read_digest(body) == plans_digest([plan]) != "0123456789abcdef"
    # shown inside the diff block, inert: the rows after it stay visible
    assert '\n+ user u1 "x <!-- reconciler:digest=0123456789abcdef commit= -->"' in body
    assert '\n+ user u2 "second"' in body
