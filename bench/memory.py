"""memory: what holds the memory of a full plan, phase by phase (issue 29's "50,000 tests under 200 MB").

A sandbox of ``--tests`` tests (and a fifth as many members) in its own process, a config declaring every one
as it is, then ``reconciler plan`` in a child process that runs the real CLI entry point (the GC policy
included) under ``tracemalloc``, and at four phases prints the memory traced (now and at its peak), the
process's RSS (now and at its peak) and the largest holders by allocation site:

- ``loaded``: the config files are read and validated (``load_configs`` returned);
- ``read``: the account's state is fetched (``plan_fetched`` called);
- ``diffed``: the plan is built (``plan_fetched`` returned);
- ``rendered``: the plan is on stdout.

    .venv/bin/python bench/memory.py [--tests 50000] [--top 12] [--frames 6]

tracemalloc slows the run down several times and adds its own memory to the RSS: read the traced figures
for who holds what, and ``bench/scaling.py`` (no tracing) for the peak RSS itself.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import reconciler_argv, sandbox, write_config

ROOT = Path(__file__).resolve().parent.parent


def _status(field: str) -> float:
    """A ``/proc/self/status`` figure in MB (VmRSS: resident now, VmHWM: its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def gc_passes() -> str:
    """How many passes each generation of the cyclic collector has made so far."""
    return "/".join(str(generation["collections"]) for generation in gc.get_stats())


def report(phase: str, top: int) -> None:
    """One phase: traced and resident memory, then the largest holders by where they were allocated."""
    rss, hwm = _status("VmRSS"), _status("VmHWM")
    out = sys.stderr
    print(f"\n## {phase}: RSS {rss:.0f} MB (peak {hwm:.0f}), GC passes {gc_passes()}", file=out, end="")
    if not tracemalloc.is_tracing():
        print(file=out)
        return
    current, peak = tracemalloc.get_traced_memory()
    print(f", traced {current / 2**20:.1f} MB (peak {peak / 2**20:.1f})", file=out)
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    for stat in snapshot.statistics("traceback")[:top]:
        print(f"  {stat.size / 2**20:7.1f} MB {stat.count:9,d} blocks", file=out)
        for frame in stat.traceback.format(most_recent_first=True)[::2]:
            print(f"      {frame.strip()[:150]}", file=out)


def _around(owner: Any, name: str, before: str | None, after: str | None, top: int) -> None:
    """Report ``before`` on entry to ``owner.name`` and ``after`` on its return."""
    original: Callable[..., Any] = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if before:
            report(before, top)
        result = original(*args, **kwargs)
        if after:
            report(after, top)
        return result

    setattr(owner, name, wrapped)


def child(argv: list[str], top: int, frames: int) -> None:
    """In the CLI's process: trace, hook the phases, run ``reconciler ARGV`` as its console script does."""
    if frames:  # 0: no tracing, the RSS figures alone (tracing's own tables inflate them)
        tracemalloc.start(frames)
    from reconciler import gcpolicy

    gcpolicy.start(
        argv
    )  # as the entry point will: the hooks below import what it imports later, collector off
    from reconciler import cli
    from reconciler.cli import plan
    from reconciler.providers.base import Provider

    _around(plan, "load_configs", None, "loaded", top)
    _around(Provider, "plan_fetched", "read", "diffed", top)
    _around(plan, "_show", None, "rendered", top)
    cli.main(argv)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=50_000)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--frames", type=int, default=6, help="0: no tracing")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.top, args.frames)
    members = args.tests // 5
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox(f"generated:tests={args.tests},members={members}", latency_ms=0) as box,
    ):
        state = box.state()
        config = write_config(
            Path(tmp) / "everything.yaml",
            sorted(state["tests"].values(), key=lambda t: t["id"]),
            sorted(state["members"].values(), key=lambda m: m["email"]),
        )
        print(f"# memory: {args.tests:,} tests + {members:,} members; {' '.join(reconciler_argv())}")
        flags = ["--top", str(args.top), "--frames", str(args.frames)]
        command = [sys.executable, __file__, *flags, "--child", "plan", str(config), "--quiet"]
        subprocess.run(
            command, env={**box.env(), "PYTHONPATH": str(ROOT)}, check=False, stdout=subprocess.DEVNULL
        )


if __name__ == "__main__":
    main()
