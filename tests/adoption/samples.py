"""The PR comment and the drift issue of one small, realistic plan: what docs/samples/ shows a reader.

``python tests/adoption/samples.py`` rewrites docs/samples/pr-comment.md, drift-issue.md and drift-pull.md
(a ``drift: accept`` account's pull request); a test
fails while they differ from what the code writes, so the samples stay current.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "docs" / "samples"
RUN_URL = "https://github.com/acme/ab-config/actions/runs/123456"
ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/ab-config",
    "GITHUB_RUN_ID": "123456",
}


def shop_plan():  # type: ignore[no-untyped-def]
    """Account 41902: a test to play, a role to lower, and an admin someone added by hand (prune: true)."""
    from reconciler.engine import make_plan
    from reconciler.providers.abtasty.config import AbTastyConfig
    from reconciler.providers.abtasty.state import Existing, ExistingMember, ExistingTest

    config = AbTastyConfig.model_validate(
        {
            "version": 1,
            "provider": "abtasty",
            "account": {"id": 41902},
            "tests": [{"id": 381296, "state": "play", "mode": "prod"}],
            "memberships": {
                "prune": True,
                "members": [
                    {"email": "remi@abtasty.com", "role": "admin"},
                    {"email": "lea@example.com", "role": "viewer"},
                ],
            },
            "script": {"update_after_apply": False},
        }
    )
    members = {
        "remi@abtasty.com": ExistingMember(1, "remi@abtasty.com", "admin"),
        "lea@example.com": ExistingMember(2, "lea@example.com", "user"),
        "intern@example.com": ExistingMember(3, "intern@example.com", "admin"),
    }
    tests = {381296: ExistingTest(381296, "Checkout button", "pause", False)}
    return make_plan("accounts/shop.yaml", config, Existing(41902, tests=tests, members=members))


def comment() -> str:
    from reconciler.cli.github import plan_comment
    from reconciler.integrations.github import Actions

    with tempfile.TemporaryDirectory() as tmp:
        event = Path(tmp) / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "a1b2c3d4e5f6" * 3}}}))
        env = {
            **ENV,
            "GITHUB_API_URL": "https://api.github.com",
            "GITHUB_TOKEN": "x",
            "GITHUB_EVENT_PATH": str(event),
        }
        return plan_comment([shop_plan()], Actions.from_env(env), env, force=False)


def drift_issue() -> str:
    from reconciler.integrations.github import COMMENT_LIMIT, DRIFT_MARKER
    from reconciler.integrations.words import render_drift

    return render_drift(
        [shop_plan()], marker=DRIFT_MARKER, commit="f00dfeed" * 5, run_url=RUN_URL, limit=COMMENT_LIMIT
    )


def drift_pull() -> str:
    from reconciler.integrations import accept_words as words

    written = [
        "accounts/shop.yaml:9: tests[0] (id 381296): state play -> pause",
        "accounts/shop.yaml:15: memberships.members[1] lea@example.com: role viewer -> user",
    ]
    found = words.Found("f00dfeed" * 5, RUN_URL, "2026-12-03T02:14Z")
    return words.body(shop_plan(), "accounts/shop.yaml", written, [], found, "2026-12-01T02:13Z")


def expected() -> dict[Path, str]:
    return {
        SAMPLES / "pr-comment.md": comment(),
        SAMPLES / "drift-issue.md": drift_issue(),
        SAMPLES / "drift-pull.md": drift_pull(),
    }


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for path, text in expected().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(REPO)}")
