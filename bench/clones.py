"""The two slow rows of ``make bench``: ``make test`` and ``make demo`` on a clean clone of HEAD."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rows import Row, say

ROOT = Path(__file__).resolve().parent.parent


# -- clean clones --------------------------------------------------------------------------------------------
def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


@contextlib.contextmanager
def clean_clone(commit: str) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="reconciler-bench-"))
    try:
        clone = tmp / "reconciler"
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
        yield clone
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def clone_env() -> dict[str, str]:
    """This environment without what would point the clone at our venv or a sandbox."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH")
    env = {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("ABTASTY_", "TAPLYTICS_"))
    }
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def clone_rows(args: Any) -> list[Row]:
    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    rows = []
    for target, goal, timeout in (("demo", 20.0, 600), ("test", 90.0, 1800)):
        label = f"`make {target}` on a clean clone"
        row = Row(label, goal_s=goal)
        row.notes.append(f"HEAD {commit[:8]}{' (uncommitted changes not included)' if dirty else ''}")
        say(f"\n## {label} of {commit[:8]} (the .venv is built from the machine's usual uv and pip caches)")
        with clean_clone(commit) as clone:
            started = time.perf_counter()
            done = subprocess.run(
                ["make", target], cwd=clone, env=clone_env(), capture_output=True, text=True, timeout=timeout
            )
            row.wall = time.perf_counter() - started
        if done.returncode:
            row.failed = f"failed (exit {done.returncode}) after {row.wall:.1f} s"
            say(done.stdout[-3000:] + done.stderr[-3000:])
        say(f"  {row.failed or f'{row.wall:.1f} s'}")
        rows.append(row)
    return rows
