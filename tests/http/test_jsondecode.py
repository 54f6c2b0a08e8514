"""The JSON decoder of bodies (reconciler.http.jsondecode, issue 29): msgspec where it is faster, and for
every input exactly ``json.loads``'s value (types included) or ``json.loads``'s own error."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.http import jsondecode
from tests.support.properties import examples

PAD = "p" * jsondecode.LARGE  # makes any document large enough to take the fast path


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def outcome(data: bytes) -> tuple[str, Any]:
    """What a decoder makes of ``data``: ("value", v) or ("error", the exception's type)."""
    try:
        return "value", jsondecode.loads(data)
    except (ValueError, RecursionError) as err:
        return "error", type(err)


def expected(data: bytes) -> tuple[str, Any]:
    try:
        return "value", json.loads(data)
    except (ValueError, RecursionError) as err:
        return "error", type(err)


def agrees(data: bytes) -> bool:
    got, want = outcome(data), expected(data)
    return got[0] == want[0] and (same(got[1], want[1]) if got[0] == "value" else got[1] is want[1])


scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # any size: 2**200 must stay an int
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # lone surrogates included
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30
)


@settings(max_examples=examples(100), deadline=None)
@given(documents, st.booleans())
def test_any_document_decodes_as_json_loads_decodes_it(value: Any, ascii_only: bool) -> None:
    text = json.dumps([value, PAD], ensure_ascii=ascii_only)
    assert agrees(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=examples(100), deadline=None)
@given(st.binary(max_size=64), st.binary(max_size=16))
def test_any_bytes_get_json_loads_value_or_its_error(head: bytes, tail: bytes) -> None:
    assert agrees(head + b'["' + PAD.encode() + b'"]' + tail)
    assert agrees(b'["' + PAD.encode() + b'", ' + head + b"]")


@pytest.mark.parametrize(
    "data",
    [
        b"[123456789012345678901234567890123, -99999999999999999999999]",
        b'["\\ud800", "\\udfff\\ud800"]',  # lone surrogates: msgspec refuses them, json keeps them
        b"[NaN, Infinity, -Infinity, 1e400, -0.0, 0.1]",
        b'\xef\xbb\xbf["bom"]',
        '["utf-16"]'.encode("utf-16"),
        b'["\xed\xa0\x80"]',  # a surrogate encoded in UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # deeper than either decoder goes: RecursionError from both
        b'{"a": 1, "a": 2}',
        b"",
    ],
)
def test_the_known_differences_between_the_decoders_are_json_loads_way(data: bytes) -> None:
    assert agrees(data[:-1] + b", " + json.dumps(PAD).encode() + data[-1:] if data[-1:] == b"]" else data)
    assert agrees(data)


def test_a_large_page_takes_the_fast_decoder() -> None:
    """Not only correct but used: a page's worth of JSON goes through msgspec (it is a dependency)."""
    fast = jsondecode._decoder()
    assert fast is not None
    page = json.dumps({"_embedded": {"items": [{"id": i, "name": f"Test {i}"} for i in range(2000)]}})
    assert same(fast(page.encode()), json.loads(page))
