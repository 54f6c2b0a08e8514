"""YAML loading that remembers where every node came from.

The data is built from libyaml's parser events within limits (``yaml_build``: no composer, so no recursion
per level, bounded aliases). ``Positions`` gives each node's line/column by the same path tuples pydantic
uses in its error ``loc`` (``("tests", 2, "state")``), so any later error (validation, an unknown test id at
plan time) can name FILE:LINE:COL. It builds its tables from the file's text the first time a message asks:
a valid file never pays for them (a table entry per node was most of the builder's time and half the memory
of a 50,000-test config, issue 29), and the same text parsed again gives the very same data and paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from reconciler.config.yaml_build import INT_TAG, Builder, Loc, Refused, Spot
from reconciler.errors import ConfigIssue

__all__ = ["MAX_FILE_BYTES", "Document", "Loc", "Positions", "load_document", "parse_document"]

# 12,000 entries take 0.7 MB: 10 MB is far beyond any account, and far below what would hurt to parse.
MAX_FILE_BYTES = 10 * 1024 * 1024


class Positions:
    """1-based (line, column) of every key and value of one file, by path: from ``text`` (the file as it was
    parsed), parsed again with positions on first use; or the tables as given."""

    def __init__(
        self,
        file: str,
        text: str = "",
        values: dict[Loc, Spot] | None = None,
        keys: dict[Loc, Spot] | None = None,
    ) -> None:
        self.file, self._text = file, text
        self._values, self._keys = values, keys

    def __repr__(self) -> str:
        return f"Positions({self.file!r})"  # never the text: a literal secret may be in it

    @property
    def built(self) -> bool:
        """Whether the tables were needed yet (a valid file that nothing complained about: never)."""
        return self._values is not None

    @property
    def values(self) -> dict[Loc, Spot]:
        """Where each value starts, by path (the root at ``()``)."""
        if self._values is None:
            self._values, self._keys = _tables(self._text, self.file)
        return self._values

    @property
    def keys(self) -> dict[Loc, Spot]:
        """Where each mapping key starts, by the path of its value."""
        if self._keys is None:
            self._values, self._keys = _tables(self._text, self.file)
        return self._keys

    def at(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Where ``loc`` is (its key when ``key``), else the nearest enclosing node that exists."""
        values, keys = self.values, self.keys
        if key and loc in keys:
            return keys[loc]
        probe = loc
        while probe:
            if probe in values:
                return values[probe]
            probe = probe[:-1]
        return values.get((), (1, 1))

    def issue(self, loc: Loc, message: str, *, key: bool = False) -> ConfigIssue:
        line, col = self.at(loc, key=key)
        return ConfigIssue(self.file, line, col, message)


class _MemoResolver(VersionedResolver):
    """ruamel's resolver, remembering each plain scalar's tag for the rest of the document.

    The stock ``resolve`` re-derives the YAML version through several attribute lookups and runs the
    implicit-tag regexes for every scalar: most of the load time of a 12,000-entry config, where the same
    few values ("state", "play", "role", ...) recur thousands of times. A loader parses one document, and its
    version is known before the first scalar, so the memo cannot go stale.
    """

    @property
    def versioned_resolver(self) -> Any:
        table = self.__dict__.get("_table")
        if table is None:
            table = self.__dict__["_table"] = super().versioned_resolver
        return table

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        """The tag as text, which the builder compares with plain strings (a ``Tag`` compares slowly)."""
        if kind is not ScalarNode or not implicit[0]:
            return self._text(super().resolve(kind, value, implicit))
        # A plain decimal is an int under YAML 1.1 and 1.2 alike: ids are unique, so the memo below would
        # miss each one and run the regexes (10,000 tests, 10,000 misses).
        if value.isdigit() and value.isascii() and (value[0] != "0" or value == "0"):
            return INT_TAG
        memo: dict[str, str] = self.__dict__.setdefault("_memo", {})
        tag = memo.get(value)
        if tag is None:
            tag = memo[value] = self._text(super().resolve(kind, value, implicit))
        return tag

    def _text(self, tag: Any) -> str:
        """``str(tag)``, remembered: ruamel decodes a fresh ``Tag`` character by character each time."""
        texts: dict[tuple[Any, Any], str] = self.__dict__.setdefault("_texts", {})
        key = (tag.handle, tag.suffix)
        text = texts.get(key)
        if text is None:
            text = texts[key] = str(tag)
        return text


