"""Every row of issues 18 and 29's performance tables in one run (``make bench``): each plan and apply beside
the bare client (``bench/bare.py``: the same requests and nothing else, interleaved runs, the median of the
pairwise ratios), its round-trip bound and the per-resource way; the start-up rows; the scaling table
(``bench/scaling.py``); one summary table at the end.

    .venv/bin/python bench/run.py [--skip-clone] [--write] [--repeats 3] [--latency 50] [--parallelism 8]
    .venv/bin/python bench/run.py --only plans --quick     # one part alone, without the slow extras

``--write`` puts the figures into ``bench/results.md``, between its ``<!-- bench:begin -->`` and
``<!-- bench:end -->`` markers (the prose around them is hand-written; the README links there).
``--skip-clone`` leaves out the two slow rows, ``make test`` and ``make demo`` on a clean clone of HEAD.

Network rows run against ``reconciler sandbox serve --page-cache`` in its own process, with the latency
given; each timed run follows one run that is not counted, and the median of ``--repeats`` is shown. The
sandbox's own CPU during each timed run is read from ``/proc`` and shown beside it, and a sandbox check
compares the full plan against the sandbox without its page cache (about 5x its CPU): see bench/results.md.
Benchmarks print figures; they never assert on time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apply_scale import thousand_changes
from clones import clone_rows, git
from common import (
    Run,
    Sandbox,
    machine,
    median_run,
    reconciler_argv,
    sandbox,
    timed_seconds,
    write_config,
)
from floor import paired_apply, paired_plan
from plan_scale import per_resource
from rows import Row, say, table
from scaling import SIZES, scaling_table

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results.md"
BEGIN, END = "<!-- bench:begin", "<!-- bench:end -->"
PLAN_SEED = "generated:tests=10000,members=2000"
APPLY_SEED = "generated:tests=2000,members=600"
STARTUP_GOAL_S = 0.15
PARTS = ("startup", "plans", "apply", "cpu", "scaling", "clone")


def sandbox_cpu(run: Run) -> str:
    """The sandbox's CPU during ``run``, and the time each request spent in it beyond the latency."""
    cpu = "?" if run.sandbox_cpu is None else f"{run.sandbox_cpu:.2f} s CPU"
    ms = sorted(run.service_ms or [0.0])
    return f"{cpu}; beyond the latency: median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms a request"


def fetch_trips(first_reads: int, rest: int, parallelism: int) -> int:
    """From the requests made: the token, the first reads together, then the rest ``parallelism`` at a time."""
    return 1 + (1 if first_reads else 0) + math.ceil(rest / parallelism)


# -- the plans -------------------------------------------------------------------------------------------
def plan_row(
    label: str,
    box: Sandbox,
    config: Path,
    tests: list[int],
    members: list[int],
    trips: int,
    args: Any,
    *,
    together: bool = False,
) -> tuple[Row, Run]:
    """``together``: every read after the token starts at once (the managed tests are read one by one beside
    page 1), so the requests made need the token, then all of them ``parallelism`` at a time."""
    say(f"\n## {label}")
    p = str(args.parallelism)
    pair = paired_plan(
        box, args.repeats, args.parallelism, config.parent, "plan", str(config), "--parallelism", p
    )
    run = pair.run
    first = 1 + int(bool(members))
    if together:
        made = 1 + math.ceil((run.requests - 1) / args.parallelism)
    else:
        made = fetch_trips(first, run.requests - 1 - first, args.parallelism)
    row = Row(
        label, requests=f"{run.requests:,}", wall=run.wall, bound_trips=trips, sandbox_cpu=sandbox_cpu(run)
    )
    row.bare = pair
    if not args.quick:  # 12,001 requests for the full plan: a minute
        base_requests, base_wall = asyncio.run(per_resource(box, tests, members))
        row.per_resource = (
            f"{base_requests:,} requests, {base_wall:.2f} s = {base_wall / run.wall:.1f}x reconciler's wall"
        )
    row.notes.append(pair.note())
    row.notes.append(f"reconciler CPU {run.cpu:.2f} s, peak RSS {run.rss_mb:.0f} MB")
    row.notes.append(f"the requests made need {made} round trips = {made * args.latency / 1000:.2f} s")
    if args.startup is not None:
        ratio = (run.wall - args.startup) / (trips * args.latency / 1000)
        row.notes.append(f"{ratio:.2f}x without the {args.startup:.2f} s of a 1-test plan at 0 ms")
    say(
        f"  reconciler plan: {run.requests} requests, {run.wall:.2f} s (median of {args.repeats}); {pair.note()}"
    )
    say(f"  per-resource way: {row.per_resource}; sandbox: {row.sandbox_cpu}")
    return row, run


