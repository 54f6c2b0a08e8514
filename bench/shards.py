"""The matrix on one machine (issue 27): 300 account files, cut by ``reconciler accounts --shards N`` and
planned as N processes at once against one sandbox (each shard its own credential variables, all the same
sandbox token), then folded by ``show --merge``. Per shard: wall time, requests, peak memory; in total: the
wall time of the slowest shard, the requests, the memory of all shards together, and the merge's time.

Not part of ``make test``: it prints figures and never asserts on time.
usage: python bench/shards.py [--accounts 300] [--shards 1 4 8] [--latency 20]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import machine, reconciler_argv, sandbox

TOKEN = "bench-taplytics-token-7a1c"  # a sandbox credential, not a real one
TAP = "version: 1\nprovider: taplytics\nproject:\n  name: p-{n:04}\n  api_token: ${{TAP_{n:04}}}\nusers:\n"
USER = "  - user_id: bench-{n:04}\n    email: bench-{n:04}@example.com\n"
_REQUESTS = re.compile(r"^(\d+) requests?$", re.MULTILINE)


@dataclass
class ShardRun:
    shard: int
    accounts: int
    wall: float
    requests: int
    peak_mib: float
    code: int


def write_accounts(root: Path, count: int) -> Path:
    accounts = root / "accounts"
    accounts.mkdir()
    for n in range(count):
        (accounts / f"{n:04}.yaml").write_text(TAP.format(n=n) + USER.format(n=n))
    return accounts


def shard_env(url: str, count: int) -> dict[str, str]:
    env = {**os.environ, "TAPLYTICS_API_URL": url}
    env.update({f"TAP_{n:04}": TOKEN for n in range(count)})
    return env


def run_shards(
    root: Path, shards: list[dict[str, object]], env: dict[str, str]
) -> tuple[list[ShardRun], float]:
    """Every shard's plan as its own process, all started at once (as a matrix with max-parallel >= N)."""
    started = time.perf_counter()
    running = {}
    for entry in shards:
        files = [str(f) for f in entry["files"]]  # type: ignore[attr-defined]
        argv = [*reconciler_argv(), "plan", *files, "-o", f"plans/{entry['shard']}.json", "-v"]
        log = (root / f"shard-{entry['shard']}.log").open("w")
        process = subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log)
        running[process.pid] = (entry, time.perf_counter(), log)
    runs = []
    while running:
        pid, status, usage = os.wait4(-1, 0)
        entry, began, log = running.pop(pid)
        log.close()
        text = (root / f"shard-{entry['shard']}.log").read_text()
        requests = sum(int(m) for m in _REQUESTS.findall(text))
        runs.append(
            ShardRun(
                int(entry["shard"]),  # type: ignore[call-overload]
                len(entry["files"]),  # type: ignore[arg-type]
                time.perf_counter() - began,
                requests,
                usage.ru_maxrss / 1024,
                os.waitstatus_to_exitcode(status),
            )
        )
    return sorted(runs, key=lambda r: r.shard), time.perf_counter() - started


def one(count: int, shards: int, latency: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, sandbox("demo", latency_ms=latency) as box:
        root = Path(tmp)
        write_accounts(root, count)
        (root / "plans").mkdir()
        env = shard_env(box.url, count)
        listed = subprocess.run(
            [*reconciler_argv(), "accounts", "accounts/", "--shards", str(shards), "--format", "json"],
            cwd=root, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        (root / "shards.json").write_text(listed.stdout)
        box.clear_requests()
        runs, wall = run_shards(root, json.loads(listed.stdout), env)
        served = len(box.requests())
        plans = [f"plans/{r.shard}.json" for r in runs]
        began = time.perf_counter()
        merged = subprocess.run(
            [*reconciler_argv(), "show", "--merge", *plans, "--shards", "shards.json", "--format", "markdown"],
            cwd=root, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        merge_s = time.perf_counter() - began
        failed = [r.shard for r in runs if r.code not in (0, 2)]
        if failed:
            print((root / f"shard-{failed[0]}.log").read_text()[-2000:])
    print(f"\n{count} accounts, {shards} shard(s), {latency:g} ms latency: wall {wall:.1f} s, "
          f"{served} requests served, peak memory {sum(r.peak_mib for r in runs):.0f} MiB in all "
          f"(max {max(r.peak_mib for r in runs):.0f} MiB a shard), merge {merge_s:.2f} s (exit {merged.returncode})"
          + (f", FAILED shards {failed}" if failed else ""))  # fmt: skip
    print("| shard | accounts | wall s | requests | peak MiB |\n|---|---|---|---|---|")
    for r in runs:
        print(f"| {r.shard} | {r.accounts} | {r.wall:.1f} | {r.requests} | {r.peak_mib:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--latency", type=float, default=20.0, help="ms the sandbox waits per request")
    args = parser.parse_args()
    os.environ["TAPLYTICS_API_TOKEN"] = TOKEN  # the sandbox process takes its Taplytics token from here
    print(machine())
    for shards in args.shards:
        one(args.accounts, shards, args.latency)


if __name__ == "__main__":
    main()
