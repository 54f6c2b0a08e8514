"""Edit YAML text in place, at the positions ruamel.yaml's round-trip composer gives every node.

Why not load with ``YAML(typ="rt")`` and dump the document back: the dumper re-indents every block to one
setting and re-spaces every ``key:   value``, so a hand-formatted file would change on lines whose values did
not. Here the round-trip composer only says where each node starts and ends (character offsets, comments
and all), and an ``Edit`` replaces exactly those characters: every other byte of the file stays, including
its line endings.

An edit that cannot be made safely raises ``CannotEdit`` with the reason (a key sharing its line with
``- ``, a flow mapping, a value that is an anchor other nodes share); the caller reports it for a hand edit.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.yamledit.text import double_quoted, scalar, single_quoted

_LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_SPACES = re.compile(" *")


class CannotEdit(Exception):
    """This edit would be unsafe to make automatically; ``str()`` says why."""


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``new`` (an insertion when start == end)."""

    start: int
    end: int
    new: str


Pair = tuple[ScalarNode, Node]


def compose(text: str) -> Node | None:
    """The document's node tree with positions and comments (the pure-Python round-trip composer)."""
    node: Node | None = YAML(typ="rt").compose(text)
    return node


def lookup(mapping: Node | None, key: str) -> Pair | None:
    """The (key, value) nodes of ``key`` written in ``mapping`` itself (not merged in from an anchor)."""
    if not isinstance(mapping, MappingNode):
        return None
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def line_start(text: str, index: int) -> int:
    """The offset of the first character of the line holding ``index``."""
    return text.rfind("\n", 0, index) + 1


def line_end(text: str, index: int) -> int:
    """The offset just after the newline that ends the line holding ``index`` (len(text) at the end)."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def last_end(node: Node) -> int:
    """Where the last scalar inside ``node`` ends (a block collection's own end mark is the next token)."""
    while isinstance(node, MappingNode | SequenceNode) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    end: int = node.end_mark.index
    return end


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, SequenceNode) else []


def shared_nodes(root: Node | None) -> set[int]:
    """The ids of nodes an alias (``*name``) makes appear in more than one place, and of everything under
    them: the composer returns the same node object for each use, so editing its text edits every entry that
    uses it. (An anchor used only once is not shared.)"""
    if root is None:
        return set()
    visits: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        visits[id(node)] = visits.get(id(node), 0) + 1
        if visits[id(node)] == 1:  # descend once: aliases may even be recursive
            stack.extend(_children(node))
    shared: set[int] = set()
    marking: list[tuple[Node, bool]] = [(root, False)]
    while marking:
        node, inside = marking.pop()
        if id(node) in shared:
            continue
        inside = inside or visits[id(node)] > 1
        if inside:
            shared.add(id(node))
        marking.extend((child, inside) for child in _children(node))
    return shared


def replace_scalar(text: str, node: Node, value: str) -> Edit:
    """The value of ``node`` written as ``value``, in the node's own quoting style; a comment after it on
    the line keeps its column when the spaces before it allow (``state: pause   # why`` -> ``play    #``)."""
    if not isinstance(node, ScalarNode):
        raise CannotEdit("the value is not a single scalar")
    if node.anchor is not None:
        raise CannotEdit(f"the value is the anchor &{node.anchor}, which other entries may share")
    if "${" in node.value:
        raise CannotEdit("the value comes from a ${VAR}")
    if node.style == "'":
        new = single_quoted(value) or double_quoted(value)
    elif node.style == '"':
        new = double_quoted(value)
    elif not node.style and _LOCAL_DATETIME.fullmatch(value) and _LOCAL_DATETIME.fullmatch(node.value):
        new = value  # an unquoted date-time stays unquoted
    else:
        new = scalar(value)  # plain when unambiguous; a block scalar (| or >) becomes one quoted line
    start, end = node.start_mark.index, node.end_mark.index
    run = _SPACES.match(text, end)
    gap = run.end() - end if run else 0
    if gap and text[end + gap : end + gap + 1] == "#" and "\n" not in text[start:end]:
        spaces = max(1, gap + (end - start) - len(new))
        return Edit(start, end + gap, new + " " * spaces)
    return Edit(start, end, new)


