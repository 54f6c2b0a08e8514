"""Plain Python from YAML parser events, with positions, within limits a hostile file cannot get past.

The config comes from a pull request, so a file may be built to hurt whoever loads it. ruamel's composer
(the C one from ruamel.yaml.clib as much as the Python one) recurses once per nesting level: 1,000 nested
brackets raise RecursionError and 50,000 crash the process. And it hands back one node for every use of an
anchor, so a 400-byte "billion laughs" file expands into billions of values when it is walked. This builder
consumes the parser's events instead (libyaml's parser keeps its own heap stack, so depth cannot crash it)
with an explicit stack, and refuses, at the line of the event that crosses a limit:

- nesting deeper than ``MAX_DEPTH``;
- aliases that together repeat more than ``MAX_ALIAS_NODES`` nodes (counted before anything is copied);
- an alias to an anchor that is still open (a recursive structure) or that does not exist;
- integers longer than ``MAX_INT_DIGITS`` digits (Python refuses to convert 4,300 and more);
- merge keys ``<<``.

It also does the composer's other job: one document per file, no duplicate keys.

Positions are optional: a load builds the data without them (no path tuple, no table entry per node: most
of the builder's time and half the memory of a loaded config, issue 29), and the file is built again with
them the first time a message needs a FILE:LINE (``yaml.Positions``). The data is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode

Loc = tuple[str | int, ...]
Spot = tuple[int, int]  # 1-based (line, column)

# Deep enough for any config (ours nest 5 levels), shallow enough that nothing downstream that recurses
# (pydantic, our checks, json) comes near Python's recursion limit.
MAX_DEPTH = 64
# Aliases may repeat this many nodes in all: a config sharing a schedule across a few thousand tests needs
# a few ten thousand; a billion-laughs file crosses it at its sixth level, with a few MB in use.
MAX_ALIAS_NODES = 100_000
# Account and test ids are at most 19 digits (a signed 64-bit integer).
MAX_INT_DIGITS = 20

_STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NO_KEY = object()


class Refused(Exception):
    """The file crosses one of the limits (or is not one YAML document): a message for ``spot``."""

    def __init__(self, spot: Spot, message: str) -> None:
        super().__init__(message)
        self.spot, self.message = spot, message


def _spot(event: Event) -> Spot:
    return _at(event.start_mark)


def _at(mark: Any) -> Spot:
    """A parser mark as a 1-based spot (marks are kept as they come, turned into spots when needed)."""
    return mark.line + 1, mark.column + 1


class _Frame:
    """A mapping or sequence being built: where it is, and, when anchored, what to remember of it."""

    __slots__ = ("anchor", "key", "key_mark", "loc", "mark", "record_from", "size", "value")

    def __init__(self, value: dict[Any, Any] | list[Any], loc: Loc, anchor: str | None, mark: Any) -> None:
        self.value, self.loc, self.anchor, self.mark = value, loc, anchor, mark
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.size = 1
        self.record_from = 0


class _Anchor:
    """A completed anchored value: what each alias use copies, and its positions relative to it."""

    __slots__ = ("positions", "size", "value")

    def __init__(self, value: Any, size: int, positions: list[tuple[Loc, bool, Spot]]) -> None:
        self.value, self.size, self.positions = value, size, positions


def _copy(value: Any) -> Any:
    """A fresh copy of a built value, so no two places of the data share a dict or list (depth <= 64)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _digits(text: str) -> int:
    return len(text.lstrip("+-").replace("_", ""))


