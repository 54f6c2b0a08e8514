"""``show --merge PLANS...``: the plans of a matrix's shards folded into one, posted once.

One plan on stdout, one job summary, one pull-request comment (or GitLab merge-request note), one drift
issue, one digest per account in the comment, and the exit code of the worst shard. A shard that failed (its
plan file missing or unreadable, or short of some of its files) is shown as failed, never as "no changes";
while one has failed the drift issue is left as it is (closing it would claim accounts nobody checked).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.cli.errors import Exit
from reconciler.core.merge import Failure, Loaded, Merged, digests_tag, merge
from reconciler.core.saved import read_plans
from reconciler.encode import markdown as md
from reconciler.errors import ReconcilerError
from reconciler.files import read_plan_file, write_atomic
from reconciler.loading import expand_paths
from reconciler.providers import registry
from reconciler.render import FORMATS, MARKDOWN_MARKER, Format, View, render_json, render_markdown, total

if TYPE_CHECKING:
    from reconciler.cli.pr_lock import LockOutcome
    from reconciler.integrations.words import CI

F = TypeVar("F", bound=Callable[..., Any])
_COMMENT_LIMIT = 65_536  # GitHub's; GitLab's is larger, and its note is cut at the same length


def merge_options(func: F) -> F:
    """The options ``show`` takes with ``--merge``."""
    options = [
        click.option("--merge", is_flag=True, help="Fold the plans of several shards (plan -o) into one."),
        click.option(
            "--shards",
            "shards_file",
            type=click.Path(dir_okay=False),
            help="The shard list the matrix ran (accounts --format json): a shard without a plan is failed.",
        ),
        click.option(
            "--all-accounts",
            multiple=True,
            type=click.Path(),
            help="Every account file (a directory): those outside the plans are named as not planned.",
        ),
        click.option("-o", "--out", type=click.Path(dir_okay=False), help="Save the merged plan (JSON)."),
        click.option("--force", is_flag=True, help="Exit 0 although a forceable rail would refuse."),
        click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending."),
        click.option("--github-comment", is_flag=True, help="One plan comment on the pull request."),
        click.option(
            "--lock",
            is_flag=True,
            help="With --github-comment: lock the changed accounts, as plan --lock does.",
        ),
        click.option("--github-drift-issue", is_flag=True, help="One drift issue (GitHub Actions)."),
        click.option(
            "--gitlab-comment", is_flag=True, help="One plan note on the merge request (GitLab CI)."
        ),
        click.option(
            "--terraform-report",
            type=click.Path(dir_okay=False),
            help='Write {"create": N, "update": N, "delete": N} for GitLab\'s merge-request widget.',
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def load(files: Sequence[str]) -> list[Loaded]:
    """Each plan file's account plans, or why it could not be read (a failed shard, not an error)."""
    out: list[Loaded] = []
    for name in files:
        if not Path(name).is_file():
            out.append((name, "no plan file (the job failed, or its artifact is missing)"))
            continue
        try:
            out.append((name, read_plans(read_plan_file(name), registry.kinds_of)))
        except ReconcilerError as err:
            out.append((name, str(err)))
    return out