def delete_pair(text: str, mapping: Node, pair: Pair) -> Edit:
    """Remove the lines of one key and its value (and the value's trailing comment)."""
    key_node, value_node = pair
    if not isinstance(mapping, MappingNode) or mapping.flow_style:
        raise CannotEdit("the key is in a flow mapping { ... }")
    start = line_start(text, key_node.start_mark.index)
    if text[start : key_node.start_mark.index].strip():
        raise CannotEdit(f"'{key_node.value}' shares its line with what comes before it")
    return Edit(start, line_end(text, last_end(value_node)), "")


def insert_after(text: str, mapping: Node, after: Pair, line: str, newline: str) -> Edit:
    """Add ``line`` (``key: value``) to ``mapping`` right after the pair ``after``, at its column."""
    key_node, value_node = after
    if isinstance(mapping, MappingNode) and mapping.flow_style:
        return Edit(value_node.end_mark.index, value_node.end_mark.index, f", {line}")
    if not isinstance(value_node, ScalarNode):
        raise CannotEdit(f"'{key_node.value}' does not hold a single value")
    at = line_end(text, value_node.end_mark.index)
    lead = newline if at == len(text) and not text.endswith("\n") else ""
    return Edit(at, at, f"{lead}{' ' * key_node.start_mark.column}{line}{newline}")


def append_items(text: str, pair: Pair, entries: Sequence[list[str]], newline: str) -> list[Edit]:
    """Append ``entries`` (each an entry's lines relative to its keys) to the sequence under ``pair``."""
    key_node, seq = pair
    if not isinstance(seq, SequenceNode):
        raise CannotEdit(f"'{key_node.value}' is not a list")
    edits = []
    if seq.value and not seq.flow_style:
        first = seq.value[0]
        start = line_start(text, first.start_mark.index)
        dash = text.rfind("-", start, first.start_mark.index) - start
        keys = first.start_mark.column
        at = line_end(text, last_end(seq.value[-1]))
    elif not seq.value:  # `tests: []`: drop the brackets, the entries go on the lines below
        edits.append(Edit(seq.start_mark.index, seq.end_mark.index, ""))
        dash = key_node.start_mark.column + 2
        keys = dash + 2
        at = line_end(text, seq.end_mark.index)
    else:
        raise CannotEdit(f"'{key_node.value}' is a flow list [ ... ]")
    lines = [
        (" " * dash + "-" + " " * (keys - dash - 1) if i == 0 else " " * keys) + line
        for entry in entries
        for i, line in enumerate(entry)
    ]
    lead = newline if at == len(text) and not text.endswith("\n") else ""
    edits.append(Edit(at, at, lead + newline.join(lines) + newline))
    return edits


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """All edits at once (offsets are into the original text); insertions at one place keep their order."""
    out: list[str] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise ValueError(f"overlapping edits at offset {edit.start}")  # a bug in the caller
        out += [text[pos : edit.start], edit.new]
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


class Lines:
    """Offsets of the original text -> 1-based line numbers in the text after ``edits``."""

    def __init__(self, text: str, edits: Sequence[Edit] = ()) -> None:
        # An edit ending at or before an offset shifts it, except an insertion exactly there: a finding about
        # an insertion then points at the first inserted line. Keys sort insertions (1) after replacements (0).
        ordered = sorted(edits, key=lambda e: (e.end, int(e.start == e.end)))
        self._keys = [(e.end, int(e.start == e.end)) for e in ordered]
        self._shifts: list[int] = []
        for edit in ordered:
            before = self._shifts[-1] if self._shifts else 0
            self._shifts.append(before + len(edit.new) - (edit.end - edit.start))
        edited = apply_edits(text, edits) if edits else text
        self._newlines = [m.start() for m in re.finditer("\n", edited)]

    def line(self, offset: int) -> int:
        """The line of ``offset`` (of the original text) in the edited text."""
        count = bisect_left(self._keys, (offset, 1))
        shifted = offset + (self._shifts[count - 1] if count else 0)
        return bisect_left(self._newlines, shifted) + 1


def append_block(
    text: str, key: str, entries: Sequence[list[str]], newline: str, before: Node | None = None
) -> Edit:
    """A new top-level ``key:`` list holding ``entries``: on the line before the key ``before`` when given
    (so that items appended to the list that ends the file stay in that list), else at the end of the file."""
    lines = [f"{key}:"]
    for entry in entries:
        lines += [("  - " if i == 0 else "    ") + line for i, line in enumerate(entry)]
    if before is not None:
        at = line_start(text, before.start_mark.index)
        return Edit(at, at, newline.join(lines) + newline)
    lead = newline if text and not text.endswith("\n") else ""
    return Edit(len(text), len(text), lead + newline.join(lines) + newline)
