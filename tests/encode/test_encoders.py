"""Each medium's encoder, over arbitrary strings: nothing a config or a server writes can use the medium's
markup. Markdown is checked by rendering it as GitHub does (cmark-gfm with GitHub's extensions)."""

from __future__ import annotations

import html
import json
import re

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.text import escape_invisible
from reconciler.encode import actions, jsonl, markdown, slack, teams, terminal
from reconciler.encode import html as html_encode
from tests.support.properties import examples

# Any text, with the characters each medium treats as markup over-represented.
MARKUP = st.sampled_from(
    [
        *"`|<>&![]()*_~#:@\\\n\r\t -=+",
        "<!--",
        "-->",
        "::",
        "##[",
        "https://",
        "www.",
        "&nbsp;",
        "\u2028",
        "\x1b[",
        # Adaptive Cards' date and time functions, in pieces and whole.
        "{",
        "{{",
        "DATE(",
        "TIME(",
        "2030-01-01T00:00:00Z",
        ")}}",
        "{{DATE(2030-01-01T00:00:00Z, SHORT)}}",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=4), MARKUP), max_size=25).map("".join)

# Raw HTML passed through, as GitHub's renderer does before its sanitiser: a tag that escaped is seen.
UNSAFE = Options.CMARK_OPT_UNSAFE


def gfm(source: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(source, options=UNSAFE)


def _code_texts(rendered: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<code>(.*?)</code>", rendered, flags=re.S)]


def _outside_code(rendered: str) -> str:
    return re.sub(r"<code>.*?</code>", "", rendered, flags=re.S)


def _expected(value: str) -> str:
    shown = escape_invisible(value)
    return shown if shown.strip(" ") else f'"{shown}"'


@settings(max_examples=examples(300), deadline=None)
@given(TEXT, TEXT)
def test_a_table_row_shows_each_value_as_itself_and_nothing_else(left: str, right: str) -> None:
    source = f"| a | b |\n|---|---|\n| {markdown.cell(left)} | {markdown.cell(right)} |\n"
    rendered = gfm(source)
    assert rendered.count("<tr>") == 2  # the header and exactly one row
    assert rendered.count("<td>") == 2
    if (
        len(escape_invisible(left)) <= markdown.CELL_LIMIT
        and len(escape_invisible(right)) <= markdown.CELL_LIMIT
    ):
        assert _code_texts(rendered) == [_expected(left), _expected(right)]
    outside = _outside_code(rendered)
    # No tag but the table's own, no comment, link, image, mention or entity-made text outside the spans.
    assert set(re.findall(r"</?([a-z]+)", outside)) <= {"table", "thead", "tbody", "tr", "th", "td"}
    assert "<!--" not in outside and "@" not in outside and "&" not in outside


@settings(max_examples=examples(300), deadline=None)
@given(TEXT)
def test_a_code_span_in_a_paragraph_is_one_code_element(value: str) -> None:
    rendered = gfm(f"Heading {markdown.code(value)} (file)\n")
    assert rendered.startswith("<p>Heading <code>") and rendered.endswith("</code> (file)</p>\n")
    assert _code_texts(rendered) == [_expected(value)]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=6))
def test_a_fence_holds_every_line_and_nothing_escapes_it(lines: list[str]) -> None:
    rendered = gfm(markdown.fence(lines, "diff") + "\nafter\n")
    body = "\n".join(escape_invisible(line) for line in lines)
    assert rendered.startswith('<pre lang="diff"><code>') and rendered.endswith(
        "</code></pre>\n<p>after</p>\n"
    )
    assert _code_texts(rendered) == [body + "\n"]


def test_a_long_value_is_cut_in_a_cell() -> None:
    cut = markdown.cell("x" * 5000)
    assert len(cut) < 400 and "4700 more characters" in cut


@given(TEXT)
def test_slack_text_has_no_markup(value: str) -> None:
    encoded = slack.text(value)
    assert "<" not in encoded and ">" not in encoded
    assert encoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == escape_invisible(value)


