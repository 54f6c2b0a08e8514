"""A whole PR comment, rendered as GitHub renders it: whatever a config (its file name included) or a server
puts in names, every change is one visible table row, and nothing else appears (issue 24, items 2 and 4)."""

from __future__ import annotations

import re

import cmarkgfm
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine import make_plan
from reconciler.providers.taplytics.config import TaplyticsConfig
from reconciler.providers.taplytics.state import Existing as Project
from reconciler.render import render_markdown
from tests.support.properties import examples

MARKUP = st.sampled_from(
    [
        "<!--",
        "-->",
        "\n\n",
        "|",
        "`",
        "![x](https://e/x.png)",
        "[a](https://e)",
        "@team",
        "&nbsp;",
        "<img src=x>",
        "<details>",
        "**",
        "# ",
        "> ",
        "https://e.example",
        "\u2028",
    ]
)
NAME = (
    st.lists(st.one_of(st.text(min_size=1, max_size=4), MARKUP), min_size=1, max_size=8)
    .map("".join)
    .filter(lambda n: "${" not in n)
)  # ${ is refused outside credentials
# Our own tags only: the table, the headings and the code spans around every value.
UNSAFE = Options.CMARK_OPT_UNSAFE  # raw HTML kept, as before GitHub's sanitiser: a tag that escaped is seen
OURS = {"h3", "p", "strong", "code", "table", "thead", "tbody", "tr", "th", "td", "blockquote"}


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(NAME, min_size=1, max_size=4), NAME)
def test_every_row_visible_and_nothing_else(names: list[str], path: str) -> None:
    users = [{"user_id": f"u{i}", "name": name} for i, name in enumerate(names)]
    config = TaplyticsConfig.model_validate(
        {"version": 1, "provider": "taplytics", "project": {"name": "app"}, "users": users}
    )
    plan = make_plan(path, config, Project("app"))
    rendered = cmarkgfm.github_flavored_markdown_to_html(render_markdown([plan]), options=UNSAFE)
    body = rendered.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == len(plan.changes) == len(names)
    outside_code = re.sub(r"<code>.*?</code>", "", rendered, flags=re.S)
    assert set(re.findall(r"</?([a-z0-9]+)", outside_code)) <= OURS
    # The marker is the only comment; no link, image, mention or entity escapes a code span.
    assert outside_code.count("<!--") == 1 and "@" not in outside_code and "&" not in outside_code
    for i in range(len(names)):
        assert f"<code>user u{i} " in body
