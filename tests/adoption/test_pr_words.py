"""The PR comment says what merging does next and shows each account as a collapsible ```diff block; the
drift issue says what changed on the live account and how to revert or accept it (issue 31). Both are
rendered with a real GFM renderer, and the samples in docs/samples/ are what the code writes."""

from __future__ import annotations

import re

import cmarkgfm
from cmarkgfm.cmark import Options

from reconciler.core.plan import AccountPlan
from reconciler.encode.markdown import link_target
from reconciler.integrations.words import render_comment
from tests.adoption.samples import RUN_URL, comment, drift_issue, expected, shop_plan

UNSAFE = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_GITHUB_PRE_LANG  # raw HTML kept: our tags are seen


def html(text: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(text, options=UNSAFE)


def test_the_comment_says_what_merging_does_and_links_the_run() -> None:
    body = comment()
    assert "**Next:** merge to apply these 3 change(s) to `abtasty account 41902`" in body
    assert "the apply job will refuse if the accounts move" in body and RUN_URL in body
    rendered = html(body)
    assert f'<a href="{RUN_URL}">plan run</a>' in rendered


def test_each_account_is_a_details_block_holding_a_diff() -> None:
    rendered = html(comment())
    assert rendered.count("<details open>") == 1 and "</details>" in rendered
    summary = re.search(r"<summary>(.*?)</summary>", rendered, re.S)
    assert summary and "<code>abtasty account 41902</code>" in summary.group(1)
    block = re.search(r'<pre lang="diff"><code>(.*?)</code></pre>', rendered, re.S)
    assert block, rendered
    lines = block.group(1).splitlines()
    assert lines == [
        "! test 381296 &quot;Checkout button&quot;: state pause -&gt; play (prod)",
        "- member intern@example.com (admin)",
        "! member lea@example.com: role user -&gt; viewer",
    ]


def test_the_drift_issue_speaks_of_what_changed_and_both_ways_out() -> None:
    body = drift_issue()
    assert "intern@example.com was added as admin outside the config" in body
    assert "- member intern@example.com (admin)" not in body  # apply's words read backwards here
    assert "**To revert**" in body and "`reconciler apply accounts/shop.yaml`" in body
    assert "**To accept**" in body and "`reconciler export --update accounts/shop.yaml`" in body
    assert "open a pull request" in body
    rendered = html(body)
    assert f'<a href="{RUN_URL}">this run</a>' in rendered
    assert rendered.count("<li>") == 3


def test_two_drifted_files_get_one_export_update_each() -> None:
    """``export --update`` takes one FILE: the issue's way to accept must be commands that run as written."""
    from reconciler.integrations.github import COMMENT_LIMIT, DRIFT_MARKER
    from reconciler.integrations.words import render_drift
    from tests.adoption.samples import shop_plan

    shop = shop_plan()
    blog = type(shop)(**{**shop.__dict__, "path": "accounts/blog.yaml"})
    body = render_drift(
        [shop, blog], marker=DRIFT_MARKER, commit="f00d" * 10, run_url="", limit=COMMENT_LIMIT
    )
    assert "`reconciler apply accounts/shop.yaml accounts/blog.yaml`" in body
    assert (
        "run `reconciler export --update accounts/shop.yaml` and `reconciler export --update "
        "accounts/blog.yaml`, then open a pull request" in " ".join(body.split())
    )
    assert "--update accounts/shop.yaml accounts/blog.yaml" not in body


def test_a_server_name_cannot_break_out_of_the_summary() -> None:
    from reconciler.integrations.words import render_comment
    from tests.adoption.samples import shop_plan

    plan = shop_plan()
    hostile = type(plan)(**{**plan.__dict__, "path": "</code></summary><img src=x>"})  # a file name
    rendered = html(render_comment([hostile], refused=False, run_url="", limit=60_000, elsewhere=""))
    assert "<img" not in rendered and "&lt;img src=x&gt;" in rendered


def test_the_samples_in_docs_are_current() -> None:
    for path, text in expected().items():
        assert path.read_text() == text, f"{path} is stale: run python tests/adoption/samples.py"


def test_the_next_step_names_each_ci_systems_recipe() -> None:
    """GitHub's apply workflow is run by hand with `force`; GitLab's recipe has a manual apply job that
    never forces, so a refused plan there is applied by hand with --force."""
    plan = AccountPlan("accounts/shop.yaml", "abtasty", "41902", ())
    github = render_comment([plan], refused=True, run_url="", limit=60_000, elsewhere="")
    gitlab = render_comment([plan], refused=True, run_url="", limit=60_000, elsewhere="", ci="gitlab")
    assert "workflow_dispatch" in github and "`force`" in github
    assert "workflow_dispatch" not in gitlab and "by hand with `--force`" in gitlab
    # Unrefused: both applies refuse a plan that moved (the reviewed digests); GitLab's is a manual job.
    github = render_comment([shop_plan()], refused=False, run_url=RUN_URL, limit=60_000, elsewhere="")
    gitlab = render_comment(
        [shop_plan()], refused=False, run_url=RUN_URL, limit=60_000, elsewhere="", ci="gitlab"
    )
    assert "the apply job will refuse if the accounts move before then" in github
    assert "run the default branch's manual `apply` job" in gitlab
    assert "; it will refuse if the accounts move before then" in gitlab
    assert f"([plan run]({RUN_URL}))" in gitlab


def test_a_run_url_that_could_break_out_of_its_link_is_no_link() -> None:
    assert link_target(RUN_URL) == RUN_URL
    for bad in (
        "https://x.example/a) [click](https://evil.example",
        "javascript:alert(1)",
        "https://a b",
        "https://a\x01b",
        "https://a.example/x\n## heading",
        "",
    ):
        assert link_target(bad) == "", bad