def _teams_seen(rendered: str) -> str:
    """The text a reader sees: the paragraph and GFM's autolinks taken out (a bare URL or address is shown
    as itself, only clickable), entities decoded."""
    return html.unescape(re.sub(r"</?p>\n?|<a href=\"[^\"<>]*\">|</a>", "", rendered))


def _teams_expected(value: str) -> str:
    shown = escape_invisible(value)
    body = shown.lstrip(" ")  # leading spaces are sent as no-break spaces; a paragraph drops trailing ones
    return ("\u00a0" * (len(shown) - len(body)) + body).rstrip(" ")


@settings(max_examples=examples(300), deadline=None)
@given(TEXT)
def test_teams_text_has_no_markup(value: str) -> None:
    encoded = teams.text(value)
    unescaped = re.sub(r"\\(.)", "", encoded)  # what is left once every escaped character is taken out
    assert not set(unescaped) & set("\\`*_[]<>&~")
    assert "\n" not in encoded
    assert not re.search(r"(?i)\{\{\s*(DATE|TIME)\s*\(", encoded)  # the card's date and time functions
    rendered = cmarkgfm.github_flavored_markdown_to_html(encoded)  # Markdown as GitHub reads it, autolinks on
    # Nothing but a paragraph and autolinks, and the reader sees the value exactly.
    assert set(re.findall(r"</?([a-z]+)", rendered)) <= {"p", "a"}, rendered
    assert _teams_seen(rendered) == _teams_expected(value), rendered


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (
            "1.5 - a: b=c 'q' \"x\" (y)!",
            "1.5 - a: b=c 'q' \"x\" (y)!",
        ),  # no backslash Teams mobile would show
        ("[Approve](https://evil.example)", "\\[Approve\\](https\\://evil.example)"),
        ("- a", "\\- a"),
        ("## a", "\\## a"),
        ("---", "\\---"),
        ("12) a", "12\\) a"),
        ("**b** _i_ `c` ~s~ <u> &amp;", "\\*\\*b\\*\\* \\_i\\_ \\`c\\` \\~s\\~ \\<u\\> \\&amp;"),
        ("    code", "\u00a0" * 4 + "code"),
        (
            "{{DATE(2030-01-01T00:00:00Z, SHORT)}} {{ time (x)}}",
            "{\\{DATE(2030-01-01T00:00:00Z, SHORT)}} {\\{ time (x)}}",
        ),
        ("{{x}} {DATE(", "{{x}} {DATE("),
    ],
)
def test_teams_escapes_only_what_would_act(value: str, sent: str) -> None:
    assert teams.text(value) == sent


@given(TEXT)
def test_no_actions_log_line_is_a_workflow_command(value: str) -> None:
    for given_line, line in zip(value.split("\n"), actions.lines(value).split("\n"), strict=True):
        assert not line.lstrip().startswith(("::", "##["))
        blanks = len(line) - len(line.lstrip())
        assert line == given_line or line[:blanks] + line[blanks + 1 :] == given_line  # one backslash added


def test_our_own_actions_commands_escape_their_data() -> None:
    assert actions.command("error", "a\nb%", file="x,y:z") == "::error file=x%2Cy%3Az::a%0Ab%25"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | TEXT,
        lambda inner: st.lists(inner) | st.dictionaries(TEXT, inner),
        max_leaves=10,
    )
)
def test_a_jsonl_record_is_one_ascii_line(record: object) -> None:
    encoded = jsonl.line(record)
    assert encoded.isascii() and len(encoded.splitlines()) == 1
    assert json.loads(encoded) == record


@given(TEXT)
def test_terminal_text_is_one_printable_line(value: str) -> None:
    encoded = terminal.text(value)
    assert encoded.isprintable()
    assert "\x1b" not in encoded and "\n" not in encoded


@given(TEXT)
def test_html_text_is_a_text_node(value: str) -> None:
    encoded = html_encode.text(value)
    assert not set(encoded) & set("<>\"'")
    assert html.unescape(encoded) == escape_invisible(value)
