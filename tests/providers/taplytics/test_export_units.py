"""Pure parts of the Taplytics export: values written with their JSON type, and --update without a server."""

from __future__ import annotations

import math
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.config.yaml import parse_document
from reconciler.providers.taplytics.config import TaplyticsConfig
from reconciler.providers.taplytics.export.render import literal
from reconciler.providers.taplytics.export.update import update_text
from reconciler.providers.taplytics.state import Existing, ExistingUser
from reconciler.yamledit.text import ascii_quoted

VALUES: list[Any] = [0, -1, 10**19, 0.1, -0.0, 1e20, 1e-7, 2.0, True, False, "", "007", "1e3", "0x1F", "~",
                     "null", "NO", "on", "- a", "[x]", "{y}", "a: b", "a #b", "#c", "'q'", '"d"', "tab\tnl\n",
                     "\u2028", "日本"]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_literal_reads_back_as_the_same_value_and_type(value: Any) -> None:
    text = f"k: {literal(value)}\n"
    for version in ((1, 1), (1, 2)):
        yaml = YAML(typ="safe", pure=True)
        yaml.version = version
        read = yaml.load(text)["k"]
        assert type(read) is type(value) and read == value, (version, text)
    doc = parse_document(text, "x.yaml")  # the project's own reader, with its limits
    assert not isinstance(doc, Exception)


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, math.nan, math.inf, 10**20])
def test_what_a_config_cannot_hold_has_no_literal(value: Any) -> None:
    assert literal(value) is None


def test_ascii_quoted_escapes_every_non_ascii_character() -> None:
    assert ascii_quoted("p\u0430ul\U0001f600@x.io") == '"p\\u0430ul\\U0001f600@x.io"'
    email = "p\u0430ul"
    assert YAML(typ="safe").load("k: " + ascii_quoted(email))["k"] == email


def test_update_through_a_merge_key_is_left_for_a_hand_edit() -> None:
    text = (
        "version: 1\nprovider: taplytics\nproject:\n  name: p\nusers:\n"
        '  - user_id: "a"\n    <<: {name: Old}\n    custom_data: {n: 1}\n'
    )
    config = TaplyticsConfig.model_validate(YAML(typ="safe").load(text))
    existing = Existing("p", {"a": ExistingUser("a", name="New", custom_data={"n": 2})})
    result = update_text("f.yaml", text, config, existing, add_new=False)
    assert result.report(written=True) == [
        'f.yaml:6: users[0] (a): name "Old" -> "New": edit it by hand (it is not written in the entry itself '
        "(a merge key?))",
        "f.yaml:8: users[0] (a): custom_data.n 1 -> 2",
    ]
    assert result.new_text == text.replace("{n: 1}", "{n: 2}")
