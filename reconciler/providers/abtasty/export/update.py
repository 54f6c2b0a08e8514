"""``export --update``: refresh a config from the live account, changing only the values that drifted. Pure.

What changes, for what the file already declares and nothing else: a test's ``state`` and ``mode`` (a mode
line is added for a test now playing in preprod and removed for a test now paused, since the config allows
a mode only with ``state: play``), the schedule fields the entry declares (``timezone`` too; a declared
start or stop the account no longer has is removed, the whole ``schedule`` when nothing would remain), and
member roles. Values that come from a ``${VAR}`` or an anchor are reported for a hand edit, not changed.

What is reported and left in the file: declared tests and members the account no longer has (with their
line). What is listed as "not in the file": the account's tests (as ``--tests`` selects) and members the
file does not declare; ``--add-new`` appends them, written as ``export`` writes them. Members are only
looked at when the file has a ``memberships`` block.

The edits themselves are in ``splice``: the bytes of everything else stay as they were.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from reconciler.providers.abtasty.api import TestSelection
from reconciler.providers.abtasty.config import AbTastyConfig, Test
from reconciler.providers.abtasty.export.render import known_timezones, local_time, member_entry, test_entry
from reconciler.providers.abtasty.state import Existing, ExistingTest, local_to_epoch
from reconciler.providers.abtasty.when import same_zone
from reconciler.yamledit import splice
from reconciler.yamledit.refresh import Refresh
from reconciler.yamledit.result import Finding, UpdateResult
from reconciler.yamledit.splice import CannotEdit, Pair, lookup
from reconciler.yamledit.text import comment_text


@dataclass(frozen=True)
class UpdateOptions:
    """``add_new``: append what the file lacks; ``tests``: which account tests count (all|playing|none)."""

    add_new: bool = False
    tests: TestSelection = "all"


def update_text(
    path: str, text: str, config: AbTastyConfig, existing: Existing, options: UpdateOptions
) -> UpdateResult:
    """Refresh ``text`` (the file at ``path``, whose validated model is ``config``) from ``existing``."""
    return _Updater(path, text, config, existing, options).run()


class _Updater(Refresh):
    """One refresh: walks the config's entries next to their nodes, collecting edits and findings."""

    def __init__(
        self, path: str, text: str, config: AbTastyConfig, existing: Existing, options: UpdateOptions
    ) -> None:
        super().__init__(path, text)
        self.config, self.existing, self.options = config, existing, options
        self.declared: set[int] = set()

    def run(self) -> UpdateResult:
        self._tests()
        self._members()
        return self.finish()

    def _replace(self, label: str, item: Node, key: str, old: str | None, new: str, within: str = "") -> bool:
        """``key: old`` -> ``key: new`` in ``item`` (``within``: the path shown before the key)."""
        pair = lookup(item, key)
        at = item if pair is None else pair[1]
        message = f"{within}{key} {old} -> {new}"
        return self.edit(label, at, lambda: splice.replace_scalar(self.text, _value(pair, key), new), message)

    # -- tests ------------------------------------------------------------------------------------------

    def _tests(self) -> None:
        pair = lookup(self.root, "tests")
        items = _items(pair)
        by_name: dict[str, list[int]] = {}
        for each in self.existing.tests.values():
            by_name.setdefault(each.name, []).append(each.id)
        for index, (entry, item) in enumerate(zip(self.config.tests, items, strict=False)):
            if entry.select is not None:
                continue  # a selector states intent for many tests: nothing of one test to refresh
            found, label = self._resolve(index, entry, item, by_name)
            if found is not None:
                self.declared.add(found.id)
                self._state(label, item, entry, found)
                self._schedule(label, item, entry, found)
        self._new_tests(pair)

    def _resolve(
        self, index: int, entry: Test, item: Node, by_name: dict[str, list[int]]
    ) -> tuple[ExistingTest | None, str]:
        account = self.existing.account_id
        if entry.id is not None:
            label = f"tests[{index}] (id {entry.id})"
            test = self.existing.tests.get(entry.id)
            if test is None:
                self.note("gone", item, f"{label}: not in account {account} any more; left in the file")
            return test, label
        name = comment_text(entry.name or "")
        ids = sorted(by_name.get(entry.name or "", []))
        if len(ids) == 1:
            return self.existing.tests[ids[0]], f"tests[{index}] (name {name}, id {ids[0]})"
        label = f"tests[{index}] (name {name})"
        what = "no test has this name" if not ids else f"{len(ids)} tests have this name ({ids[0]}, ...)"
        self.note("gone", item, f"{label}: {what} in account {account} any more; left in the file")
        return None, label

    def _state(self, label: str, item: Node, entry: Test, test: ExistingTest) -> None:
        if entry.state is None or (entry.state == test.state and entry.effective_mode == test.mode):
            return  # not managed, or in sync
        mode = lookup(item, "mode")
        if test.state == "pause" and mode is not None:
            # A paused test has no mode: remove the line, or change nothing (half an edit is an invalid file).
            try:
                drop = splice.delete_pair(self.text, item, mode)
            except CannotEdit as why:
                self.note("manual", item, f"{label}: state {entry.state} -> pause: edit it by hand ({why})")
                return
            if self._replace(label, item, "state", entry.state, test.state):
                self.edit(label, mode[1], lambda: drop, f"mode {entry.mode}: removed (the test is paused)")
            return
        if entry.state != test.state and not self._replace(label, item, "state", entry.state, test.state):
            return
        if mode is not None and entry.mode != test.mode:
            self._replace(label, item, "mode", entry.mode, test.mode or "prod")
        elif mode is None and test.mode == "preprod":
            state = lookup(item, "state")
            at = item if state is None else state[1]
            line = "mode: preprod"
            insert = lambda: splice.insert_after(self.text, item, _pair(state, "state"), line, self.newline)  # noqa: E731
            self.edit(label, at, insert, "mode (prod) -> preprod: added")

    def _schedule(self, label: str, item: Node, entry: Test, test: ExistingTest) -> None:
        want = entry.schedule
        if want is None:
            return
        pair = lookup(item, "schedule")
        if pair is None or not isinstance(pair[1], MappingNode):
            self.note("manual", item, f"{label}: schedule left as written: it is not a mapping in the entry")
            return
        node = pair[1]
        if test.timezone not in known_timezones():
            what = f"timezone {test.timezone!r} is unknown here" if test.timezone else "no timezone is set"
            self.note("manual", node, f"{label}: schedule left as written: {what} in the account")
            return
        keep, drop = [], []
        # US/Eastern and America/New_York are one timezone for these instants: not a difference to write.
        same_tz = same_zone(test.timezone, want.timezone, (test.start, test.stop))
        for key, epoch in (("start_at", test.start), ("stop_at", test.stop)):
            declared = getattr(want, key)
            if declared is None:
                continue  # not managed
            if not epoch:
                drop.append(key)
            elif not same_tz or local_to_epoch(declared, want.timezone) != epoch:
                keep.append((key, declared, epoch))
        if drop and len(drop) == sum(getattr(want, k) is not None for k in ("start_at", "stop_at")):
            removed = "schedule: removed (the account has none any more)"
            self.edit(label, node, lambda: splice.delete_pair(self.text, item, pair), removed)
            return
        self._schedule_fields(label, node, test, keep, drop)
        if not same_tz:
            self._replace(label, node, "timezone", want.timezone, test.timezone, within="schedule.")

    def _schedule_fields(
        self, label: str, node: Node, test: ExistingTest, keep: list[tuple[str, str, int]], drop: list[str]
    ) -> None:
        for key, declared, epoch in keep:
            local = local_time(epoch, test.timezone)
            if local is None:
                why = f"the account's time falls in the repeated hour of a DST change in {test.timezone}"
                self.note("manual", node, f"{label}: schedule.{key} left as written: {why}")
            else:
                self._replace(label, node, key, declared, local, within="schedule.")
        for key in drop:
            found = _pair(lookup(node, key), key)
            make = functools.partial(splice.delete_pair, self.text, node, found)
            self.edit(label, found[1], make, f"schedule.{key}: removed (the account has none any more)")

    def _new_tests(self, pair: Pair | None) -> None:
        if self.options.tests == "none":
            return
        playing = self.options.tests == "playing"
        new = [
            self.existing.tests[i]
            for i in sorted(self.existing.tests)
            if i not in self.declared and (not playing or self.existing.tests[i].state == "play")
        ]
        entries = [lines for lines, _ in map(test_entry, new) if lines]
        if new and self.options.add_new:
            self._append("tests", pair, entries, [f"test {t.id} {comment_text(t.name)}" for t in new])
        else:
            for test in new:
                what = f"{test.state}{f', {test.mode}' if test.mode else ''}"
                self.note("new", None, f"not in the file: test {test.id} {comment_text(test.name)} ({what})")

    def _append(self, key: str, pair: Pair | None, entries: list[list[str]], names: list[str]) -> None:
        """``--add-new``: the entries go at the end of the list (a new ``tests:`` block if there is none)."""
        shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
        message = f"{key}: added {len(names)} at the end of the list: {shown}"
        try:
            if pair is None and key != "tests":
                raise CannotEdit(f"there is no '{key}' list to add to")
            edits = (
                splice.append_items(self.text, pair, entries, self.newline)
                if pair is not None
                else [
                    splice.append_block(self.text, key, entries, self.newline, before=self._memberships_key())
                ]
            )
        except CannotEdit as why:
            self.note("manual", None if pair is None else pair[0], f"{message}: add them by hand ({why})")
            return
        self.result.edits.extend(edits)
        anchor = len(self.text) if pair is None else pair[0].start_mark.index
        self.result.findings.append(Finding("added", anchor, message, edits[-1].start))

    def _memberships_key(self) -> Node | None:
        block = lookup(self.root, "memberships")
        return None if block is None else block[0]

    # -- members ----------------------------------------------------------------------------------------

    def _members(self) -> None:
        wanted, have = self.config.memberships, self.existing.members
        if wanted is None or have is None:
            return  # memberships not managed by this file: not fetched, not reported
        block = lookup(self.root, "memberships")
        pair = lookup(block[1], "members") if block is not None else None
        account = self.existing.account_id
        for index, (member, item) in enumerate(zip(wanted.members, _items(pair), strict=False)):
            label = f"memberships.members[{index}] ({member.email})"
            current = have.get(member.email.lower())
            if current is None:
                self.note(
                    "gone", item, f"{label}: not a member of account {account} any more; left in the file"
                )
            elif current.role != member.role:
                self._replace(label, item, "role", member.role, current.role)
        declared = {m.email.lower() for m in wanted.members}
        new = [have[e] for e in sorted(have) if e not in declared]
        if new and self.options.add_new:
            entries = [lines for lines, _ in map(member_entry, new) if lines]
            self._append("members", pair, entries, [m.email for m in new])
            return
        fate = "apply would revoke them (prune: true)" if wanted.prune else "left alone"
        for m in new:
            self.note("new", None, f"not in the file: member {m.email} ({m.role}); {fate}")


def _pair(pair: Pair | None, key: str) -> Pair:
    if pair is None:
        raise CannotEdit(f"'{key}' is not written in the entry itself (a merge key?)")
    return pair


def _value(pair: Pair | None, key: str) -> Node:
    return _pair(pair, key)[1]


def _items(pair: Pair | None) -> list[Node]:
    """The entries of a block or flow list (none when the key is absent or holds no list)."""
    return list(pair[1].value) if pair is not None and isinstance(pair[1], SequenceNode) else []
