"""The audit trail of ``apply --audit-log FILE``: one JSON line per change attempted, with the run's context.

Teams under access reviews must show who changed what, when and why; the vendor's own log records only the
API client. Each line holds the time, the provider, account and file, the resource, the change's kind,
before and after, the outcome and its error, and the run: the config's git commit (and whether the tree had
uncommitted changes), and in CI the repository, commit, actor, event, pull request and run URL from the
standard GitHub Actions variables.

Each line is one ``write`` on a file opened with ``O_APPEND`` (the kernel appends it whole, after every
other line, even with two runs writing) and is fsynced before the next change is reported: a line never
describes a change that did not happen, and a crash loses at most the line being written. Every line goes
through the redactor: no secret, ever.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from reconciler.core.plan import AccountPlan
from reconciler.core.schedule import Outcome
from reconciler.encode import jsonl
from reconciler.errors import ReconcilerError
from reconciler.files import open_regular
from reconciler.gitdir import git_argv
from reconciler.redaction import redact

FORMAT = 1


def _git(folder: Path, *args: str) -> str | None:
    try:
        # safe.directory: a checkout owned by another user (a git-sync sidecar) is still read
        done = subprocess.run(git_argv(folder, *args), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def config_commit(paths: Sequence[str]) -> dict[str, Any]:
    """The git commit the config files are at, and whether any of them differs from it (None outside git)."""
    folder = Path(paths[0]).resolve().parent if paths else Path.cwd()
    commit = _git(folder, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    changed = _git(folder, "status", "--porcelain", "--", *(str(Path(p).resolve()) for p in paths))
    return {"commit": commit, "dirty": bool(changed)}


def ci_context(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The GitHub Actions run, from its standard variables (None outside Actions)."""
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    server, repo, run = (env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    pull = None
    try:
        event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        number = (event.get("pull_request") or {}).get("number") if isinstance(event, dict) else None
        pull = number if isinstance(number, int) else None
    except (KeyError, OSError, ValueError):
        pass
    return {
        "repository": repo or None,
        "commit": env.get("GITHUB_SHA"),
        "actor": env.get("GITHUB_ACTOR"),
        "event": env.get("GITHUB_EVENT_NAME"),
        "pull_request": pull,
        "run_url": f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None,
    }


def run_context(paths: Sequence[str], env: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    """Who ran it, from where, on which config: what every line of the run carries."""
    return {
        "user": getpass.getuser(),
        "host": socket.gethostname(),
        "config": config_commit(paths),
        "ci": ci_context(env),
        **extra,
    }


class AuditLog:
    """An open audit log; ``record`` is an ``on_event`` of apply. Use it as a context manager."""

    def __init__(self, path: Path, context: Mapping[str, Any]) -> None:
        self.path = path
        self.context = dict(context)
        try:
            self._fd = open_regular(path, os.O_WRONLY | os.O_APPEND, f"--audit-log {path}")
        except OSError as err:
            raise ReconcilerError(
                f"--audit-log {path}: cannot open it for appending ({err.strerror}); nothing was applied"
            ) from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        os.close(self._fd)

    def record(self, plan: AccountPlan, outcome: Outcome) -> None:
        """Append the line of one change's outcome, and make it durable."""
        change = outcome.change
        line = {
            "format": FORMAT,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "provider": plan.provider,
            "account": plan.account,
            "file": plan.path,
            "resource": change.resource,
            "name": change.name,
            "kind": change.kind.value,
            "action": change.action.value,
            "before": dict(change.before),
            "after": dict(change.after),
            "outcome": outcome.status.value,
            "error": outcome.reason or None,
            "run": self.context,
        }
        # ASCII JSON: a U+2028 or U+0085 in a name cannot split the line for a reader splitting on any break.
        data = redact(jsonl.line(line, sort_keys=True, default=str)) + "\n"
        os.write(self._fd, data.encode())  # one write under O_APPEND: the line lands whole, at the end
        os.fsync(self._fd)
