"""cpu: diff and render of 12,000 resources with no network: CPU seconds and peak RSS.

10,000 tests (every one changes state, 2,000 also their schedule) and 2,000 members (every role changes):
14,000 changes, rendered as text, JSON and Markdown. The config model is built first and not counted.

    .venv/bin/python bench/cpu.py [--tests 10000] [--members 2000] [--json]

With ``--json`` the last line is the figures as JSON (``bench/run.py`` reads it).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable
from typing import Any

from common import machine

from reconciler.engine import make_plan
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.state import Existing, ExistingMember, ExistingTest
from reconciler.render import render_json, render_markdown, render_text

ROLES = ("admin", "user", "creator", "viewer")


def desired(tests: int, members: int) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for i in range(tests):
        entry: dict[str, Any] = {"id": 1 + i, "state": "play", "mode": "prod"}
        if i % 5 == 0:
            entry["schedule"] = {"start_at": "2031-01-01T09:00:00", "timezone": "Europe/Paris"}
        entries.append(entry)
    people = [{"email": f"u{i}@example.com", "role": ROLES[(i + 1) % 4]} for i in range(members)]
    return {
        "version": 1,
        "provider": "abtasty",
        "account": {
            "id": 41902,
            "credentials": {"client_id": "${ABTASTY_CLIENT_ID}", "client_secret": "${ABTASTY_CLIENT_SECRET}"},
            "safety": {"max_pause_fraction": 1.0, "max_delete_fraction": 1.0},
        },
        "tests": entries,
        "memberships": {"prune": False, "members": people},
    }


def existing(tests: int, members: int) -> Existing:
    return Existing(
        41902,
        tests={1 + i: ExistingTest(1 + i, f"Test {i}", "pause", False) for i in range(tests)},
        members={
            f"u{i}@example.com": ExistingMember(10_000 + i, f"u{i}@example.com", ROLES[i % 4])
            for i in range(members)
        },
    )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed(label: str, work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.process_time()
    result = work()
    cpu = time.process_time() - started
    print(f"  {label:<22} {cpu:6.3f} s CPU")
    return result, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--json", action="store_true", help="end with the figures as one line of JSON")
    args = parser.parse_args()
    print(f"# cpu: {args.tests} tests + {args.members} members, every one changing, no network")
    print(f"# {machine()}")
    baseline = rss_mb()
    config, _ = timed(
        "config model (not counted)", lambda: AbTastyConfig.model_validate(desired(args.tests, args.members))
    )
    state = existing(args.tests, args.members)
    plans, diff_cpu = timed("diff + plan", lambda: [make_plan("bench.yaml", config, state)])
    total = diff_cpu
    for label, render in (
        ("render text", render_text),
        ("render json", render_json),
        ("render markdown", render_markdown),
    ):
        _, cpu = timed(label, lambda render=render: render(plans))
        total += cpu
    print(f"  changes                {len(plans[0].changes)}")
    print(f"  diff + all renders     {total:6.3f} s CPU (target 0.5 s)")
    peak = rss_mb()
    print(
        f"  peak RSS               {peak:6.1f} MB (target 250 MB; {baseline:.1f} MB before building anything)"
    )
    if args.json:
        figures = {"changes": len(plans[0].changes), "cpu": total, "rss_mb": peak, "baseline_mb": baseline}
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
