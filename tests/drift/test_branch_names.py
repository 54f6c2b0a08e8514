"""The drift pull request's branch and file: a valid branch for any account id, never shared by two ids;
the file named as git names it, relative to the checkout, or not at all when it is outside."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.cli.drift_accept import branch_for, repo_path
from reconciler.core.plan import AccountPlan

_REF_SAFE = re.compile(r"reconciler/drift/[a-z0-9-]+")


def _plan(provider: str, account: str) -> AccountPlan:
    return AccountPlan("a.yaml", provider, account, ())


def test_a_plain_id_reads_as_it_is_and_an_odd_one_gets_a_digest() -> None:
    assert branch_for(_plan("abtasty", "41902")) == "reconciler/drift/abtasty-41902"
    odd = [branch_for(_plan("flagship", a)) for a in ("acc/env", "acc env", "ACC..env", "../x", "\x1b[31m")]
    assert all(_REF_SAFE.fullmatch(b) for b in odd) and len(set(odd)) == len(odd)
    assert len(branch_for(_plan("taplytics", "x" * 500))) < 100


def test_the_file_is_named_relative_to_the_checkout(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "accounts").mkdir(parents=True)
    env = {"GITHUB_WORKSPACE": str(root)}
    assert repo_path(str(root / "accounts" / ".." / "accounts" / "shop.yaml"), env) == "accounts/shop.yaml"
    assert repo_path(str(tmp_path / "elsewhere.yaml"), env) is None
