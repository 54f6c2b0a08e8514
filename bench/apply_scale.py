"""apply at scale: 1,000 changes behind 50 ms of latency.

The account is generated (2,000 tests, 600 members). The config plays 600 paused tests, schedules 200 more,
adds 100 members and upgrades 100 roles: 1,000 independent changes, then the tag script rebuild. The wall time
of ``reconciler apply`` is set against its bound: the round trips of the fetch (token, first pages, the other
pages ``--parallelism`` at a time), ceil(1000 / parallelism) round trips for the changes, one for the script.

    .venv/bin/python bench/apply_scale.py [--latency 50] [--parallelism 8]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from common import HEADER, machine, run_cli, sandbox, startup_seconds

PLAYS, SCHEDULES, ADDS, ROLES = 600, 200, 100, 100
UPGRADE = {"viewer": "creator", "creator": "user", "user": "admin"}


def thousand_changes(path: Path, state: dict[str, Any]) -> Path:
    """The config described in the module docstring."""
    paused = sorted((t for t in state["tests"].values() if t["state"] == "pause"), key=lambda t: t["id"])
    others = sorted((t for t in state["tests"].values() if t["state"] == "play"), key=lambda t: t["id"])
    lines = ["tests:\n"]
    lines += [f"  - id: {t['id']}\n    state: play\n    mode: prod\n" for t in paused[:PLAYS]]
    for i, test in enumerate(others[:SCHEDULES]):
        lines.append(
            f"  - id: {test['id']}\n    schedule:\n      start_at: 2031-01-{1 + i % 28:02d}T09:00:00\n"
            "      timezone: Europe/Paris\n"
        )
    upgradable = sorted((m for m in state["members"].values() if m["role"] in UPGRADE), key=lambda m: m["id"])
    lines.append("memberships:\n  prune: false\n  members:\n")
    lines += [f"    - email: {m['email']}\n      role: {UPGRADE[m['role']]}\n" for m in upgradable[:ROLES]]
    lines += [f"    - email: bench-new-{k}@example.org\n      role: viewer\n" for k in range(ADDS)]
    if len(paused) < PLAYS or len(others) < SCHEDULES or len(upgradable) < ROLES:
        raise SystemExit("the generated account is too small for 1,000 changes")
    # Scheduling 200 playing tests ends them for now: over the default max_pause_fraction, which is meant.
    path.write_text(HEADER + "  safety:\n    max_pause_fraction: 1.0\n" + "".join(lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=50.0, help="ms per request")
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    seed = "generated:tests=2000,members=600"
    print(
        f"# apply_scale: {seed}, 1,000 changes, {args.latency:g} ms latency, --parallelism {args.parallelism}"
    )
    print(f"# {machine()}")
    startup = startup_seconds()
    with tempfile.TemporaryDirectory() as tmp, sandbox(seed, latency_ms=args.latency) as box:
        config = thousand_changes(Path(tmp) / "changes.yaml", box.state())
        p = str(args.parallelism)
        run = run_cli(box, "apply", str(config), "--auto-approve", "--parallelism", p)
        log = box.requests()
        by_method = Counter(r["method"] for r in log if not r["path"].startswith("/oauth"))
        reads, writes = by_method["GET"], len(log) - 1 - by_method["GET"]
        # Fetch: token, the first pages (tests, members) together, then the rest of the pages.
        fetch_trips = 2 + math.ceil((reads - 2) / args.parallelism)
        change_trips = math.ceil((writes - 1) / args.parallelism) + 1  # + the script rebuild
        bound = (fetch_trips + change_trips) * args.latency / 1000
        replan = run_cli(box, "plan", str(config), "--detailed-exitcode")
    print(f"  start-up of any reconciler command: {startup:.2f} s")
    print(
        f"  reconciler apply   {len(log):5d} requests ({reads} reads, {writes} writes)  {run.wall:6.2f} s wall"
    )
    print(
        f"  bound              {fetch_trips} + {change_trips} round trips = {bound:6.2f} s   ratio {run.wall / bound:4.2f}x"
        f" (without start-up: {(run.wall - startup) / bound:4.2f}x)"
    )
    print(f"  changes applied per second: {(writes - 1) / run.wall:6.1f}")
    print(f"  plan afterwards: exit {replan.code} ({'in sync' if replan.code == 0 else 'NOT in sync'})")


if __name__ == "__main__":
    main()
