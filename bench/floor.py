"""The reconciler beside the bare client (``bench/bare.py``): the same requests, interleaved runs, medians.

Each pair is one ``reconciler`` run and one bare run right after it against the same sandbox (for an apply,
two fresh sandboxes seeded alike), so a drift of the shared machine's speed moves both; the ratio is taken
pair by pair and its median reported, beside the load average while the pairs ran.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bare import script_of
from common import Finished, Run, Sandbox, run_cli, sandbox, timed_process

BARE = Path(__file__).resolve().parent / "bare.py"


@dataclass
class Paired:
    """The median reconciler run, the median bare wall, the median of the pairwise ratios."""

    run: Run
    bare_wall: float
    ratio: float
    bare_requests: int
    load: float  # 1-minute load average once the pairs had run

    def note(self) -> str:
        return (
            f"bare client {self.bare_wall:.2f} s ({self.bare_requests} requests), median of pairwise ratios "
            f"{self.ratio:.2f}x, load {self.load:.1f}"
        )


def bare_run(box: Sandbox, script: Path, parallelism: int) -> tuple[Finished, int]:
    """One fresh bare-client process against ``box``: its figures and the requests the sandbox saw."""
    box.clear_requests()
    argv = [sys.executable, str(BARE), box.url, str(script), "--parallelism", str(parallelism)]
    done = timed_process(argv, box.env())
    if done.code:
        raise SystemExit(f"bench/bare.py exited {done.code}:\n{done.stderr[-2000:]}")
    return done, len(box.requests())


def write_script(log: list[dict[str, Any]], path: Path) -> Path:
    path.write_text(json.dumps(script_of(log)))
    return path


def paired_plan(box: Sandbox, repeats: int, parallelism: int, tmp: Path, *args: str) -> Paired:
    """``reconciler ARGS`` and the bare client doing its reads: one warm-up each, then ``repeats`` pairs."""
    run_cli(box, *args)
    script = write_script(box.requests(), tmp / "bare-script.json")
    bare_run(box, script, parallelism)
    pairs = []
    for _ in range(repeats):
        run = run_cli(box, *args)
        bare, requests = bare_run(box, script, parallelism)
        pairs.append((run, bare, requests))
    return _median(pairs)


def paired_apply(
    seed: str,
    latency_ms: float,
    repeats: int,
    parallelism: int,
    tmp: Path,
    config_of: Callable[[Path, dict[str, Any]], Path],
) -> tuple[Paired, list[tuple[Run, list[dict[str, Any]], Run]]]:
    """Each pair: ``apply`` on a fresh sandbox (after a plan, not counted), then the bare client sending the
    same writes to another fresh one. Also each apply's run, request log and the plan afterwards."""
    pairs, applies = [], []
    p = str(parallelism)
    for i in range(repeats):
        with sandbox(seed, latency_ms=latency_ms) as box:
            config = config_of(tmp / f"changes-{i}.yaml", box.state())
            run_cli(box, "plan", str(config), "--parallelism", p)  # warm-up, not counted: it writes nothing
            run = run_cli(box, "apply", str(config), "--auto-approve", "--parallelism", p)
            log = box.requests()
            replan = run_cli(box, "plan", str(config), "--detailed-exitcode")
        applies.append((run, log, replan))
        script = write_script(log, tmp / f"bare-script-{i}.json")
        with sandbox(seed, latency_ms=latency_ms) as box:
            bare, requests = bare_run(box, script, parallelism)
        pairs.append((run, bare, requests))
    return _median(pairs), applies


def _median(pairs: list[tuple[Run, Finished, int]]) -> Paired:
    runs = sorted(pairs, key=lambda pair: pair[0].wall)
    bares = sorted(pair[1].wall for pair in pairs)
    return Paired(
        run=runs[len(runs) // 2][0],
        bare_wall=statistics.median(bares),
        ratio=statistics.median(run.wall / bare.wall for run, bare, _ in pairs),
        bare_requests=pairs[0][2],
        load=os.getloadavg()[0],
    )
