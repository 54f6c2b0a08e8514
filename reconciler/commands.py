"""``plan`` and ``apply``: parse options, call the engine, render, choose the exit code."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.config import load_configs
from reconciler.core.plan import AccountPlan
from reconciler.engine import ApplyResult, Endpoint, Overrides, TokenEndpoint, run_apply, run_plan
from reconciler.errors import ApplyError, PlanError, ReconcilerError
from reconciler.files import write_atomic
from reconciler.http import RedactingFilter, Secret
from reconciler.render import render_json, render_markdown, render_text, total

SANDBOX_STATE = Path(".reconciler/sandbox.json")
_LOG_HANDLER = "reconciler-cli"
F = TypeVar("F", bound=Callable[..., Any])


def run_options(func: F) -> F:
    """The options plan and apply share."""
    func = click.option("-v", "--verbose", is_flag=True, help="Log every request and a closing count.")(func)
    func = click.option(
        "--sandbox", is_flag=True, help=f"Run against the embedded sandbox (state in {SANDBOX_STATE})."
    )(func)
    func = click.option(
        "--parallelism", default=8, show_default=True, type=click.IntRange(1, 64), help="Requests in flight."
    )(func)
    return click.argument("paths", nargs=-1, required=True, type=click.Path())(func)


def setup_logging(verbose: bool) -> None:
    """``-v``: one line per request on stderr, secrets redacted by the handler's filter."""
    logger = logging.getLogger("reconciler")
    for old in [h for h in logger.handlers if h.get_name() == _LOG_HANDLER]:
        # A previous -v run in this process (tests): its stderr may be gone, and a run without -v must
        # not keep logging through it.
        logger.removeHandler(old)
    if not verbose:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_LOG_HANDLER)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it repeats our own per-request line


@contextmanager
def sandbox_endpoint(enabled: bool) -> Iterator[Overrides | None]:
    """With --sandbox: a sandbox on a loopback port whose state persists across runs; it serves both the
    AB Tasty and the Taplytics API, so every config, whatever its provider, is pointed at it."""
    if not enabled:
        yield None
        return
    from reconciler.sandbox.server import serve_in_thread

    SANDBOX_STATE.parent.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(seed="demo", state_path=SANDBOX_STATE) as server:
        yield {
            "abtasty": Endpoint(server.url, server.token_url, server.client_id, Secret(server.client_secret)),
            "taplytics": TokenEndpoint(server.url, Secret(server.taplytics_token)),
        }


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        click.echo(message, err=True)


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.command()
@run_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending, 0 when in sync.")
def plan(
    paths: tuple[str, ...],
    parallelism: int,
    sandbox: bool,
    verbose: bool,
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, without changing anything."""
    setup_logging(verbose)
    configs = load_configs(paths, env=os.environ)
    _progress(f"Planning {len(configs)} account(s)...")
    with sandbox_endpoint(sandbox) as override:
        plans = asyncio.run(run_plan(configs, os.environ, override, parallelism))
    if fmt == "json":
        click.echo(render_json(plans), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(plans), nl=False)
    else:
        click.echo(render_text(plans, color=_color()), nl=False)
    if out:
        write_atomic(Path(out), render_json(plans))
        _progress(f"Plan saved to {out}: apply it with `reconciler apply --plan {out} {' '.join(paths)}`.")
    if detailed_exitcode and total(plans).total:
        sys.exit(2)


def _confirm(auto_approve: bool) -> Callable[[list[AccountPlan]], bool]:
    def confirm(plans: list[AccountPlan]) -> bool:
        click.echo(render_text(plans, color=_color()), nl=False)
        if auto_approve:
            return True
        answer = click.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False)
        if answer != "yes":
            click.echo("Apply cancelled: nothing was changed.")
            return False
        return True

    return confirm


def _report(results: list[ApplyResult]) -> None:
    applied = sum(r.count("applied") for r in results)
    failed = sum(r.count("failed") for r in results)
    skipped = sum(r.count("skipped") for r in results)
    for result in results:
        for outcome in result.outcomes:
            if outcome.status in ("failed", "skipped"):
                click.echo(f"  {outcome.status}: {outcome.change.resource}: {outcome.reason}", err=True)
    click.echo(f"Apply complete: {applied} applied, {failed} failed, {skipped} skipped.")
    if failed or skipped:
        raise ApplyError(
            f"{failed} change(s) failed and {skipped} were skipped; fix the cause and run apply again"
        )


@click.command()
@run_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking (CI).")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), help="Apply a saved plan.")
@click.option("--force", is_flag=True, help="Override max_delete_fraction / max_pause_fraction for this run.")
def apply(
    paths: tuple[str, ...],
    parallelism: int,
    sandbox: bool,
    verbose: bool,
    auto_approve: bool,
    plan_file: str | None,
    force: bool,
) -> None:
    """Make the accounts match the config: exactly the changes plan shows."""
    setup_logging(verbose)
    if not auto_approve and not sys.stdin.isatty():
        raise ReconcilerError(
            "refusing to apply without confirmation: standard input is not a terminal. "
            "Review the plan and pass --auto-approve (in CI: on the merge job only)"
        )
    configs = load_configs(paths, env=os.environ)
    saved = _read_plan(plan_file) if plan_file else None
    with sandbox_endpoint(sandbox) as override:
        results = asyncio.run(
            run_apply(
                configs,
                os.environ,
                override,
                parallelism=parallelism,
                force=force,
                saved=saved,
                confirm=_confirm(auto_approve),
                on_event=_progress,
            )
        )
    if not any(r.plan.changes for r in results):
        click.echo(render_text([r.plan for r in results], color=_color()), nl=False)
    elif any(r.outcomes for r in results):
        _report(results)


def _read_plan(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise PlanError(
            f"{path}: not a reconciler plan file ({err.__class__.__name__}): run plan --out again"
        ) from None
    if not isinstance(data, dict) or "accounts" not in data:
        raise PlanError(f"{path}: not a reconciler plan file: run plan --out again")
    return data