def plan_rows(args: Any) -> list[Row]:
    cap = args.page_cap
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox(PLAN_SEED, latency_ms=args.latency, page_cap=cap) as box,
    ):
        state = box.state()
        tests = sorted(state["tests"].values(), key=lambda t: t["id"])
        members = sorted(state["members"].values(), key=lambda m: m["email"])
        everything = write_config(Path(tmp) / "everything.yaml", tests, members)
        chosen = tests[:: max(1, len(tests) // 20)][:20]
        twenty = write_config(Path(tmp) / "twenty.yaml", chosen, None)
        p = args.parallelism
        # The bounds: token, both first pages, the other 118 pages p at a time (17 at p=8); token
        # then the 20 GETs p at a time, page 1 of the list off the critical path (4 at p=8).
        full, full_run = plan_row(
            "full plan, 10,000 tests + 2,000 members",
            box,
            everything,
            [t["id"] for t in tests],
            [m["id"] for m in members],
            2 + math.ceil(118 / p),
            args,
        )
        full.goal_bare = 1.0
        few, _ = plan_row(
            "20 managed tests of that account",
            box,
            twenty,
            [t["id"] for t in chosen],
            [],
            1 + math.ceil(20 / p),
            args,
            together=True,
        )
        few.goal_bare = 1.1
        args.full_run = full_run
    return [full, few]


# -- start-up ----------------------------------------------------------------------------------------------
def startup_rows(args: Any) -> list[Row]:
    say("\n## start-up")
    cli = reconciler_argv()
    rows = []
    for label, argv in (
        ("`reconciler --version`", [*cli, "--version"]),
        ("`reconciler --help`", [*cli, "--help"]),
        (
            "`reconciler validate examples/demo.yaml`",
            [*cli, "validate", str(ROOT / "examples" / "demo.yaml")],
        ),
    ):
        wall = timed_seconds(argv, args.startup_repeats)
        rows.append(Row(f"start-up: {label}", wall=wall, goal_s=STARTUP_GOAL_S))
        say(f"  {label}: {wall:.3f} s (median of {args.startup_repeats})")
    with tempfile.TemporaryDirectory() as tmp, sandbox("generated:tests=20,members=5", latency_ms=0) as box:
        one = sorted(box.state()["tests"].values(), key=lambda t: t["id"])[:1]
        config = write_config(Path(tmp) / "one.yaml", one, None)
        run = median_run(box, args.startup_repeats, "plan", str(config), warm_up=True)
    label = "`reconciler plan` of 1 test, sandbox at 0 ms"
    rows.append(Row(f"start-up: {label}", requests=str(run.requests), wall=run.wall, goal_s=STARTUP_GOAL_S))
    rows[-1].notes.append("includes its requests to a local sandbox")
    say(f"  {label}: {run.wall:.3f} s, {run.requests} requests (median of {args.startup_repeats})")
    # What a plan costs besides its round trips at the bench's latency: start-up, config, TLS, event loop.
    args.startup = rows[-1].wall
    return rows


# -- apply -------------------------------------------------------------------------------------------------
def apply_row(args: Any) -> Row:
    say("\n## apply, 1,000 changes")
    p = args.parallelism
    with tempfile.TemporaryDirectory() as tmp:
        pair, runs = paired_apply(APPLY_SEED, args.latency, args.repeats, p, Path(tmp), thousand_changes)
    for run, log, replan in runs:
        say(f"  apply: {run.wall:.2f} s, {len(log)} requests; plan afterwards exits {replan.code}")
    say(f"  {pair.note()}")
    run, log, replan = sorted(runs, key=lambda r: r[0].wall)[len(runs) // 2]
    by_method = Counter(r["method"] for r in log if not r["path"].startswith("/oauth"))
    reads, writes = by_method["GET"], len(log) - 1 - by_method["GET"]
    made = 2 + math.ceil((reads - 2) / p) + math.ceil((writes - 1) / p) + 1
    # The bound: 5 round trips of fetch (token, first pages, 24 pages at p=8), 1,000 changes p at a
    # time, then the script rebuild: 5 + 126 = 131 at p=8.
    row = Row(
        "apply, 1,000 changes",
        requests=f"{len(log):,} ({reads} reads, {writes} writes)",
        wall=run.wall,
        bound_trips=2 + math.ceil(24 / p) + math.ceil(1000 / p) + 1,
        goal_bare=1.0,
        sandbox_cpu=sandbox_cpu(run),
        bare=pair,
    )
    row.notes.append(pair.note())
    row.notes.append(f"reconciler CPU {run.cpu:.2f} s, peak RSS {run.rss_mb:.0f} MB")
    row.notes.append(f"the requests made need {made} round trips = {made * args.latency / 1000:.2f} s")
    row.notes.append(f"median of {len(runs)}, each on a fresh sandbox")
    row.notes.append(
        "plan afterwards: " + ("in sync" if replan.code == 0 else f"exit {replan.code}, NOT in sync")
    )
    if replan.code != 0:
        row.failed = "not in sync afterwards"
    return row


# -- CPU of diff and render --------------------------------------------------------------------------------
def cpu_row() -> Row:
    say("\n## diff + render, no network")
    done = subprocess.run(
        [sys.executable, str(BENCH / "cpu.py"), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=BENCH,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    row = Row(
        f"diff + text/JSON/Markdown render of {figures['changes']:,} changes (CPU)", wall=figures["cpu"]
    )
    row.goal_s = 0.5
    row.notes.append(f"peak RSS {figures['rss_mb']:.0f} MB (goal <= 250 MB)")
    row.notes.append("not in issue 18's table; the earlier target")
    say(f"  {figures['cpu']:.2f} s CPU, peak RSS {figures['rss_mb']:.1f} MB")
    return row


# -- the sandbox check ---------------------------------------------------------------------------------------
def sandbox_check(args: Any) -> list[str]:
    """The full plan against the sandbox without its page cache, and at 0 ms: lines of a Markdown table."""
    say("\n## sandbox check")
    full: Run = args.full_run
    lines = [
        "| sandbox | latency | plan wall (median) | the sandbox during the plan |",
        "|---|---|---|---|",
        f"| `--page-cache` (every row above) | {args.latency:g} ms | {full.wall:.2f} s | {sandbox_cpu(full)} |",
    ]
    for label, latency, cache in (
        ("without `--page-cache`", args.latency, False),
        ("`--page-cache`", 0, True),
    ):
        with (
            tempfile.TemporaryDirectory() as tmp,
            sandbox(PLAN_SEED, latency_ms=latency, page_cache=cache) as box,
        ):
            state = box.state()
            tests = sorted(state["tests"].values(), key=lambda t: t["id"])
            members = sorted(state["members"].values(), key=lambda m: m["email"])
            config = write_config(Path(tmp) / "everything.yaml", tests, members)
            run = median_run(
                box, args.repeats, "plan", str(config), "--parallelism", str(args.parallelism), warm_up=True
            )
        lines.append(f"| {label} | {latency:g} ms | {run.wall:.2f} s | {sandbox_cpu(run)} |")
        say(f"  {label}, {latency:g} ms: {run.wall:.2f} s, sandbox {sandbox_cpu(run)}")
    # Each of the plan's 8 connections carries a chain of about one request per round trip: the sandbox can
    # lengthen the wall by at most (round trips) x (the most any request spent in it beyond the latency).
    trips = fetch_trips(2, full.requests - 3, args.parallelism)
    worst = max(full.service_ms or [0.0]) / 1000
    lines += [
        "",
        f"With `--page-cache` no request of the full plan spent more than {1000 * worst:.1f} ms in the sandbox "
        f"beyond its latency, so the sandbox added at most {trips} round trips x {1000 * worst:.1f} ms = "
        f"{trips * worst:.2f} s to its {full.wall:.2f} s wall ({100 * trips * worst / full.wall:.0f}%).",
    ]
    return lines


def attempt(label: str, rows: Callable[[], list[Row]]) -> list[Row]:
    """``rows()``, or one row saying it failed: one broken job does not lose the others' figures."""
    try:
        return rows()
    except (SystemExit, Exception) as err:  # reported in the table and on stdout
        say(f"  {label} FAILED: {err}")
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return [Row(label, failed=f"failed: {first_line[:120]}")]


# -- scaling -----------------------------------------------------------------------------------------------
def scale_heading(args: Any) -> str:
    return (
        f"**Scaling** (a full plan of every test and a fifth as many members, {args.latency:g} ms, "
        f"`--parallelism {args.parallelism}`, median of {args.repeats}; CPU and peak RSS are the CLI "
        "process's own):"
    )


def scaling(args: Any) -> str:
    say("\n## scaling")
    try:
        return scaling_table(SIZES, args.latency, args.repeats, args.parallelism, say)
    except (SystemExit, Exception) as err:  # reported in place of the table
        say(f"  scaling FAILED: {err}")
        return f"scaling failed: {str(err).strip()[:200]}"


# -- writing the figures -------------------------------------------------------------------------------------
def replace_block(path: Path, block: str) -> None:
    text = path.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} block to rewrite")
    head_end = text.index("-->", start) + 3
    path.write_text(text[:head_end] + "\n" + block.strip() + "\n" + text[end:])
    say(f"wrote {path.relative_to(ROOT)}")


def results_block(rows: list[Row], check: list[str], args: Any, header: str, scale: str) -> str:
    parts = [header, "", table(rows, args.latency)]
    if scale:
        parts += ["", scale_heading(args), "", scale]
    if check:
        parts += [
            "",
            f"**Sandbox check** (the full plan, `--parallelism {args.parallelism}`, median of {args.repeats}):",
            "",
            *check,
        ]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=50.0, help="ms per request (default 50)")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed runs per network row (the median is shown)"
    )
    parser.add_argument("--startup-repeats", type=int, default=7)
    parser.add_argument(
        "--skip-clone", action="store_true", help="leave out make test / make demo on a clone"
    )
    parser.add_argument("--skip-check", action="store_true", help="leave out the sandbox check")
    parser.add_argument("--write", action="store_true", help="rewrite the figures in bench/results.md")
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable); not with --write, which rewrites the whole table",
    )
    parser.add_argument(
        "--quick", action="store_true", help="no per-resource way, sandbox check or clean clones"
    )
    parser.add_argument(
        "--page-cap",
        type=int,
        default=100,
        help="the sandbox's page cap for the plan rows (default 100, the table's; 1000: a server that "
        "allows the 1,000 a page AB Tasty collections ask); not with --write",
    )
    args = parser.parse_args()
    if args.only and args.write:
        parser.error("--only leaves rows out: it cannot --write the table")
    if args.page_cap != 100 and args.write:
        parser.error("the table is for pages of 100: --page-cap cannot --write it")
    wanted = set(args.only or PARTS)
    if args.quick:
        args.skip_clone = args.skip_check = True
    if args.skip_clone:
        wanted.discard("clone")
    args.startup = None
    args.full_run = None
    started = time.perf_counter()
    # Every command here would otherwise compile its imports from source on every run (see results.md).
    no_bytecode = os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None
    commit = git("rev-parse", "--short", "HEAD")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"- **Machine:** {machine()}; load average {os.getloadavg()[0]:.2f} at the start.\n"
        f"- **Run:** {now}, commit {commit}; {args.latency:g} ms of latency per request, "
        f"`--parallelism {args.parallelism}`; median of {args.repeats} timed runs per network row, "
        f"{args.startup_repeats} per start-up row."
        + (" `PYTHONDONTWRITEBYTECODE` was set, and unset for what the run starts." if no_bytecode else "")
    )
    say(f"# make bench: {machine()}, commit {commit}")
    rows = attempt("start-up", lambda: startup_rows(args)) if "startup" in wanted else []
    rows = (attempt("plans", lambda: plan_rows(args)) if "plans" in wanted else []) + rows
    if "apply" in wanted:
        rows += attempt("apply, 1,000 changes", lambda: [apply_row(args)])
    if "cpu" in wanted:
        rows += attempt("diff + render", lambda: [cpu_row()])
    if "clone" in wanted:
        rows += clone_rows(args)[::-1]
    elif not args.only:
        rows += [
            Row(f"`make {t}` on a clean clone", goal_s=g, failed="skipped (--skip-clone)")
            for t, g in (("test", 90.0), ("demo", 20.0))
        ]
    check = [] if args.skip_check or args.full_run is None else sandbox_check(args)
    scale = scaling(args) if "scaling" in wanted else ""
    say(f"\n# Summary ({time.perf_counter() - started:.0f} s in all)\n")
    say(table(rows, args.latency))
    if check:
        say("\n" + "\n".join(check))
    if scale:
        say(f"\n{scale_heading(args)}\n\n{scale}")
    if args.write:
        replace_block(RESULTS, results_block(rows, check, args, header, scale))


if __name__ == "__main__":
    main()
