"""What apply tells as it goes: the plan it is about to apply, each change's outcome in the plan's own
words (``applied: test 381296 "Public API Test": state pause -> play (prod)``), and the closing summary."""

from __future__ import annotations

import signal
from collections import Counter

import click

from reconciler.cli.options import color, echo_plan
from reconciler.cli.progress import Progress
from reconciler.core.plan import AccountPlan
from reconciler.core.schedule import STOP_GRACE, ApplyResult, Outcome, Status
from reconciler.encode import terminal
from reconciler.errors import ApplyError
from reconciler.providers import registry
from reconciler.render import render_text

SHOWN_NOT_STARTED = 20  # not-started changes listed one by one after a stop; the rest are counted
_SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


def change_words(plan: AccountPlan, outcome: Outcome) -> str:
    """The change as the plan names it: ``test 381296 "Public API Test": state pause -> play (prod)``."""
    provider = registry.get(plan.provider)
    change = outcome.change
    if provider is None:  # pragma: no cover - a plan only exists for an installed provider
        return change.resource
    sep = " " if provider.inline(change) else ": "
    return terminal.text(f"{provider.label(change)}{sep}{provider.describe(change)}")  # server-chosen names


class Reporter:
    """Apply's lines; ``announce``: print the plan first (no question was asked, so it was not shown)."""

    def __init__(self, shown: Progress, announce: bool) -> None:
        self.shown = shown
        self.announce = announce
        self.seen: Counter[Status] = Counter()
        self.total = 0

    def planned(self, plans: list[AccountPlan]) -> None:
        """The plans about to be applied."""
        self.total = sum(len(p.changes) for p in plans)
        for plan in plans:
            self.shown.set_changes(plan.path, len(plan.changes))
        if self.announce:
            self.shown.pause()  # stdout and stderr share the terminal: no redraw across the plan
            echo_plan(render_text(plans, color=color()))
            self.shown.resume()

    def outcome(self, plan: AccountPlan, outcome: Outcome) -> None:
        """One change is done (or will not be). Past the first ``SHOWN_NOT_STARTED`` not-started ones, a
        stop would print every change left (hundreds of lines): the summary counts the rest."""
        self.seen[outcome.status] += 1
        self.shown.change_done(plan.path)
        if outcome.status is Status.NOT_STARTED and self.seen[Status.NOT_STARTED] > SHOWN_NOT_STARTED:
            return
        reason = f" ({terminal.text(outcome.reason)})" if outcome.reason else ""
        self.shown.echo(f"{outcome.status}: {change_words(plan, outcome)}{reason}")

    def stopping(self, signum: int) -> None:
        """The first signal: say what happens now."""
        name = _SIGNAL_NAMES.get(signal.Signals(signum), f"signal {signum}")
        self.shown.echo(
            f"{name}: stopping. Nothing new starts; changes in flight get up to {STOP_GRACE:.0f} s to "
            "finish. Press Ctrl-C again to stop at once."
        )

    def stopped_at_once(self) -> None:
        """The second signal: the summary of what is known."""
        self.shown.pause()
        click.echo(
            f"Stopped at once: {self.seen[Status.APPLIED]} applied, {self.seen[Status.FAILED]} failed, "
            f"{self.total - sum(self.seen.values())} not finished (those in flight may or may not have "
            "taken effect). Run plan to see where the account stands; apply again converges.",
            err=True,
        )

    def finish(self, results: list[ApplyResult], signum: int) -> None:
        """The closing summary; ``ApplyError`` (exit 1) when something failed and no signal stopped it."""
        if not any(r.outcomes for r in results):
            return
        counts: Counter[Status] = Counter(o.status for r in results for o in r.outcomes)
        for result in results:
            for o in result.outcomes:
                if o.status in (Status.FAILED, Status.SKIPPED, Status.INTERRUPTED):
                    click.echo(
                        f"  {o.status}: {change_words(result.plan, o)}: {terminal.text(o.reason)}", err=True
                    )
        if signum:
            unlisted = counts[Status.NOT_STARTED] - SHOWN_NOT_STARTED
            if unlisted > 0:
                click.echo(f"  ... and {unlisted} more not started (plan lists every change left).")
            click.echo(
                f"Apply interrupted: {counts[Status.APPLIED]} applied, {counts[Status.FAILED]} failed, "
                f"{counts[Status.SKIPPED]} skipped, {counts[Status.NOT_STARTED]} not started"
                + (f", {counts[Status.INTERRUPTED]} interrupted" if counts[Status.INTERRUPTED] else "")
                + ". Run apply again to finish: it plans from the live state."
            )
            return
        failed, skipped = counts[Status.FAILED], counts[Status.SKIPPED]
        click.echo(f"Apply complete: {counts[Status.APPLIED]} applied, {failed} failed, {skipped} skipped.")
        if failed or skipped:
            raise ApplyError(
                f"{failed} change(s) failed and {skipped} were skipped; fix the cause and run apply again"
            )
