"""YAML loading that remembers where every node came from.

ruamel.yaml's round-trip loader keeps line/column on mappings and sequences; we flatten that into a
``Positions`` table keyed by the same path tuples pydantic uses in its error ``loc`` (``("tests", 2,
"state")``), so any later error (validation, an unknown test id at plan time) can name FILE:LINE:COL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

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


def _plain(node: Any, loc: Loc, pos: Positions) -> Any:
    """Convert ruamel's round-trip nodes to plain Python, recording positions on the way."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for k, v in node.items():
            kline, kcol = node.lc.key(k)
            vline, vcol = node.lc.value(k)
            child = (*loc, k)
            pos.keys[child] = (kline + 1, kcol + 1)
            pos.values[child] = (vline + 1, vcol + 1)
            out[k] = _plain(v, child, pos)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, v in enumerate(node):
            line, col = node.lc.item(i)
            pos.values[(*loc, i)] = (line + 1, col + 1)
            items.append(_plain(v, (*loc, i), pos))
        return items
    if isinstance(node, dt.datetime):
        # An unquoted 2026-12-01T09:00:00 is a YAML timestamp: give back the text the user meant, so the
        # format check sees an offset or fractional seconds if there were any.
        return node.isoformat()
    if isinstance(node, dt.date):
        return node.isoformat()
    if isinstance(node, str):
        return str(node)  # drop ruamel's scalar-string subclasses (quoting styles)
    return node


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
    yaml = YAML(typ="rt")
    try:
        node = yaml.load(text)
    except YAMLError as err:
        return _yaml_issue(name, err)
    pos = Positions(name)
    if node is None:
        return ConfigIssue(name, 1, 1, "empty file: expected a mapping with 'version: 1' and 'provider'")
    if not isinstance(node, CommentedMap):
        kind = "a list" if isinstance(node, CommentedSeq) else f"a {type(node).__name__}"
        return ConfigIssue(
            name, 1, 1, f"the top level is {kind}: expected a mapping with 'version' and 'provider'"
        )
    pos.values[()] = (node.lc.line + 1, node.lc.col + 1)
    return Document(name, _plain(node, (), pos), pos, text)
