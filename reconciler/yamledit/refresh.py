"""What every provider's ``export --update`` shares: the file's text and nodes, the edits and findings so far,
and the rule that a value reached through a YAML alias, or that ``splice`` cannot edit, is reported for a hand
edit instead of half-edited. Vendor-free: each exporter subclasses ``Refresh`` and walks its own entries."""

from __future__ import annotations

from collections.abc import Callable

from ruamel.yaml.nodes import Node

from reconciler.yamledit import splice
from reconciler.yamledit.result import Finding, UpdateResult
from reconciler.yamledit.splice import CannotEdit, Edit

Edits = Edit | list[Edit]
_SHARED = "it is shared through a YAML alias, so the edit would change every entry that uses it"


class Refresh:
    """One refresh of the file at ``path`` whose text is ``text``."""

    def __init__(self, path: str, text: str) -> None:
        self.text = text
        self.result = UpdateResult(path, text, text)
        self.root = splice.compose(text)
        self.shared = splice.shared_nodes(self.root)
        self.newline = "\r\n" if "\r\n" in text else "\n"

    def finish(self) -> UpdateResult:
        """The result, its new text made of every edit so far."""
        self.result.new_text = splice.apply_edits(self.text, self.result.edits)
        return self.result

    def note(self, kind: str, at: Node | int | None, message: str) -> None:
        """A finding about ``at`` (a node, an offset, or None: not in the file)."""
        offset = int(at.start_mark.index) if isinstance(at, Node) else at
        self.result.findings.append(Finding(kind, offset, message))

    def manual(self, label: str, at: Node, message: str, why: str) -> None:
        """A drifted value this refresh does not write: reported with its line and the reason."""
        self.note("manual", at, f"{label}: {message}: edit it by hand ({why})")

    def edit(self, label: str, at: Node, make: Callable[[], Edits], message: str) -> bool:
        """Make an edit, or report why it needs a hand edit; True when it was made."""
        if id(at) in self.shared:
            self.manual(label, at, message, _SHARED)
            return False
        try:
            edits = make()
        except CannotEdit as why:
            self.manual(label, at, message, str(why))
            return False
        made = edits if isinstance(edits, list) else [edits]
        self.result.edits.extend(made)
        added = made[-1].start if made[-1].start == made[-1].end else None
        self.result.findings.append(Finding("changed", at.start_mark.index, f"{label}: {message}", added))
        return True
