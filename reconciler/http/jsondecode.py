"""Decoding a JSON body: msgspec for large ones, with ``json`` as the judge of everything it does not take.

A 10,000-test plan decodes 13.7 MB of pages; msgspec's decoder does that in about 0.4 of ``json``'s time
(0.26 -> 0.11 s of CPU for 120 pages of 137 KB, bench/results.md). Its results must be ``json.loads``'s
exactly, since the body parsers and their property tests are written against those: for every input msgspec
refuses (lone surrogates, ``NaN``, ``1e400``, a byte-order mark, UTF-16, invalid UTF-8) the body goes to
``json.loads``, which gives its own value or its own error; for the inputs msgspec takes, the property test
``tests/http/test_jsondecode.py`` holds it to ``json``'s values, integers of any size included (orjson turns
those into floats: not an option). Deep nesting is a ``RecursionError`` from both.

Importing msgspec costs 15-35 ms (its package loads its schema and TOML/YAML modules too), more than it
saves on a small body, so it is imported on the first body of ``LARGE`` bytes or more; a small plan never
loads it. Where msgspec is not installed, ``json`` decodes everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

LARGE = 32 * 1024

_fast: list[Callable[[bytes], Any] | None] = []


def loads(data: bytes) -> Any:
    """``json.loads(data)``'s value or error, by the faster decoder where it agrees."""
    if len(data) >= LARGE and (fast := _decoder()) is not None:
        try:
            return fast(data)
        except Exception:  # whatever msgspec refuses, json decides (its value or its error)
            pass
    return json.loads(data)


def _decoder() -> Callable[[bytes], Any] | None:
    if not _fast:
        try:
            import msgspec.json  # only once a large body comes: see the module docstring
        except ImportError:
            _fast.append(None)
        else:
            _fast.append(msgspec.json.Decoder().decode)
    return _fast[0]
