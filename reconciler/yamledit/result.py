"""What ``export`` and ``export --update`` produce, whatever the provider: the text of a file and a report."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.yamledit import splice
from reconciler.yamledit.splice import Edit


@dataclass
class Exported:
    """The file's text, and what it had to leave out (one line each, for the terminal)."""

    text: str
    notes: list[str] = field(default_factory=list)
    summary: str = ""  # what it holds, for "Wrote FILE: 12 test(s), 3 member(s)."


@dataclass(frozen=True)
class Finding:
    """One line of the report. ``offset`` is where in the file it is about (None: not in the file);
    ``inserted``, where the text it added starts (the line to show once the file is written)."""

    kind: str  # changed | added | gone | manual | new
    offset: int | None
    message: str
    inserted: int | None = None


@dataclass
class UpdateResult:
    """The refreshed text and what was found; ``report`` gives the lines to print."""

    path: str
    old_text: str
    new_text: str
    edits: list[Edit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the refreshed text differs from the file's."""
        return self.new_text != self.old_text

    def count(self, kind: str) -> int:
        """How many findings are of ``kind``."""
        return sum(f.kind == kind for f in self.findings)

    def report(self, written: bool) -> list[str]:
        """``FILE:LINE: message`` lines; LINE is in the file as it is on disk after the command. Where the
        update moves a line, the other file's number follows, labelled (``--check`` reports the file as it
        is, a write the file as it becomes: a reader comparing the two runs sees both)."""
        before = splice.Lines(self.old_text, ())
        after = splice.Lines(self.old_text, self.edits)
        # An insertion at the end of a file without a final newline starts with one: its text is a line down.
        down = {e.start: int(e.new[:1] in "\r\n") for e in self.edits if e.start == e.end and e.new}
        out = []
        for f in self.findings:
            if f.offset is None:
                out.append(f.message)
                continue
            old = before.line(f.offset)
            new = after.line(f.offset)
            if f.inserted is not None:
                new = after.line(f.inserted) + down.get(f.inserted, 0)
            shown, other, label = (new, old, "before") if written else (old, new, "after")
            # Text the write added had no line before it: only the other direction is worth a label.
            fresh = written and f.inserted is not None
            moved = (
                f" (line {other} {label} the update)" if self.changed and other != shown and not fresh else ""
            )
            out.append(f"{self.path}:{shown}: {f.message}{moved}")
        return out
