"""``apply``: plan (or check a saved plan), confirm, make exactly those changes, report.

The question is asked with no connection open and no event loop running: plan, close, ask on the main
thread (Ctrl-C there is an immediate exit 130), then apply, which plans again and refuses unless the fresh
plan equals the one confirmed. During apply, SIGINT / SIGTERM start nothing new, let what is in flight
finish (bounded by ``STOP_GRACE``), print what was applied, failed and not started, and exit 130 / 143; a
second signal stops at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import select
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from reconciler.audit import AuditLog, run_context
from reconciler.cli.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USER_ERROR, Exit
from reconciler.cli.github import actions_env
from reconciler.cli.options import (
    COMMON_ENV,
    PROVIDER_ENV,
    Documented,
    color,
    display_options,
    echo_plan,
    epilog,
    run_options,
    sandbox_env,
    shared_options,
)
from reconciler.cli.pr_lock import release_merged
from reconciler.cli.progress import Progress
from reconciler.cli.report import Reporter
from reconciler.cli.reviewed import check_reviewed_plan, reviewed_note_plan, reviewed_plan
from reconciler.config.windows import enforce_windows
from reconciler.core.plan import AccountPlan
from reconciler.core.schedule import ApplyResult, Events, Outcome
from reconciler.engine import Session
from reconciler.errors import PlanError, ReconcilerError
from reconciler.files import read_plan_file
from reconciler.integrations.gitlab import Merged
from reconciler.integrations.words import CI
from reconciler.loading import load_configs
from reconciler.render import render_text
from reconciler.statedirs import require_local_state


@click.command(
    cls=Documented,
    epilog=epilog(
        env=f"{PROVIDER_ENV}, {COMMON_ENV}",
        codes="0 applied (or nothing to do), 1 a user error, a declined prompt or a failed change, "
        "143 terminated (SIGTERM)",
        example="reconciler apply --plan plan.json   (the files come from the plan)",
    ),
)
@shared_options
@display_options
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--auto-approve", is_flag=True, help="Apply without asking (CI).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Apply a saved plan (plan -o FILE): the config files it records are used, and it is applied only "
    "if a fresh plan equals it. No question is asked: the file is the approval.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Override the forceable safety rails for this run (max_access_loss_fraction, max_pause_fraction; never min_admins).",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False),
    envvar="RECONCILER_AUDIT_LOG",
    help="Append one JSON line per change attempted (what, before, after, outcome, who, which commit) to "
    "this file (env RECONCILER_AUDIT_LOG).",
)
@click.option(
    "--override-window",
    metavar="REASON",
    help="Apply changes a sync window denies (a hotfix during a freeze); REASON goes to the output and the "
    "audit log.",
)
@click.option(
    "--github-reviewed",
    is_flag=True,
    help="Apply only the plan whose digest the merged pull request's plan comment shows (GitHub Actions).",
)
@click.option(
    "--gitlab-reviewed",
    is_flag=True,
    help="Apply only the plan whose digests the merged merge request's plan note shows (GitLab CI, the "
    "default branch's pipeline; GITLAB_TOKEN as for --gitlab-comment).",
)
def apply(
    paths: tuple[str, ...],
    auto_approve: bool,
    plan_file: str | None,
    force: bool,
    audit_log: str | None,
    github_reviewed: bool,
    gitlab_reviewed: bool,
    override_window: str | None,
) -> None:
    """Make the accounts match the config: exactly the changes plan shows."""
    options = run_options()
    if github_reviewed and gitlab_reviewed:
        raise click.UsageError("--github-reviewed or --gitlab-reviewed: the CI system that merged the commit")
    ci: CI = "gitlab" if gitlab_reviewed else "github"
    reviewed = None  # read before any account is
    if github_reviewed:
        reviewed = asyncio.run(reviewed_plan(actions_env()))
    elif gitlab_reviewed:
        reviewed = asyncio.run(reviewed_note_plan(Merged.from_env(os.environ)))
    saved = read_plan_file(plan_file) if plan_file else None
    if not paths:
        if saved is None:
            raise click.UsageError("give the config files or directories to apply, or --plan FILE")
        paths = _recorded_paths(saved, plan_file or "")
    configs = load_configs(paths, env=os.environ)  # offline: a config's own mistake is said first
    ask = saved is None and not auto_approve
    if ask and not sys.stdin.isatty():
        raise ReconcilerError(
            "refusing to apply without confirmation: standard input is not a terminal. "
            "Review the plan and pass --auto-approve (in CI: on the merge job only)"
        )
    require_local_state(os.environ)  # an unwritable lock or state directory: exit 1 before any change
    with sandbox_env(options.sandbox) as overlay, Progress(options.quiet) as shown:
        session = Session(
            configs, os.environ, options.parallelism, overlay, shown.observer, options.allow_hosts
        )
        approved = _confirmed(session, shown, force) if ask else None
        if approved is not None and not any(p.changes for p in approved):
            return
        shown.new_fetch()
        shown.resume()
        reporter = Reporter(shown, announce=not ask)
        check = _also_windows(
            check_reviewed_plan(reviewed, ci) if reviewed else None, configs, override_window
        )
        context: dict[str, Any] = (
            {"reviewed_merge_request": reviewed.number}
            if gitlab_reviewed and reviewed is not None
            else {"reviewed_pull_request": reviewed.number if reviewed else None}
        )
        if override_window is not None:
            context["override_window"] = override_window
        with _audit(audit_log, paths, context) as audit:
            results, signum = _run_apply(session, force, saved, approved, reporter, check, audit)
    # Merged: its pull request's locks (plan --lock) are done with (GitLab's recipe takes none).
    if github_reviewed and reviewed is not None:
        release_merged(reviewed.number, os.environ)
    reporter.finish(results, signum)
    if signum:
        raise Exit(EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED)


def _confirmed(session: Session, shown: Progress, force: bool) -> list[AccountPlan]:
    """Plan with the connections closed afterwards, show it, ask. Declining exits 1."""
    plans = asyncio.run(session.plan())
    shown.pause()
    echo_plan(render_text(plans, color=color()))
    for plan in plans:
        plan.raise_if_unsafe(force)
    if not any(p.changes for p in plans):
        return plans
    click.echo("Apply these changes? Only 'yes' is accepted: ", nl=False)
    answer = _read_line()  # main thread, no loop running: Ctrl-C raises KeyboardInterrupt at once
    if answer.strip() != "yes":
        click.echo(
            "\nApply cancelled: nothing was changed."
            if not answer
            else "Apply cancelled: nothing was changed."
        )
        raise Exit(EXIT_USER_ERROR)
    return plans


def _read_line() -> str:
    """A line from standard input. It polls: a Ctrl-C that the kernel delivers to another thread (a progress
    thread still winding down on a loaded machine) would not interrupt a blocking read of the main thread,
    but it does end a poll within 0.1 s."""
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0.1)
        if ready:
            return sys.stdin.readline()


def _run_apply(
    session: Session,
    force: bool,
    saved: dict[str, Any] | None,
    approved: list[AccountPlan] | None,
    reporter: Reporter,
    check: Callable[[list[AccountPlan]], None] | None = None,
    audit: AuditLog | None = None,
) -> tuple[list[ApplyResult], int]:
    """The apply, with SIGINT / SIGTERM turned into a graceful stop (a second one cancels at once)."""
    received: list[int] = []

    async def main() -> list[ApplyResult]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_signal(signum: int) -> None:
            received.append(signum)
            if stop.is_set():
                task.cancel()  # the second signal: stop at once
                return
            stop.set()
            reporter.stopping(signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            return await session.apply(
                force=force,
                saved=saved,
                approved=approved,
                on_plan=_checked_first(check, reporter.planned),
                on_event=_both(audit.record, reporter.outcome) if audit else reporter.outcome,
                stop=stop,
            )
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    try:
        results = _run(main())
    except asyncio.CancelledError:
        reporter.stopped_at_once()
        raise KeyboardInterrupt from None
    return results, received[0] if received else 0


@contextmanager
def _audit(path: str | None, paths: tuple[str, ...], extra: dict[str, Any]) -> Iterator[AuditLog | None]:
    """The audit log, opened before anything is applied (an unwritable file stops the run first)."""
    if path is None:
        yield None
        return
    with AuditLog(Path(path), run_context(paths, os.environ, **extra)) as log:
        yield log


def _both(first: Events, then: Events) -> Events:
    """Each outcome to the audit log (durably), then to the terminal."""

    def both(plan: AccountPlan, outcome: Outcome) -> None:
        first(plan, outcome)
        then(plan, outcome)

    return both


def _checked_first(
    check: Callable[[list[AccountPlan]], None] | None, then: Callable[[list[AccountPlan]], None]
) -> Callable[[list[AccountPlan]], None]:
    """``then``, after ``check`` (the reviewed-digest check raises before anything is announced or applied)."""
    if check is None:
        return then

    def both(plans: list[AccountPlan]) -> None:
        check(plans)
        then(plans)

    return both


def _also_windows(
    check: Callable[[list[AccountPlan]], None] | None, configs: list[Any], override: str | None
) -> Callable[[list[AccountPlan]], None]:
    """``check``, then the sync windows on the fresh plans (before anything is applied)."""

    def both(plans: list[AccountPlan]) -> None:
        if check is not None:
            check(plans)
        for line in enforce_windows(configs, plans, dt.datetime.now(dt.UTC), override):
            click.echo(line, err=True)

    return both


def _run(coro: Coroutine[Any, Any, list[ApplyResult]]) -> list[ApplyResult]:
    return asyncio.run(coro)


def _recorded_paths(saved: dict[str, Any], plan_file: str) -> tuple[str, ...]:
    """The config files a plan recorded (relative to where plan ran); their digests are checked later."""
    accounts = saved.get("accounts")
    found = [a.get("file") for a in accounts if isinstance(a, dict)] if isinstance(accounts, list) else []
    files = [f for f in found if isinstance(f, str)]
    if not files or len(files) != len(found):
        raise PlanError(f"{plan_file}: the plan records no config file: run plan --out again")
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise PlanError(
            f"{plan_file}: the config file(s) it records are not here: {', '.join(missing)}; run apply from "
            "the directory plan ran in, or give the paths"
        )
    return tuple(files)
