"""A row of ``make bench``'s summary table, and the table itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from floor import Paired


@dataclass
class Row:
    """One line of the summary. ``bound_trips``: the issue's round trips (x latency: the bound); a row has a
    ratio goal (``goal_ratio``, against that bound) or a time goal (``goal_s``)."""

    case: str
    requests: str = "-"
    wall: float | None = None
    bound_trips: int | None = None
    goal_ratio: float | None = None
    goal_s: float | None = None
    per_resource: str = "n/a"
    sandbox_cpu: str = "-"
    notes: list[str] = field(default_factory=list)
    failed: str | None = None  # why there is no figure (a command failed, the row was skipped)
    bare: Paired | None = None  # the bare client beside it (bench/bare.py), for plan and apply rows
    goal_bare: float | None = None  # issue 29's goal: at most this ratio to the bare client

    def bound_s(self, latency_ms: float) -> float | None:
        return None if self.bound_trips is None else self.bound_trips * latency_ms / 1000

    def ratio(self, latency_ms: float) -> float | None:
        bound = self.bound_s(latency_ms)
        return None if bound is None or self.wall is None else self.wall / bound

    def met(self, latency_ms: float) -> bool | None:
        if self.wall is None or self.failed:
            return None
        if self.goal_bare is not None:
            return None if self.bare is None else self.bare.ratio <= self.goal_bare
        if self.goal_ratio is not None:
            ratio = self.ratio(latency_ms)
            return None if ratio is None else ratio <= self.goal_ratio
        return None if self.goal_s is None else self.wall <= self.goal_s

    def cells(self, latency_ms: float) -> list[str]:
        bound = self.bound_s(latency_ms)
        ratio = self.ratio(latency_ms)
        met = self.met(latency_ms)
        goal = f"<= {self.goal_ratio:g}x the bound" if self.goal_ratio is not None else ""
        goal = f"<= {self.goal_s:g} s" if self.goal_s is not None else goal
        goal = f"<= {self.goal_bare:g}x the bare client" if self.goal_bare is not None else goal
        return [
            self.case,
            self.requests,
            self.failed or (f"{self.wall:.2f} s" if self.wall is not None else "-"),
            f"{self.bare.bare_wall:.2f} s" if self.bare is not None else "",
            f"{self.bare.ratio:.2f}x" if self.bare is not None else "",
            goal,
            "-" if met is None else ("**yes**" if met else "**no**"),
            f"{self.bound_trips} round trips = {bound:.2f} s" if bound is not None else "",
            f"{ratio:.2f}x" if ratio is not None else "",
            self.per_resource,
            self.sandbox_cpu,
            "; ".join(self.notes),
        ]


HEADERS = [
    "case",
    "requests",
    "wall",
    "bare client",
    "ratio to bare (pairwise median)",
    "goal",
    "met?",
    "bound (issue 18)",
    "ratio to bound",
    "per-resource way",
    "sandbox (CPU; time beyond latency)",
    "notes",
]


def table(rows: list[Row], latency_ms: float) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(row.cells(latency_ms)) + " |" for row in rows]
    return "\n".join(lines)


def say(text: str) -> None:
    print(text, flush=True)