@dataclass
class Document:
    """One parsed file: plain data, where each node is, and the raw text (for digests)."""

    path: str
    data: Any
    positions: Positions
    text: str


def _yaml_issue(path: str, err: YAMLError, text: str = "") -> ConfigIssue:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1][:col]:
        # ruamel says "found character that cannot start any token": the character is a tab.
        tab = lines[line - 1].index("\t") + 1
        message = "YAML syntax error: a tab character; YAML indents with spaces only: replace it with spaces"
        return ConfigIssue(path, line, tab, message)
    if isinstance(err, MarkedYAMLError):
        problem = err.problem or "invalid YAML"
        context = f" ({err.context})" if err.context else ""
        message = f"YAML syntax error: {problem}{context}"
    else:
        message = f"YAML syntax error: {err}"
    return ConfigIssue(path, line, col, " ".join(message.split()))


def load_document(path: Path, display: str | None = None) -> Document | ConfigIssue:
    """Parse one YAML file; a syntax error, an unreadable, empty or oversized file is returned as an issue."""
    name = display or str(path)
    try:
        with path.open(encoding="utf-8") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:  # refused before a byte is read
                return _too_big(name, f"{size:,} bytes")
            # Read at most one character more than allowed: /dev/zero or a FIFO reports a size of 0.
            text = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, UnicodeDecodeError) as err:
        return ConfigIssue(name, 1, 1, f"cannot read file: {err.__class__.__name__}: {err}")
    return parse_document(text, name)


def _too_big(name: str, size: str) -> ConfigIssue:
    limit = f"{MAX_FILE_BYTES // 1024 // 1024} MB ({MAX_FILE_BYTES:,} bytes)"
    return ConfigIssue(
        name,
        1,
        1,
        f"the file is {size}, over the {limit} a config file may have (12,000 entries take 0.7 MB): "
        "check that it is the right file",
    )


def parse_document(text: str, name: str) -> Document | ConfigIssue:
    """Parse ``text`` as the file ``name`` (export --update checks its new text this way before writing)."""
    if len(text) > MAX_FILE_BYTES:  # characters: at least as many bytes
        return _too_big(name, f"more than {MAX_FILE_BYTES:,} bytes")
    try:
        builder = _build(text)
    except YAMLError as err:
        return _yaml_issue(name, err, text)
    except Refused as refused:
        return ConfigIssue(name, *refused.spot, refused.message)
    if builder is None:
        return ConfigIssue(name, 1, 1, "empty file: expected a mapping with 'version: 1' and 'provider'")
    data = builder.root
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return ConfigIssue(
            name, 1, 1, f"the top level is {kind}: expected a mapping with 'version' and 'provider'"
        )
    return Document(name, data, Positions(name, text), text)


def _build(
    text: str, values: dict[Loc, Spot] | None = None, keys: dict[Loc, Spot] | None = None
) -> Builder | None:
    """``text``'s one document built (None: the text holds none), its positions in ``values`` and ``keys``
    when given; raises ``YAMLError`` or ``Refused``."""
    # libyaml's parser (ruamel.yaml.clib) when installed: ~6x faster than the pure-Python one on large
    # configs. Its events go to our Builder, not to a composer: see yaml_build for why.
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _MemoResolver
    constructor = SafeConstructor(loader=yaml)
    builder = Builder(
        yaml.resolver.resolve, lambda node: constructor.construct_object(node, deep=True), values, keys
    )
    events = yaml.parse(text)
    try:
        return builder if builder.build(events) else None
    finally:
        events.close()  # frees the parser now, even when the builder stopped half-way


def _tables(text: str, name: str) -> tuple[dict[Loc, Spot], dict[Loc, Spot]]:
    """The positions of a file that ``parse_document`` accepted: the same text built again, with them."""
    values: dict[Loc, Spot] = {}
    keys: dict[Loc, Spot] = {}
    try:
        builder = _build(text, values, keys)
    except (YAMLError, Refused):  # not for a text that parsed once: no positions beats a crash
        builder = None
    values[()] = builder.root_spot if builder is not None else (1, 1)
    return values, keys
