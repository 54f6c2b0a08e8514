"""Apply's closing words after a stop, and its pages bar across the two reads (issue 31)."""

from __future__ import annotations

import signal

import pytest

from reconciler.cli.progress import AccountProgress, Progress
from reconciler.cli.report import SHOWN_NOT_STARTED, Reporter
from reconciler.core.schedule import ApplyResult, Outcome, Status
from reconciler.engine import make_plan
from tests.support.memory import MemoryConfig, MemoryState, Widget, registered


def test_a_stop_lists_the_first_not_started_changes_and_counts_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with registered():
        widgets = [Widget(name=f"w{n:03}", color="blue") for n in range(133)]
        config = MemoryConfig(version=1, provider="memory", store="shop", widgets=widgets)
        plan = make_plan("shop.yaml", config, MemoryState())
        reporter = Reporter(Progress(quiet=True), announce=False)
        reporter.planned([plan])
        outcomes = [
            Outcome(c, Status.APPLIED if i < 3 else Status.NOT_STARTED) for i, c in enumerate(plan.changes)
        ]
        for outcome in outcomes:
            reporter.outcome(plan, outcome)
        reporter.finish([ApplyResult(plan, outcomes)], signal.SIGINT)
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    assert sum(line.startswith("not started: ") for line in lines) == SHOWN_NOT_STARTED == 20
    assert f"  ... and {130 - SHOWN_NOT_STARTED} more not started (plan lists every change left)." in lines
    assert "Apply interrupted: 3 applied, 0 failed, 0 skipped, 130 not started." in " ".join(lines)


def test_the_pages_bar_counts_the_apply_read_alone() -> None:
    shown = Progress(quiet=True)
    account = shown.accounts.setdefault("shop.yaml", AccountProgress("a"))
    for _ in range(32):  # the confirmed plan's read
        account.started()
        account.finished()
    shown.new_fetch()
    for _ in range(32):  # apply's own read, under the lock
        account.started()
        account.finished()
    assert account.line() == "a: 32 of 32 pages"
