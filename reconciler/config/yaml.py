"""YAML loading that remembers where every node came from.

ruamel.yaml's composer keeps line/column on every node; we flatten that into a
``Positions`` table keyed by the same path tuples pydantic uses in its error ``loc`` (``("tests", 2,
"state")``), so any later error (validation, an unknown test id at plan time) can name FILE:LINE:COL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from reconciler.errors import ConfigIssue

Loc = tuple[str | int, ...]


@dataclass
class Positions:
    """1-based (line, column) of every key and value of one file, by path."""

    file: str
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def at(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Where ``loc`` is (its key when ``key``), else the nearest enclosing node that exists."""
        if key and loc in self.keys:
            return self.keys[loc]
        probe = loc
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

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

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or not implicit[0]:
            return super().resolve(kind, value, implicit)
        memo: dict[str, Any] = self.__dict__.setdefault("_memo", {})
        tag = memo.get(value)
        if tag is None:
            tag = memo[value] = super().resolve(kind, value, implicit)
        return tag


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int, column: int) -> None:
        super().__init__(key)
        self.key, self.line, self.column = key, line, column


def _plain(node: Node, loc: Loc, pos: Positions, scalars: SafeConstructor) -> Any:
    """Build plain Python from composed nodes, recording 1-based positions on the way."""
    if isinstance(node, MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _plain(key_node, loc, pos, scalars)
            if isinstance(key, list | dict):
                key = str(key)
            if key in out:
                raise _DuplicateKey(key, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            child = (*loc, key)
            pos.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            pos.values[child] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            out[key] = _plain(value_node, child, pos, scalars)
        return out
    if isinstance(node, SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            pos.values[(*loc, i)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_plain(item, (*loc, i), pos, scalars))
        return items
    tag = node.tag
    if tag == _STR_TAG:
        return node.value  # the common case, without the constructor's generic dispatch
    if tag == _INT_TAG and node.value.isdigit() and (node.value[0] != "0" or node.value == "0"):
        return int(node.value)  # plain decimal only: 010 is octal under a %YAML 1.1 directive
    if (tag or "").endswith(":timestamp"):
        # An unquoted 2026-12-01T09:00:00 is a YAML timestamp: keep the text the user wrote, so the
        # format check sees an offset or fractional seconds if there were any.
        return str(node.value)
    return scalars.construct_object(node, deep=True)


@dataclass
class Document:
    """One parsed file: plain data, where each node is, and the raw text (for digests)."""

    path: str
    data: Any
    positions: Positions
    text: str


def _yaml_issue(path: str, err: YAMLError) -> ConfigIssue:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if isinstance(err, MarkedYAMLError):
        problem = err.problem or "invalid YAML"
        context = f" ({err.context})" if err.context else ""
        message = f"YAML syntax error: {problem}{context}"
    else:
        message = f"YAML syntax error: {err}"
    return ConfigIssue(path, line, col, " ".join(message.split()))


def load_document(path: Path, display: str | None = None) -> Document | ConfigIssue:
    """Parse one YAML file; a syntax error, an unreadable or empty file is returned as an issue."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return ConfigIssue(name, 1, 1, f"cannot read file: {err.__class__.__name__}: {err}")
    return parse_document(text, name)


def parse_document(text: str, name: str) -> Document | ConfigIssue:
    """Parse ``text`` as the file ``name`` (export --update checks its new text this way before writing)."""
    # The safe composer uses libyaml (ruamel.yaml.clib) when installed: ~6x faster than the pure-Python
    # round-trip loader on large configs, and its nodes still carry line and column.
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _MemoResolver
    pos = Positions(name)
    try:
        node = yaml.compose(text)
        if node is None:
            return ConfigIssue(name, 1, 1, "empty file: expected a mapping with 'version: 1' and 'provider'")
        data = _plain(node, (), pos, SafeConstructor(loader=yaml))
    except YAMLError as err:
        return _yaml_issue(name, err)
    except _DuplicateKey as dup:
        return ConfigIssue(
            name, dup.line, dup.column, f"YAML syntax error: found duplicate key {dup.key!r}; keep one"
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return ConfigIssue(
            name, 1, 1, f"the top level is {kind}: expected a mapping with 'version' and 'provider'"
        )
    pos.values[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
    return Document(name, data, pos, text)