def _expected(shards_file: str | None) -> list[dict[str, Any]]:
    if not shards_file:
        return []
    try:
        data = json.loads(Path(shards_file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ReconcilerError(
            f"--shards {shards_file}: not a shard list ({err.__class__.__name__})"
        ) from None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise ReconcilerError(f"--shards {shards_file}: not a shard list (accounts --format json)")
    return data


def run_merge(files: Sequence[str], fmt: Format, view: View, **options: Any) -> None:
    """The whole of ``show --merge``."""
    everything, _ = expand_paths(options["all_accounts"])
    merged = merge(load(files), _expected(options["shards_file"]), [str(p) for p in everything])
    locks = _locks(merged, options)
    if locks is not None:
        merged = dataclasses.replace(merged, plans=tuple(locks.annotate(merged.plans)))
    click.echo(render_merged_text(merged, fmt, view), nl=False)
    if options["out"]:
        write_atomic(Path(options["out"]), render_json(merged.plans))
    if options["terraform_report"]:
        counts = total(merged.plans)
        report = {"create": counts.add, "update": counts.change, "delete": counts.remove}
        write_atomic(Path(options["terraform_report"]), json.dumps(report) + "\n")
    _publish(merged, options, locks)
    if locks is not None:
        locks.raise_if_refused()
    code = merged.exit_code(options["force"], options["detailed_exitcode"])
    if code:
        raise Exit(code)


def render_merged_text(merged: Merged, fmt: Format, view: View) -> str:
    """The merged plan in the format asked, the failures and the scope in front of it (but for JSON)."""
    if fmt is FORMATS["markdown"]:
        return merged_markdown(merged)
    lines = [f"FAILED {f.name}: {f.reason}" + _files(f, str) for f in merged.failures]
    lines += _scope(merged, str)
    body = fmt.render(list(merged.plans), view)
    if fmt is FORMATS["json"]:  # stdout stays one plan document; the rest is said on stderr
        for line in lines:
            click.echo(line, err=True)
        return body
    return "\n".join(lines) + ("\n\n" if lines else "") + body


def _files(failure: Failure, quote: Callable[[str], str]) -> str:
    return f" ({', '.join(quote(f) for f in failure.files)} not planned)" if failure.files else ""


def _scope(merged: Merged, quote: Callable[[str], str]) -> list[str]:
    lines = []
    if merged.not_planned:
        lines.append(
            f"Planned: {len(merged.plans)} account(s) this change touches. Not planned: "
            f"{len(merged.not_planned)} account(s) it does not touch (the nightly drift job plans them)."
        )
    if merged.deleted:
        shown = ", ".join(quote(d) for d in merged.deleted)
        lines.append(
            f"Removed from the config, no longer managed (nothing is deleted in the account): {shown}"
        )
    return lines


def _head(merged: Merged) -> list[str]:
    """Each failed shard, then the scope: what the reader must know before the plan itself."""
    head = []
    if merged.failures:
        head.append("### :x: reconciler: this plan is incomplete, what failed was not planned")
        head += [
            f"- **{md.code(f.name)}**: {md.code(f.reason)}" + _files(f, md.code) for f in merged.failures
        ]
        head.append("")
    return head + [line + "\n" for line in _scope(merged, md.code)]


def merged_markdown(merged: Merged) -> str:
    """The Markdown plan (stdout, job summary): the marker, each failure, the scope, then the plan."""
    top = "\n".join([MARKDOWN_MARKER, *_head(merged)]) + "\n"
    return top + render_markdown(list(merged.plans)).removeprefix(MARKDOWN_MARKER + "\n")


def _footer(merged: Merged, commit: str) -> str:
    tag = digests_tag(merged, commit)
    return f"\n<sub>{len(merged.plans)} account(s) planned for commit `{commit[:12]}`</sub>\n{tag}\n"


def merged_comment(merged: Merged, commit: str, run_url: str, force: bool, ci: CI = "github") -> str:
    """The pull request's comment or the merge request's note, in the words and blocks of an unsharded
    plan's (what merging does next in ``ci``'s recipe, the run, a ```diff block per account), after the
    failed shards and the scope; the digests last."""
    from reconciler.integrations.words import render_comment

    footer = _footer(merged, commit)
    again = (
        f"**Next:** re-run the failed jobs: until every shard has planned, this plan is incomplete and the "
        f"{'check' if ci == 'github' else 'pipeline'} stays red."
        if merged.failures
        else ""
    )
    where = "this run's job summary" if ci == "github" else "the merge job's output"
    body = render_comment(
        list(merged.plans),
        refused=any(p.unsafe(force) for p in merged.plans),
        run_url=run_url,
        limit=_COMMENT_LIMIT - len(footer),
        elsewhere=f"The whole plan is in {where}.",
        head=_head(merged),
        next_line=again,
        ci=ci,
    )
    return body + footer


def _locks(merged: Merged, options: dict[str, Any]) -> LockOutcome | None:
    """``--lock``: the pull request's locks on the merged plan's accounts (before anything is shown)."""
    if not options["lock"]:
        return None
    if not options["github_comment"]:
        raise click.UsageError("--lock needs --github-comment: a lock belongs to the pull request planned")
    from reconciler.cli.github import actions_env
    from reconciler.cli.pr_lock import lock_pull_request

    return lock_pull_request(merged.plans, actions_env())


def _publish(merged: Merged, options: dict[str, Any], locks: LockOutcome | None = None) -> None:
    if options["github_comment"] or options["github_drift_issue"]:
        _to_github(merged, options, locks)
    if options["gitlab_comment"]:
        from reconciler.integrations.gitlab import Pipeline, publish_note

        pipeline = Pipeline.from_env(os.environ)
        body = merged_comment(merged, pipeline.commit, pipeline.url, options["force"], ci="gitlab")
        done = asyncio.run(publish_note(pipeline, MARKDOWN_MARKER, body))
        click.echo(f"Plan note {done} on merge request !{pipeline.merge_request}.", err=True)


def _to_github(merged: Merged, options: dict[str, Any], locks: LockOutcome | None) -> None:
    from reconciler.cli.github import actions_env, publish_drift, publish_plan, run_url, write_step_summary
    from reconciler.cli.pr_lock import locked_comment

    actions = actions_env()
    write_step_summary(merged_markdown(merged), os.environ)
    if options["github_comment"]:
        body = merged_comment(merged, actions.head_sha, run_url(os.environ), options["force"])
        if locks is not None and locks.refused:  # no digests: the merge job cannot apply a refused plan
            body = locked_comment(merged.plans, locks, actions.head_sha)
        done = asyncio.run(publish_plan(body, actions))
        click.echo(f"Plan comment {done} on pull request #{actions.pull_request}.", err=True)
    if options["github_drift_issue"]:
        if merged.failures:
            click.echo(
                "Drift issue left as it is: a shard failed, so not every account was checked.", err=True
            )
        else:
            done = asyncio.run(publish_drift(list(merged.plans), actions, os.environ))
            click.echo(f"Drift issue: {done}.", err=True)
