"""``export --update`` for Taplytics: refresh a config from the project, changing only the values that
drifted. Pure.

What changes, for the users the file declares and nothing else: ``email`` and ``name`` when the entry
declares them, and the ``custom_data`` keys the entry declares (a value may change type: ``"true"`` ->
``true``). A declared field or key the user no longer has is removed (the whole ``custom_data`` when none of
its keys would remain), unless that would leave the entry declaring nothing: then it is reported for a hand
edit. So are values the config cannot hold (a list, an email with ``${``), values that come from a YAML
anchor, and keys written through a merge key.

What is reported and left in the file: declared users the project no longer has (with their line). What is
listed as "not in the file": the project's other users; ``--add-new`` appends them, written as ``export``
writes them. The edits themselves are in ``splice``: the bytes of everything else stay as they were.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.core.text import suspicious_characters
from reconciler.providers.taplytics.config import TaplyticsConfig, User
from reconciler.providers.taplytics.diff import same_value
from reconciler.providers.taplytics.export.render import field_refused, literal, user_entry
from reconciler.providers.taplytics.state import Existing, ExistingUser
from reconciler.yamledit import splice
from reconciler.yamledit.refresh import Refresh
from reconciler.yamledit.result import Finding, UpdateResult
from reconciler.yamledit.splice import CannotEdit, Edit, Pair, lookup
from reconciler.yamledit.text import one_line

_SPACES = re.compile(" *")
_GONE = object()  # a field or key the user no longer has


def update_text(
    path: str, text: str, config: TaplyticsConfig, existing: Existing, add_new: bool
) -> UpdateResult:
    """Refresh ``text`` (the file at ``path``, whose validated model is ``config``) from ``existing``."""
    return _Updater(path, text, config, existing, add_new).run()


def shown(value: Any) -> str:
    """A value in a report line: JSON, so ``"true"`` and ``true`` read differently; one line."""
    return "(unset)" if value is _GONE else one_line(json.dumps(value, ensure_ascii=False))


def replace_value(text: str, node: Node, value: Any) -> Edit:
    """The scalar ``node`` written as ``value``: a string in the node's own quoting style (``splice``); a
    number or a boolean plain, whatever the old quoting (``"true"`` -> ``true`` changes the type, as meant).
    A comment after it on the line keeps its column when the spaces before it allow."""
    if isinstance(value, str) or not isinstance(node, ScalarNode) or node.anchor is not None:
        return splice.replace_scalar(text, node, str(value))  # str(value): it raises CannotEdit first
    new = literal(value)
    if new is None:
        raise CannotEdit("the project's value is not a string, number or boolean")
    start, end = node.start_mark.index, node.end_mark.index
    run = _SPACES.match(text, end)
    gap = run.end() - end if run else 0
    if gap and text[end + gap : end + gap + 1] == "#" and "\n" not in text[start:end]:
        return Edit(start, end + gap, new + " " * max(1, gap + (end - start) - len(new)))
    return Edit(start, end, new)


class _Updater(Refresh):
    """One refresh: walks the config's users next to their nodes, collecting edits and findings."""

    def __init__(
        self, path: str, text: str, config: TaplyticsConfig, existing: Existing, add_new: bool
    ) -> None:
        super().__init__(path, text)
        self.config, self.existing, self.add_new = config, existing, add_new

    def run(self) -> UpdateResult:
        pair = lookup(self.root, "users")
        items = list(pair[1].value) if pair is not None and isinstance(pair[1], SequenceNode) else []
        project = self.existing.project
        for index, (entry, item) in enumerate(zip(self.config.users, items, strict=False)):
            label = f"users[{index}] ({one_line(entry.user_id)})"
            user = self.existing.users.get(entry.user_id)
            if user is None:
                self.note("gone", item, f"{label}: not in project {project} any more; left in the file")
            else:
                _Entry(self, label, item, entry, user).refresh()
        self._new_users(pair)
        return self.finish()

    def _new_users(self, pair: Pair | None) -> None:
        declared = {u.user_id for u in self.config.users}
        new = [self.existing.users[u] for u in sorted(self.existing.users) if u not in declared]
        if not self.add_new:
            for user in new:
                name = f" {json.dumps(user.name, ensure_ascii=False)}" if user.name else ""
                self.note("new", None, f"not in the file: user {one_line(user.user_id)}{one_line(name)}")
            return
        entries, names = [], []
        for user in new:
            lines, notes = user_entry(user)
            if lines:
                entries.append(lines)
                names.append(one_line(user.user_id))
            else:
                self.note("manual", None, f"{one_line(notes[0])}; not added")
        if entries:
            self._append(pair, entries, names)

    def _append(self, pair: Pair | None, entries: list[list[str]], names: list[str]) -> None:
        """``--add-new``: the entries go at the end of the list (a new ``users:`` block if there is none)."""
        shown_names = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
        message = f"users: added {len(names)} at the end of the list: {shown_names}"
        try:
            edits = (
                splice.append_items(self.text, pair, entries, self.newline)
                if pair is not None
                else [splice.append_block(self.text, "users", entries, self.newline)]
            )
        except CannotEdit as why:
            self.note("manual", None if pair is None else pair[0], f"{message}: add them by hand ({why})")
            return
        self.result.edits.extend(edits)
        anchor = len(self.text) if pair is None else pair[0].start_mark.index
        self.result.findings.append(Finding("added", anchor, message, edits[-1].start))


