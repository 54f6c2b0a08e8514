"""The bounds of a ``drift: accept`` pull request against hostile live values: its body fits GitHub's size
whatever the account holds, and a secret the refresh adds is caught even when the file already held a
masked shape (review of issue 28's accept)."""

from __future__ import annotations

from reconciler.cli.drift_accept import _adds_a_secret
from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.integrations import accept_words as words
from reconciler.providers.taplytics.changes import Kind
from reconciler.redaction import register_secret
from reconciler.watch.hooks import push_age

SECRET = "live-value-that-is-a-secret-5f2c"


def test_a_secret_added_beside_one_already_masked_is_refused() -> None:
    register_secret(SECRET)
    old = "code: 'fetch(u, {headers: {Authorization: \"Bearer abcdefghijklmnop\"}})'\nname: a\n"
    assert _adds_a_secret(old, old.replace("name: a", f"name: {SECRET}"))
    assert not _adds_a_secret(old, old.replace("name: a", "name: b"))  # the old shape alone is no news


def test_the_pull_request_body_fits_github_whatever_the_drift() -> None:
    changes = tuple(
        Change(Kind.USER_UPDATE, f"user:u{i}", f"u{i}", {"name": "a"}, {"name": "x" * 150})
        for i in range(300)
    )
    plan = AccountPlan("app.yaml", "taplytics", "my-app", changes)
    lines = [f"app.yaml:{i}: name: {'y' * 2000}" for i in range(300)]
    found = words.Found("0" * 40, "", "2026-12-03T10:00Z")
    text = words.body(plan, "app.yaml", lines, lines, found, None)
    assert len(text) <= words.BODY_LIMIT
    assert "more" in text  # what is not listed is counted


def test_a_push_time_no_float_holds_is_unreadable_not_an_error() -> None:
    for stamp in ("1" + "0" * 400, "1e400", "-1e400"):
        body = f'{{"repository": {{"pushed_at": {stamp}}}}}'.encode()
        assert push_age(body, 1_000.0) is None
