"""How a full plan grows with the account: 1,000, 10,000 and 50,000 tests (and a fifth as many members).

For each size, a config declaring every test and member as they are, against a sandbox at the bench's latency
with its page cache; the median of ``repeats`` runs (after one not counted) of wall, the CLI's own CPU and its
peak RSS (from ``wait4``), and how much each grows per 1,000 tests beyond the smallest size: the same
figure at every size when the growth is linear.

    .venv/bin/python bench/scaling.py [--sizes 1000,10000,50000] [--repeats 3] [--latency 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import run_cli, sandbox, write_config

SIZES = (1_000, 10_000, 50_000)
HEADERS = [
    "tests",
    "members",
    "requests",
    "wall",
    "CPU",
    "peak RSS",
    "wall per 1k more tests",
    "CPU per 1k more tests",
    "RSS per 1k more tests",
]


@dataclass(frozen=True)
class Size:
    """The medians for one account size."""

    tests: int
    members: int
    requests: int
    wall: float
    cpu: float
    rss_mb: float


def measure(tests: int, latency_ms: float, repeats: int, parallelism: int) -> Size:
    """The full plan of an account of ``tests`` tests (and a fifth as many members)."""
    members = tests // 5
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox(f"generated:tests={tests},members={members}", latency_ms=latency_ms) as box,
    ):
        state = box.state()
        config = write_config(
            Path(tmp) / "everything.yaml",
            sorted(state["tests"].values(), key=lambda t: t["id"]),
            sorted(state["members"].values(), key=lambda m: m["email"]),
        )
        argv = ("plan", str(config), "--parallelism", str(parallelism))
        run_cli(box, *argv)
        runs = [run_cli(box, *argv) for _ in range(repeats)]
    return Size(
        tests,
        members,
        runs[0].requests,
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu or 0.0 for r in runs),
        statistics.median(r.rss_mb or 0.0 for r in runs),
    )


def row(size: Size, smallest: Size) -> str:
    """A table line; the growth columns are per 1,000 tests beyond the smallest size (flat when linear)."""
    extra = (size.tests - smallest.tests) / 1000
    growth = ["-", "-", "-"]
    if extra:
        growth = [
            f"{(size.wall - smallest.wall) / extra:.3f} s",
            f"{(size.cpu - smallest.cpu) / extra:.3f} s",
            f"{(size.rss_mb - smallest.rss_mb) / extra:.2f} MB",
        ]
    cells = [f"{size.tests:,}", f"{size.members:,}", f"{size.requests:,}", f"{size.wall:.2f} s"]
    cells += [f"{size.cpu:.2f} s", f"{size.rss_mb:.0f} MB", *growth]
    return "| " + " | ".join(cells) + " |"


def scaling_table(
    sizes: tuple[int, ...],
    latency_ms: float,
    repeats: int,
    parallelism: int,
    say: Callable[[str], None] = print,
) -> str:
    measured = []
    for tests in sizes:
        measured.append(measure(tests, latency_ms, repeats, parallelism))
        say(f"  {row(measured[-1], measured[0])}")
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    return "\n".join([*lines, *(row(size, measured[0]) for size in measured)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--latency", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    print(scaling_table(sizes, args.latency, args.repeats, args.parallelism))


if __name__ == "__main__":
    main()