class _Entry:
    """One declared user that exists: its drifted fields and custom_data keys."""

    def __init__(self, up: _Updater, label: str, item: Node, entry: User, user: ExistingUser) -> None:
        self.up, self.label, self.item, self.entry, self.user = up, label, item, entry, user
        data = entry.custom_data or {}
        self.gone_keys = [k for k in data if k not in user.custom_data]
        self.drop_data = bool(data) and len(self.gone_keys) == len(data)
        # What the entry declares after the refresh: removing all of it would leave an invalid entry.
        self.remaining = [k for k in ("email", "name") if getattr(entry, k) is not None and getattr(user, k)]
        if entry.custom_data is not None and not self.drop_data:
            self.remaining.append("custom_data")

    def refresh(self) -> None:
        for key in ("email", "name"):
            want = getattr(self.entry, key)
            have = getattr(self.user, key)
            if want is not None and have != want:
                self._field(key, want, have)
        self._custom_data()

    def _field(self, key: str, want: str, have: str | None) -> None:
        pair = lookup(self.item, key)
        at = self.item if pair is None else pair[1]
        if have is None:
            self._remove(pair, at, f"{key} {shown(want)}: removed (the user has none any more)")
            return
        message = f"{key} {shown(want)} -> {shown(have)}"
        why = field_refused(key, have)
        if why is None and key == "email" and not self.entry.allow_unicode_email:
            why = _unicode(have)
        if why:
            self.up.manual(self.label, at, message, why)
            return
        self.up.edit(self.label, at, lambda: replace_value(self.up.text, _need(pair)[1], have), message)

    def _remove(self, pair: Pair | None, at: Node, message: str) -> None:
        if not self.remaining:
            why = "the entry would declare nothing: remove the user, or write custom_data: {}"
            self.up.manual(self.label, at, message, why)
            return
        self.up.edit(
            self.label, at, lambda: splice.delete_pair(self.up.text, self.item, _need(pair)), message
        )

    def _custom_data(self) -> None:
        want = self.entry.custom_data
        if not want:
            return
        pair = lookup(self.item, "custom_data")
        if pair is None or not isinstance(pair[1], MappingNode):
            self.up.manual(self.label, self.item, "custom_data", "it is not a mapping in the entry itself")
            return
        if self.drop_data:
            self._remove(pair, pair[1], "custom_data: removed (the user has none of its keys any more)")
            return
        for key, value in want.items():
            self._data_key(pair[1], key, value)

    def _data_key(self, node: Node, key: str, want: Any) -> None:
        text, found = self.up.text, lookup(node, key)
        at = node if found is None else found[1]
        if key in self.gone_keys:
            message = f"custom_data.{key} {shown(want)}: removed (the user has none any more)"
            self.up.edit(self.label, at, lambda: splice.delete_pair(text, node, _need(found)), message)
            return
        have = self.user.custom_data[key]
        if same_value(have, want):
            return
        message = f"custom_data.{key} {shown(want)} -> {shown(have)}"
        why = field_refused(f"custom_data.{key}", have)
        if why:
            self.up.manual(self.label, at, message, why)
        else:
            self.up.edit(self.label, at, lambda: replace_value(text, _need(found)[1], have), message)


def _unicode(email: str) -> str | None:
    """Why an entry without ``allow_unicode_email`` cannot take ``email``, or None."""
    odd = suspicious_characters(email)
    return (
        f"it has {', '.join(odd)}: add allow_unicode_email: true to the entry if it is meant" if odd else None
    )


def _need(pair: Pair | None) -> Pair:
    if pair is None:
        raise CannotEdit("it is not written in the entry itself (a merge key?)")
    return pair
