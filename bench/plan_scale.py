"""plan at scale: 10,000 tests and 2,000 members behind 50 ms of latency, page cap 100.

Two configs, one managing everything and one managing 20 tests. For each: the requests made, the wall time of
``reconciler plan`` as a user runs it, the lower bound (round trips on the critical path x latency, given
--parallelism) and the ratio to it; then the same reads done the per-resource way (one GET per managed
resource, 10 at a time, as Terraform refreshes) and the ratio between the two.

    .venv/bin/python bench/plan_scale.py [--tests 10000] [--members 2000] [--latency 50] [--parallelism 8]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from common import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Sandbox, machine, median_run, sandbox, startup_seconds
from common import write_config as write

PER_PAGE = 100
BASELINE_CONCURRENCY = 10


def lower_bound_round_trips(first_reads: int, rest: int, parallelism: int) -> int:
    """Token, then the first reads (concurrent: one round trip), then the rest ``parallelism`` at a time."""
    return 1 + (1 if first_reads else 0) + math.ceil(rest / parallelism)


async def per_resource(box: Sandbox, tests: list[int], members: list[int]) -> tuple[int, float]:
    """One GET per managed resource, 10 in flight: (requests, wall seconds)."""
    core = f"{box.url}/api/core/accounts/{ACCOUNT}"
    gate = asyncio.Semaphore(BASELINE_CONCURRENCY)
    started = time.perf_counter()
    async with httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=BASELINE_CONCURRENCY)
    ) as http:
        token = await http.post(
            f"{box.url}/oauth/v2/token",
            json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "client_credentials"},
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

        async def get(path: str) -> None:
            async with gate:
                (await http.get(f"{core}/{path}", headers=headers)).raise_for_status()

        await asyncio.gather(*(get(f"tests/{i}") for i in tests), *(get(f"membership/{i}") for i in members))
    return 1 + len(tests) + len(members), time.perf_counter() - started


def report(label: str, box: Sandbox, config: Path, args: argparse.Namespace, state: dict[str, Any]) -> None:
    run = median_run(box, args.repeats, "plan", str(config), "--parallelism", str(args.parallelism))
    tests = [
        int(line.split(":")[1]) for line in config.read_text().splitlines() if line.startswith("  - id:")
    ]
    has_members = "memberships:" in config.read_text()
    members = [m["id"] for m in state["members"].values()] if has_members else []
    # What the plan needs on its critical path: pages when it reads lists, else one GET per test.
    first = 1 + int(has_members)
    rest = run.requests - 1 - first
    bound_s = lower_bound_round_trips(first, rest, args.parallelism) * args.latency / 1000
    base_requests, base_wall = asyncio.run(per_resource(box, tests, members))
    print(f"\n## {label}: {len(tests)} tests, {len(members)} members managed")
    print(
        f"  reconciler plan      {run.requests:6d} requests  {run.wall:7.2f} s wall (median of {args.repeats})"
    )
    print(
        f"  lower bound          {lower_bound_round_trips(first, rest, args.parallelism):6d} round trips "
        f"{bound_s:7.2f} s   ratio {run.wall / bound_s:5.2f}x "
        f"(without the {args.startup:.2f} s start-up: {(run.wall - args.startup) / bound_s:5.2f}x)"
    )
    print(
        f"  per-resource way     {base_requests:6d} requests  {base_wall:7.2f} s wall   "
        f"reconciler is {base_wall / run.wall:5.1f}x faster, {base_requests / run.requests:5.1f}x fewer requests"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--latency", type=float, default=50.0, help="ms per request")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    seed = f"generated:tests={args.tests},members={args.members}"
    print(
        f"# plan_scale: {seed}, {args.latency:g} ms latency, page cap {PER_PAGE}, --parallelism {args.parallelism}"
    )
    print(f"# {machine()}")
    args.startup = startup_seconds()
    print(f"  start-up of any reconciler command (interpreter + imports): {args.startup:.2f} s")
    with tempfile.TemporaryDirectory() as tmp, sandbox(seed, latency_ms=args.latency) as box:
        state = box.state()
        tests = sorted(state["tests"].values(), key=lambda t: t["id"])
        members = sorted(state["members"].values(), key=lambda m: m["email"])
        everything = write(Path(tmp) / "everything.yaml", tests, members)
        twenty = write(Path(tmp) / "twenty.yaml", tests[:: max(1, len(tests) // 20)][:20], None)
        report("everything", box, everything, args, state)
        report("20 tests", box, twenty, args, state)


if __name__ == "__main__":
    main()