class Builder:
    """Builds one document's data from ``events``, filling ``values`` / ``keys`` with 1-based positions
    (none when they are None: the data alone, faster).

    ``resolve`` is the resolver's ``resolve`` (implicit tags of plain scalars); ``construct`` turns any
    scalar node other than a string or a plain decimal into its Python value (floats, booleans, null...).
    """

    def __init__(
        self,
        resolve: Callable[[Any, str, Any], str],
        construct: Callable[[ScalarNode], Any],
        values: dict[Loc, Spot] | None = None,
        keys: dict[Loc, Spot] | None = None,
    ) -> None:
        self.resolve, self.construct = resolve, construct
        self.values, self.keys = values, keys
        self.positions = values is not None and keys is not None
        self.plain: dict[str, str] = {}  # a plain scalar's text -> its tag
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.aliased = 0  # nodes repeated by aliases so far
        self.recording = 0  # anchored collections open: positions are then also kept in ``record``
        self.record: list[tuple[Loc, bool, Spot]] = []
        self.root: Any = None
        self.root_spot: Spot = (1, 1)

    def build(self, events: Iterator[Event]) -> bool:
        """Consume the stream; False when it holds no document at all."""
        found = False
        for event in events:
            kind = type(event)
            if kind is ScalarEvent:
                self._scalar(event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self._start(event, {} if kind is MappingStartEvent else [])
            elif kind is AliasEvent:
                self._alias(event)
            elif kind is DocumentStartEvent:
                if found:
                    raise Refused(
                        _spot(event), "YAML syntax error: a second document (---): a file holds one"
                    )
                found = True
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self._end()
        return found

    def _child_loc(self) -> Loc:
        # Inside a collection used as a key the path holds _NO_KEY: no lookup ever asks for such a path.
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.loc, len(top.value))
        return (*top.loc, top.key)

    def _scalar(self, event: Any) -> None:
        value: Any = event.value
        explicit = event.ctag  # the ``tag`` property's own field: a call less on every scalar
        if explicit is None and event.implicit[0]:
            # A plain scalar's tag depends on its text alone (the version is fixed for the document): the
            # same few texts recur thousands of times, and a call to the resolver costs more than a lookup.
            tag = self.plain.get(value)
            if tag is None:
                tag = self.plain[value] = self.resolve(ScalarNode, value, event.implicit)
        else:
            # No tag (or "!"): the resolver's, from the text; else an explicit one, such as !!str.
            tag = None if explicit is None else str(explicit)
            tag = self.resolve(ScalarNode, value, event.implicit) if tag is None or tag == "!" else tag
        if tag == _STR_TAG:
            pass  # the common case, without the constructor's generic dispatch
        elif tag == INT_TAG:
            value = self._integer(event)
        elif tag == _MERGE_TAG:
            raise Refused(
                _spot(event),
                "merge keys (<<) are not supported: a reviewer cannot see which keys an entry ends up "
                "with, nor which side wins a clash; write the keys out (an alias of a whole value, "
                "such as 'schedule: *launch', is fine)",
            )
        elif tag.endswith(":timestamp"):
            # An unquoted 2026-12-01T09:00:00 is a YAML timestamp: keep the text the user wrote, so the
            # format check sees an offset or fractional seconds if there were any.
            pass
        else:
            node = ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
            value = self._constructed(node, event)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, 1, [])
        self._deliver(value, 1, event.start_mark)

    def _integer(self, event: Any) -> Any:
        text: str = event.value
        if len(text) > MAX_INT_DIGITS and _digits(text) > MAX_INT_DIGITS:
            raise Refused(
                _spot(event),
                f"an integer of {_digits(text):,} digits: at most {MAX_INT_DIGITS} are accepted (an id "
                "has at most 19); quote it if it is meant as text",
            )
        if text.isdigit() and (text[0] != "0" or text == "0"):
            return int(text)  # plain decimal only: 010 is octal under a %YAML 1.1 directive
        return self._constructed(ScalarNode(INT_TAG, text, event.start_mark, event.end_mark), event)

    def _constructed(self, node: ScalarNode, event: Any) -> Any:
        """The value of a scalar under its tag; an explicit tag the text does not fit (``!!int abc``,
        ``!!bool maybe``) is refused at its place instead of escaping as a ValueError (exit 3)."""
        try:
            return self.construct(node)
        except (ValueError, KeyError, IndexError, TypeError, YAMLError) as err:
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise Refused(
                _spot(event),
                f"{node.value!r} is not a valid {kind} ({type(err).__name__}); remove the tag or fix the value",
            ) from None

    def _start(self, event: Any, value: dict[Any, Any] | list[Any]) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise Refused(
                _spot(event),
                f"nesting deeper than {MAX_DEPTH} levels: a config never needs this many; flatten it",
            )
        frame = _Frame(value, self._child_loc() if self.positions else (), event.anchor, event.start_mark)
        if event.anchor is not None:
            frame.record_from = len(self.record)
            self.recording += 1
        self.stack.append(frame)

    def _end(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            cut = len(frame.loc)
            kept = [(loc[cut:], is_key, spot) for loc, is_key, spot in self.record[frame.record_from :]]
            self.anchors[frame.anchor] = _Anchor(frame.value, frame.size, kept)
            self.recording -= 1
            if not self.recording:
                self.record.clear()
        self._deliver(frame.value, frame.size, frame.mark)

    def _alias(self, event: Any) -> None:
        name = event.anchor
        anchor = self.anchors.get(name)
        if anchor is None:
            if any(frame.anchor == name for frame in self.stack):
                raise Refused(
                    _spot(event),
                    f"alias *{name} is used inside its own anchor &{name}: a recursive structure cannot "
                    "be a config; write the value out",
                )
            raise Refused(_spot(event), f"YAML syntax error: found undefined alias {name!r}")
        self.aliased += anchor.size
        if self.aliased > MAX_ALIAS_NODES:
            raise Refused(
                _spot(event),
                f"aliases repeat more than {MAX_ALIAS_NODES:,} values in this file (*{name} alone repeats "
                f"{anchor.size:,}), which looks like a 'billion laughs' file: write the values out, "
                "or use fewer aliases",
            )
        loc = self._deliver(_copy(anchor.value), anchor.size, event.start_mark)
        if loc is not None:  # the positions under the anchor, now under this use too
            for rel, is_key, spot in anchor.positions:
                self._note((*loc, *rel), is_key, spot)

    def _note(self, loc: Loc, is_key: bool, spot: Spot) -> None:
        (self.keys if is_key else self.values)[loc] = spot  # type: ignore[index]  # only with positions
        if self.recording:
            self.record.append((loc, is_key, spot))

    def _deliver(self, value: Any, size: int, mark: Any) -> Loc | None:
        """Put a finished value (starting at ``mark``) in its parent; its path when positions are kept, else
        (and when it became a key, or the root) None."""
        if not self.stack:
            self.root, self.root_spot = value, _at(mark)
            return None
        top = self.stack[-1]
        top.size += size
        container = top.value
        if isinstance(container, list):
            container.append(value)
            if not self.positions:
                return None
            child: Loc = (*top.loc, len(container) - 1)
        elif top.key is _NO_KEY:
            key = str(value) if isinstance(value, list | dict) else value
            if key in container:
                raise Refused(_at(mark), f"YAML syntax error: found duplicate key {key!r}; keep one")
            top.key, top.key_mark = key, mark
            return None
        else:
            container[top.key] = value
            key, top.key = top.key, _NO_KEY
            if not self.positions:
                return None
            child = (*top.loc, key)
            self._note(child, True, _at(top.key_mark))
        self._note(child, False, _at(mark))
        return child
