"""Why an AB Tasty account is degraded beyond its drift (``Provider.health``): pure, from the fetched state.

- a tag-script rebuild owed by an earlier apply (``pending.py``'s marker): the site still serves the old
  script, whatever the tests say;
- a test that is paused although its start time has passed and its stop time has not: AB Tasty starts a
  scheduled test at its start, so one still paused is a schedule that did not fire (or a test paused by hand
  over its schedule), which a plan whose config does not manage the schedule never shows as drift.
"""

from __future__ import annotations

from reconciler.core.text import escape_non_ascii
from reconciler.providers.abtasty.state import Existing, ExistingTest, epoch_to_local


def degraded(existing: Existing) -> list[str]:
    """One sentence per reason, tests by id."""
    reasons = []
    if existing.script_owed:
        reasons.append("the tag script owes a rebuild: an earlier apply changed tests and did not rebuild it")
    now = existing.fetched_at
    for test in sorted(existing.tests.values(), key=lambda t: t.id):
        if now and _should_be_playing(test, now):
            when = epoch_to_local(test.start, test.timezone) or str(test.start)
            zone = test.timezone or "UTC"
            reasons.append(
                f'test {test.id} "{escape_non_ascii(test.name)}" is paused, yet its start time {when} '
                f"({zone}) has passed"
            )
    return reasons


def _should_be_playing(test: ExistingTest, now: int) -> bool:
    return test.state == "pause" and 0 < test.start <= now and (not test.stop or test.stop > now)
