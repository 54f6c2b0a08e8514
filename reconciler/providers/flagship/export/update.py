"""``export --update`` for Flagship: refresh a config from its environment, changing only drifted values.
Pure.

What changes, for what the file declares and nothing else: ``panic``; each declared campaign's ``state``; each
declared user's ``role``; each declared flag's ``type`` and (when declared) ``description``. A value the
config cannot hold (a draft campaign, a role it does not list) is reported for a hand edit, as is a value
that comes from a YAML anchor or a merge key.

What is reported and left in the file: declared campaigns, users and flags the environment no longer has
(with their line). What is listed as "not in the file": the environment's other campaigns, users and flags;
``--add-new`` appends them, written as ``export`` writes them (into a list the file already has: a new
``users.members`` or ``flags.keys`` block is a hand edit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ruamel.yaml.nodes import Node, SequenceNode

from reconciler.providers.flagship.config import Campaign, Flag, FlagshipConfig, User
from reconciler.providers.flagship.export.render import campaign_entry, flag_entry, refused, user_entry
from reconciler.providers.flagship.state import Existing
from reconciler.yamledit import splice
from reconciler.yamledit.refresh import Refresh
from reconciler.yamledit.result import Finding, UpdateResult
from reconciler.yamledit.splice import CannotEdit, Pair, lookup
from reconciler.yamledit.text import one_line

SHOWN_NEW = 20  # "not in the file" lines before a count: an environment may hold thousands


def update_text(
    path: str, text: str, config: FlagshipConfig, existing: Existing, add_new: bool
) -> UpdateResult:
    """Refresh ``text`` (the file at ``path``, whose validated model is ``config``) from ``existing``."""
    return _Updater(path, text, config, existing, add_new).run()


def _items(parent: Node | None, key: str) -> tuple[Pair | None, list[Node]]:
    pair = lookup(parent, key)
    if pair is None or not isinstance(pair[1], SequenceNode):
        return pair, []
    return pair, list(pair[1].value)


class _Updater(Refresh):
    """One refresh: walks the config's entries next to their nodes, collecting edits and findings."""

    def __init__(
        self, path: str, text: str, config: FlagshipConfig, existing: Existing, add_new: bool
    ) -> None:
        super().__init__(path, text)
        self.config, self.existing, self.add_new = config, existing, add_new
        self.where = f"environment {existing.environment}"

    def run(self) -> UpdateResult:
        self._panic()
        self._campaigns()
        if self.config.users is not None:
            self._users()
        if self.config.flags is not None:
            self._flags()
        return self.finish()

    def _set(self, label: str, entry: Node, key: str, value: str, message: str, model: str | None) -> None:
        """``key: value`` in ``entry``, or a hand edit when ``model`` (why the config refuses it) is set."""
        pair = lookup(entry, key)
        at = entry if pair is None else pair[1]
        if model is not None or pair is None:
            self.manual(label, at, message, model or "it is not written in the entry itself (a merge key?)")
            return
        self.edit(label, at, lambda: splice.replace_scalar(self.text, pair[1], value), message)

    def _panic(self) -> None:
        want, have = self.config.panic, self.existing.panic
        if want is None or have is None or want == have:
            return
        assert self.root is not None
        self._set("panic", self.root, "panic", have, f"{want} -> {have}", None)

    def _campaigns(self) -> None:
        pair, nodes = _items(self.root, "campaigns")
        by_name: dict[str, list[str]] = {}
        for campaign in self.existing.campaigns.values():
            by_name.setdefault(campaign.name, []).append(campaign.id)
        declared = set()
        for index, (entry, node) in enumerate(zip(self.config.campaigns, nodes, strict=False)):
            ids = [entry.id] if entry.id is not None else by_name.get(entry.name or "", [])
            label = f"campaigns[{index}] ({one_line(entry.id or entry.name or '')})"
            found = self.existing.campaigns.get(ids[0]) if len(ids) == 1 else None
            if found is None:
                gone = "not found" if len(ids) < 2 else f"{len(ids)} campaigns have this name"
                self.note("gone", node, f"{label}: {gone} in {self.where}; left in the file")
                continue
            declared.add(found.id)
            if found.status != entry.state:
                why = refused(Campaign, {"id": found.id, "state": found.status})
                self._set(label, node, "state", found.status, f"state {entry.state} -> {found.status}", why)
        new = [c for k, c in sorted(self.existing.campaigns.items()) if k not in declared]
        self._new("campaign", pair, [(c.id, *campaign_entry(c)) for c in new], "campaigns")

    def _users(self) -> None:
        users = self.existing.users or {}
        block = lookup(self.root, "users")
        pair, nodes = _items(block[1] if block else None, "members")
        assert self.config.users is not None
        declared = set()
        for index, (entry, node) in enumerate(zip(self.config.users.members, nodes, strict=False)):
            label = f"users.members[{index}] ({one_line(entry.email)})"
            user = users.get(entry.email.lower())
            if user is None:
                self.note("gone", node, f"{label}: not in {self.where} any more; left in the file")
                continue
            declared.add(entry.email.lower())
            if user.role != entry.role:
                why = refused(User, {"email": "a@b.co", "role": user.role})  # the role alone
                self._set(label, node, "role", user.role, f"role {entry.role} -> {user.role}", why)
        new = [(u.email, user_entry(u)) for k, u in sorted(users.items()) if k not in declared]
        self._new(
            "user", pair, [(name, lines, None if lines else notes[0]) for name, (lines, notes) in new], None
        )

    def _flags(self) -> None:
        flags = self.existing.flags or {}
        block = lookup(self.root, "flags")
        pair, nodes = _items(block[1] if block else None, "keys")
        assert self.config.flags is not None
        declared = set()
        for index, (entry, node) in enumerate(zip(self.config.flags.keys, nodes, strict=False)):
            label = f"flags.keys[{index}] ({one_line(entry.key)})"
            flag = flags.get(entry.key)
            if flag is None:
                self.note("gone", node, f"{label}: not in the account any more; left in the file")
                continue
            declared.add(entry.key)
            if flag.type != entry.type:
                why = refused(Flag, {"key": entry.key, "type": flag.type})
                self._set(label, node, "type", flag.type, f"type {entry.type} -> {flag.type}", why)
            if entry.description is not None and flag.description != entry.description:
                message = f"description {one_line(entry.description)!r} -> {one_line(flag.description)!r}"
                why = refused(Flag, {"key": entry.key, "type": "string", "description": flag.description})
                self._set(label, node, "description", flag.description, message, why)
        new = [(f.key, *flag_entry(f)) for k, f in sorted(flags.items()) if k not in declared]
        self._new("flag", pair, new, None)

    def _new(
        self,
        noun: str,
        pair: Pair | None,
        new: Sequence[tuple[str, list[str], str | None]],
        top_level: str | None,
    ) -> None:
        """What the environment has and the file lacks: listed, or appended with ``--add-new``."""
        if not self.add_new:
            for name, _, _ in new[:SHOWN_NEW]:
                self.note("new", None, f"not in the file: {noun} {one_line(name)}")
            if len(new) > SHOWN_NEW:
                self.note("new", None, f"not in the file: {len(new) - SHOWN_NEW} more {noun}(s)")
            return
        entries, names = [], []
        for name, lines, why in new:
            if lines:
                entries.append(lines)
                names.append(one_line(name))
            else:
                self.note("manual", None, f"{one_line(why or name)}; not added")
        if entries:
            self._append(noun, pair, entries, names, top_level)

    def _append(
        self, noun: str, pair: Pair | None, entries: list[list[str]], names: list[str], top_level: str | None
    ) -> None:
        shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
        message = f"{noun}s: added {len(names)} at the end of the list: {shown}"
        make: Callable[[], list[splice.Edit]]
        if pair is not None:
            make = lambda: splice.append_items(self.text, pair, entries, self.newline)  # noqa: E731
        elif top_level is not None:
            make = lambda: [splice.append_block(self.text, top_level, entries, self.newline)]  # noqa: E731
        else:
            self.note("manual", None, f"{message}: add them by hand (the file has no list for them)")
            return
        try:
            edits = make()
        except CannotEdit as why:
            self.note("manual", None if pair is None else pair[0], f"{message}: add them by hand ({why})")
            return
        self.result.edits.extend(edits)
        anchor = len(self.text) if pair is None else pair[0].start_mark.index
        self.result.findings.append(Finding("added", anchor, message, edits[-1].start))
